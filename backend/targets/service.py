"""An engine run by a service manager: the shared half of the ``system`` and ``rootless`` targets.

Such an engine reads a daemon.json storeswitch edits in place, is restarted by a command
(``systemctl restart docker``, ``systemctl --user restart docker``, or one the user configures
for a host without systemd) and answers on a socket. This module holds what both targets do the
same way:

* **commands**, as argument lists, never a shell string: the service manager's
  (:attr:`ServiceTarget.manager`: the system target detects it, :mod:`backend.service_manager`;
  rootless Docker is a systemd user service). ``STORESWITCH_RESTART_CMD`` replaces the
  restart command (parsed with :func:`shlex.split`), ``STORESWITCH_STOP_CMD`` the stop command.
  With a restart command of your own and no stop command, :meth:`stop` does nothing and the
  restart does both halves.
* **validation**: ``dockerd --validate --config-file`` with the new bytes in a private temporary
  directory, when a dockerd binary is found (PATH, or the one given); without one the restart
  decides. It checks the file alone: a key that clashes with a flag in the service's unit shows
  only at the restart, which then rolls back.
* **waiting**: after the restart command returns, until ``/_ping`` answers; a SysV or OpenRC
  script returns before dockerd is up, so while waiting its ``status`` is asked too, and a dockerd
  that exited (a config it refused) fails at once instead of at the timeout.
* **the engine's reason** when it does not come back: the restart command's own words and the
  last error line of the engine's log (``journalctl -u docker`` under systemd,
  ``/var/log/docker.log`` under SysV and OpenRC).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from backend.daemon_config import DaemonConfig
from backend.engine.api import EngineClient
from backend.engine.dockerd_log import last_error_line
from backend.errors import ConfigError, EngineError
from backend.service_manager import ServiceManager
from backend.stores import Store, StoreRoots, live_store, store_roots
from backend.targets.locations import socket_path

RESTART_ENV = "STORESWITCH_RESTART_CMD"
STOP_ENV = "STORESWITCH_STOP_CMD"
START_TIMEOUT = 90.0
COMMAND_TIMEOUT = 180.0
SYSTEM_CONTAINERD_SOCKET = Path("/run/containerd/containerd.sock")
def command_from_env(var: str, env: dict[str, str] | None = None) -> list[str] | None:
    """The argument list in environment variable *var* (shlex rules), None when unset."""
    env = os.environ if env is None else env
    text = env.get(var)
    if text is None or not text.strip():
        return None
    try:
        args = shlex.split(text)
    except ValueError as exc:
        raise ConfigError(f"{var}={text!r} cannot be split into arguments ({exc}); quote it like a shell would") from exc
    return args


USUAL_DOCKERDS = (Path("/usr/bin/dockerd"), Path("/usr/sbin/dockerd"), Path("/usr/local/bin/dockerd"))


def find_dockerd(explicit: str | os.PathLike | None = None) -> Path | None:
    """The dockerd that validates a config: *explicit*, else PATH, else the usual places."""
    if explicit:
        p = Path(explicit)
        return p if p.is_file() and os.access(p, os.X_OK) else None
    found = shutil.which("dockerd")
    if found:
        return Path(found)
    for p in USUAL_DOCKERDS:
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


def run_command(args: list[str], what: str, timeout: float = COMMAND_TIMEOUT) -> subprocess.CompletedProcess:
    """Run *args*; raise EngineError naming the command when it cannot run or times out."""
    try:
        return subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
    except FileNotFoundError as exc:
        raise EngineError(
            f"cannot {what}: `{args[0]}` is not installed here. Set {RESTART_ENV} to the command "
            "that restarts your Docker Engine (e.g. \"rc-service docker restart\")"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"cannot {what}: `{shlex.join(args)}` did not finish within {timeout:.0f} s") from exc


class ServiceTarget:
    """A daemon.json, a restart command and a socket. Subclasses set the defaults."""

    name = "service"
    runs_engine_itself = False  # the service manager does
    chooses_snapshotter = True
    saves_without_restart = True
    unit = "docker"
    systemctl: tuple[str, ...] = ("systemctl",)
    journalctl: tuple[str, ...] = ("journalctl",)

    def __init__(
        self,
        config_path: Path,
        host: str,
        *,
        restart_command: list[str] | None = None,
        stop_command: list[str] | None = None,
        dockerd: str | os.PathLike | None = None,
        reason: str = "",
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self._config_path = Path(config_path)
        self._host = host
        custom_restart = restart_command or command_from_env(RESTART_ENV)
        # The service manager, when storeswitch uses its commands (None: the caller's command).
        self.manager: ServiceManager | None = None if custom_restart else self.default_manager()
        self.uses_systemd = self.manager is not None and self.manager.name == "systemd"
        self.restart_command = custom_restart or list(self.manager.restart)
        explicit_stop = stop_command or command_from_env(STOP_ENV)
        self.stop_command = explicit_stop or (list(self.manager.stop) if self.manager and self.manager.stop else None)
        self.dockerd = dockerd
        self.reason = reason or f"--target {self.name}"
        self.start_timeout = start_timeout

    def default_manager(self) -> ServiceManager:
        """The service manager whose commands restart this engine (rootless: a systemd user service)."""
        return ServiceManager("systemd", (*self.systemctl, "restart", self.unit), (*self.systemctl, "stop", self.unit),
                              (), f"{self.name} Docker runs as a systemd service ({' '.join(self.systemctl)})")

    def service_manager_info(self) -> dict[str, str | None]:
        """What restarts the engine, for status and diagnostics."""
        if self.manager is None:
            return {"name": "custom", "restart": shlex.join(self.restart_command), "reason": f"{RESTART_ENV} or the caller's command"}
        return self.manager.as_dict()

    # --- facts --------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self._config_path

    @property
    def host(self) -> str:
        return self._host

    def client(self, timeout: float = 30.0) -> EngineClient:
        return EngineClient(self.host, timeout=timeout)

    def read_config(self) -> DaemonConfig:
        """daemon.json, strictly; a symbolic link is refused (replacing it would cut the link)."""
        path = self.config_path
        if path.is_symlink():
            raise ConfigError(
                f"{path} is a symbolic link (to {os.readlink(path)}); storeswitch does not replace links, "
                "because the file is then managed elsewhere (e.g. by your system configuration). Set "
                "features.containerd-snapshotter there, or replace the link with a file."
            )
        return DaemonConfig.load(path)

    def installed(self) -> tuple[bool, str]:
        dockerd = find_dockerd(self.dockerd)
        if dockerd is not None:
            return True, f"Docker Engine ({dockerd})"
        sock = socket_path(self.host)
        if sock is not None and sock.exists():
            return True, f"Docker Engine at {self.host}"
        if sock is None:
            return True, f"Docker Engine at {self.host}"
        return False, (
            f"no Docker Engine was found for the {self.name} target: no dockerd on PATH and no socket at "
            f"{sock}. Install Docker Engine, or choose another target (--target managed)."
        )

    # --- the switch's steps -------------------------------------------------------------
    def validate(self, content: bytes) -> None:
        """``dockerd --validate`` on *content*; nothing to do when no dockerd binary is found."""
        dockerd = find_dockerd(self.dockerd)
        if dockerd is None:
            return
        with tempfile.TemporaryDirectory(prefix="storeswitch-validate-") as tmp:
            path = Path(tmp) / "daemon.json"
            path.write_bytes(content)
            env = dict(os.environ)
            env["PATH"] = f"{dockerd.parent}{os.pathsep}{env.get('PATH', '')}"
            try:
                proc = subprocess.run(
                    [str(dockerd), "--validate", "--config-file", str(path)],
                    stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env, timeout=60,
                )
            except (OSError, subprocess.TimeoutExpired):
                return  # a validator that cannot run is no verdict; the restart decides
        if proc.returncode != 0:
            text = last_error_line(proc.stderr or proc.stdout) or f"exit {proc.returncode}"
            raise EngineError(f"dockerd refused the new config: {text.replace(str(path), str(self.config_path))}")

    def stop(self) -> None:
        if self.stop_command is None:
            return  # the restart command does both halves
        proc = run_command(self.stop_command, "stop the engine")
        if proc.returncode != 0:
            raise EngineError(f"`{shlex.join(self.stop_command)}` failed (exit {proc.returncode}): {self._why(proc)}")

    def start(self) -> None:
        """Run the restart command, then wait until the engine answers."""
        if not self.restart_command:
            assert self.manager is not None
            raise EngineError(
                f"cannot restart the engine: {self.manager.reason}. Set {RESTART_ENV} to the command that restarts "
                "your Docker Engine (e.g. \"rc-service docker restart\")"
            )
        proc = run_command(self.restart_command, "restart the engine")
        if proc.returncode != 0:
            raise EngineError(
                f"the engine did not restart: `{shlex.join(self.restart_command)}` failed (exit {proc.returncode}): "
                f"{self._why(proc)}"
            )
        self.wait_until_up()

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        watch = self.manager is not None and self.manager.name in ("sysv", "openrc")
        next_look = time.monotonic() + 0.5
        with self.client(timeout=5) as client:
            while time.monotonic() < deadline:
                if client.ping(timeout=1.0):
                    return
                if watch and time.monotonic() >= next_look:
                    assert self.manager is not None
                    if self.manager.stopped() and not client.ping(timeout=1.0):
                        why = self._journal_reason() or "it printed nothing there"
                        raise EngineError(f"the engine exited right after `{shlex.join(self.restart_command)}`: "
                                          f"{why} ({self.manager.log_file})")
                    next_look = time.monotonic() + 0.5
                time.sleep(0.1)
        journal = self._journal_reason()
        raise EngineError(
            f"the engine did not answer on {self.host} within {self.start_timeout:.0f} s after the restart"
            + (f": {journal}" if journal else "")
        )

    def store_roots(self, info: dict | None) -> dict[Store, StoreRoots]:
        """The data root from ``/info`` (else daemon.json's, else the default); the containerd store in the
        separate containerd's root when dockerd uses one (:mod:`backend.separate_containerd`)."""
        from backend.separate_containerd import SERVICE_FILES, separate_containerd

        try:
            config = self.read_config().data
        except (ConfigError, OSError):
            config = {}
        configured_root = config.get("data-root") if isinstance(config.get("data-root"), str) else None
        data_root = Path((info or {}).get("DockerRootDir") or configured_root or self.default_data_root)
        driver = info.get("Driver") if info and live_store(info) is Store.CLASSIC else None
        layout = separate_containerd(config, info, service_files=SERVICE_FILES if self.uses_systemd else ())
        if layout is None:
            return store_roots(data_root, driver)
        roots = store_roots(data_root, driver, layout.root)
        return {**roots, Store.CONTAINERD: StoreRoots(Store.CONTAINERD, (layout.root,), (layout.note,))}

    def log_tail(self, lines: int = 50) -> str:
        if self.manager is not None and not self.uses_systemd:
            return self.manager.log_tail(lines)
        if not self.uses_systemd:
            return ""
        try:
            proc = subprocess.run(
                [*self.journalctl, "-u", self.unit, "-n", str(lines), "--no-pager", "-o", "cat"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=20,
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return proc.stdout if proc.returncode == 0 else ""

    # --- details ------------------------------------------------------------------------
    default_data_root = Path("/var/lib/docker")

    def _journal_reason(self) -> str | None:
        return last_error_line(self.log_tail(30)) if self.manager is not None else None

    def _why(self, proc: subprocess.CompletedProcess) -> str:
        own = last_error_line(proc.stderr or proc.stdout or "")
        journal = self._journal_reason()
        parts = [p for p in (own, journal) if p]
        return "; ".join(parts) if parts else "(it printed nothing)"
