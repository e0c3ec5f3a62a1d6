"""The version of a dockerd binary, from ``dockerd --version``, for an engine that is not running.

A stopped engine still has a known version when its binary is known: the managed engine's
fetched dockerd, the system target's ``dockerd`` on PATH. Known-issue checks (``engine-too-old``)
and the Engine 29 store rule (:mod:`backend.store_choice`) need it while nothing answers on the
socket. ``dockerd --version`` prints ``Docker version 26.1.5+dfsg1, build a72d7cd`` and exits
without touching anything (a subprocess all the same); the answer is cached per binary (path, size, mtime), so
a window refreshing its facts asks once.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

from packaging.version import Version

VERSION_TIMEOUT = 10.0
_cache: dict[tuple[str, int, int], Version | None] = {}


def parse_dockerd_version(output: str) -> Version | None:
    """``Docker version 20.10.24+dfsg1, build 5d6db84`` -> 20.10.24; anything else -> None."""
    from backend.known_issues.facts import parse_version

    m = re.search(r"version\s+(v?\d+(?:\.\d+)*)", output or "")
    return parse_version(m.group(1)) if m else None


def dockerd_version(dockerd: str | os.PathLike) -> Version | None:
    """The version *dockerd* reports, or None when it cannot be run or says nothing we can read."""
    path = Path(dockerd)
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key in _cache:
        return _cache[key]
    try:
        proc = subprocess.run([str(path), "--version"], stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=VERSION_TIMEOUT)
        version = parse_dockerd_version(proc.stdout) if proc.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        version = None
    _cache[key] = version
    return version


def target_dockerd(target: Any) -> Path | None:
    """The dockerd binary *target* starts: the managed engine's, or the service's on PATH; None for others."""
    from backend.errors import EngineNotInstalled

    name = getattr(target, "name", None)
    if name == "managed":
        try:
            return Path(target.engine.binaries().dockerd)
        except (EngineNotInstalled, AttributeError):
            return None
    if name in ("system", "rootless"):
        from backend.targets.service import find_dockerd

        return find_dockerd(getattr(target, "dockerd", None))
    return None


def target_dockerd_version(target: Any) -> Version | None:
    binary = target_dockerd(target)
    return dockerd_version(binary) if binary is not None else None


# --- what an engine's version allows -------------------------------------------------------
# `dockerd --validate` appeared in Engine 23.0 (moby PR #43845; Debian 12's 20.10.24 answers
# "unknown flag: --validate", exit 125, seen here). The containerd image store appeared in 24.0
# (https://docs.docker.com/engine/release-notes/24.0/); older engines ignore the feature flag.
VALIDATE_SINCE = Version("23.0")
CONTAINERD_STORE_SINCE = Version("24.0")


def validate_skip_note(target: Any) -> str | None:
    """Why the switch cannot ask dockerd beforehand (an engine before 23 has no ``--validate``), or None."""
    version = target_dockerd_version(target)
    if version is None or version >= VALIDATE_SINCE:
        return None
    return (f"Docker Engine {version} has no `dockerd --validate` (it came in {VALIDATE_SINCE}): the new config "
            "is not checked beforehand; the restart and its check decide, and a refusal is rolled back")


def old_engine_reason(target: Any, wanted: Any) -> str | None:
    """The honest reason a switch to the containerd store failed on an engine before 24, or None."""
    if getattr(wanted, "value", wanted) != "containerd":
        return None
    version = target_dockerd_version(target)
    if version is None or version >= CONTAINERD_STORE_SINCE:
        return None
    return (f"Docker Engine {version} is older than {CONTAINERD_STORE_SINCE} and has no containerd image store: "
            "it ignores features.containerd-snapshotter and keeps the classic store")


# Targets whose dockerd runs on this machine's CPU: with the engine stopped, its architecture is
# the host's (Docker Desktop runs its engine in a VM and says for itself).
LOCAL_ENGINE_TARGETS = ("managed", "system", "rootless")


def stopped_engine_facts(target: Any, host_arch: Any) -> dict[str, Any]:
    """What is known of a stopped engine: its dockerd binary's version, and (on Linux) the host's architecture."""
    import platform

    if getattr(target, "name", None) not in LOCAL_ENGINE_TARGETS:
        return {}
    facts: dict[str, Any] = {}
    version = target_dockerd_version(target)
    if version is not None:
        facts["engine_version"] = version
    if platform.system() == "Linux":
        facts["engine_arch"] = host_arch
    return facts
