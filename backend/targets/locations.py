"""Where auto-detection looks for engines: Docker Desktop's settings, the system and rootless sockets.

These few functions are all ``auto`` needs to find out which target this machine has, so they
live apart from the target classes: on a machine without Docker, detection imports none of
:mod:`backend.targets.desktop`, :mod:`backend.targets.system`, :mod:`backend.targets.rootless`
and :mod:`backend.targets.service` (nor what they import: the privileged helper, subprocess...).
The GUI's first paint waits for detection, which is markedly slower with them
(benchmarks/gui_startup.py; docs/performance.md). The target modules import their names from here.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.parse import urlparse

from backend.engine.address import EngineAddress, resolve_address

DESKTOP_DIR_ENV = "STORESWITCH_DESKTOP_DIR"
SYSTEM_HOST_ENV = "STORESWITCH_SYSTEM_HOST"


def desktop_settings_dir(platform: str | None = None, env: dict[str, str] | None = None) -> Path:
    """Where Docker Desktop keeps its settings file on *platform* (``sys.platform`` names)."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get(DESKTOP_DIR_ENV):
        return Path(env[DESKTOP_DIR_ENV])
    home = Path(env.get("HOME") or env.get("USERPROFILE") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Group Containers" / "group.com.docker"
    if platform.startswith("win"):
        return (Path(env["APPDATA"]) if env.get("APPDATA") else home / "AppData" / "Roaming") / "Docker"
    return home / ".docker" / "desktop"


def desktop_settings_file(directory: Path) -> Path | None:
    """The settings file Docker Desktop uses in *directory* (the newer name first), or None."""
    if not directory.is_dir():
        return None  # no Docker Desktop here (the file names' module need not even load)
    from migration.desktop_settings import FILE_NAMES

    for name in FILE_NAMES:
        if (directory / name).is_file():
            return directory / name
    return None


def rootless_socket(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    runtime = Path(env["XDG_RUNTIME_DIR"]) if env.get("XDG_RUNTIME_DIR") else Path(f"/run/user/{os.getuid()}")
    return runtime / "docker.sock"


def system_address(env: dict[str, str] | None = None) -> EngineAddress:
    """The docker CLI's address rules, with ``STORESWITCH_SYSTEM_HOST`` in place of the default socket."""
    env = dict(os.environ if env is None else env)
    address = resolve_address(env=env)
    if address.source == "default socket" and env.get(SYSTEM_HOST_ENV):
        return EngineAddress(env[SYSTEM_HOST_ENV], SYSTEM_HOST_ENV)
    return address


def socket_path(host: str) -> Path | None:
    """The file of a ``unix://`` engine address, else None (tcp://, npipe://, ssh://)."""
    url = urlparse(host)
    return Path(url.path) if url.scheme == "unix" and url.path else None
