"""The ``rootless`` target: Docker Engine run by the user (dockerd-rootless, ``systemctl --user``).

Config ``$XDG_CONFIG_HOME/docker/daemon.json`` (``~/.config/docker/daemon.json``), restart
``systemctl --user restart docker``, socket ``$XDG_RUNTIME_DIR/docker.sock``
(``/run/user/<uid>/docker.sock`` when XDG_RUNTIME_DIR is unset). Everything belongs to the user,
so no step needs a privilege; the rest is :class:`backend.targets.service.ServiceTarget`.
"""

from __future__ import annotations

import os
from pathlib import Path

from backend.targets.locations import rootless_socket
from backend.targets.service import ServiceTarget


def rootless_config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = Path(env["XDG_CONFIG_HOME"]) if env.get("XDG_CONFIG_HOME") else Path(env.get("HOME", str(Path.home()))) / ".config"
    return base / "docker" / "daemon.json"


def rootless_data_root(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path(env.get("HOME", str(Path.home()))) / ".local" / "share"
    return base / "docker"


class RootlessTarget(ServiceTarget):
    name = "rootless"
    systemctl = ("systemctl", "--user")
    journalctl = ("journalctl", "--user")

    def __init__(
        self,
        config_path: Path | None = None,
        host: str | None = None,
        *,
        restart_command: list[str] | None = None,
        stop_command: list[str] | None = None,
        dockerd: str | os.PathLike | None = None,
        reason: str = "",
    ) -> None:
        super().__init__(
            config_path or rootless_config_path(),
            host or f"unix://{rootless_socket()}",
            restart_command=restart_command,
            stop_command=stop_command,
            dockerd=dockerd,
            reason=reason,
        )
        self.default_data_root = rootless_data_root()
