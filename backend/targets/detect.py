"""Pick the target: an explicit ``--target``, else (``auto``) the best one found.

``auto`` today chooses the managed engine, the embedded default; the system, rootless and
Docker Desktop targets plug in here, ahead of it, in that order of preference.
"""

from __future__ import annotations

import os

from backend.errors import StoreswitchError
from backend.profile import Profile
from backend.targets.base import Target
from backend.targets.managed import ManagedTarget

TARGET_NAMES = ("auto", "managed")


def choose_target(name: str | None, profile: Profile, dockerd: str | os.PathLike | None = None) -> Target:
    name = name or os.environ.get("STORESWITCH_TARGET") or "auto"
    if name == "managed":
        return ManagedTarget(profile, dockerd, reason="chosen with --target managed")
    if name == "auto":
        return ManagedTarget(profile, dockerd, reason="auto: the managed engine, storeswitch's embedded default")
    raise StoreswitchError(f"unknown target {name!r}; choose one of: {', '.join(TARGET_NAMES)}")
