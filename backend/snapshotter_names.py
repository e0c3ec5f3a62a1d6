"""Snapshotter names: the choices offered first, and the rule a name must follow.

Apart from :mod:`backend.snapshotters` (which works out what this engine has, with three
dataclasses and containerd's config) because the settings window needs only these at first
paint, and every module and dataclass loaded before it delays it (docs/performance.md).
"""

from __future__ import annotations

import re

from backend.errors import ConfigError

# The choices offered first (GUI ``snapshotterChoice``, ``switch --snapshotter``); any other name
# is accepted for experts.
CHOICES: tuple[str, ...] = ("overlayfs", "native", "stargz", "nydus")
AVAILABLE, UNAVAILABLE, DEPENDS = "available", "unavailable", "depends"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_name(name: str) -> str:
    """A snapshotter name as containerd spells plugin IDs; raises ConfigError otherwise."""
    name = str(name).strip()
    if not _NAME.match(name):
        raise ConfigError(
            f"snapshotter {name!r} is not a plugin name (letters, digits, '.', '_', '-'; e.g. overlayfs, native, stargz)"
        )
    return name
