"""Which service manager runs the system Docker Engine here, and its commands.

The system engine is restarted with the service manager that runs it, found by looking at the
machine, never taken from the caller's environment or arguments (the privileged helper uses this
too, and a variable that picked its command would pick what root runs):

* **systemd** when systemd is PID 1: ``/run/systemd/system`` exists (the test ``sd_booted(3)``
  documents) -> ``systemctl restart docker``; it waits for the engine's readiness itself.
* **OpenRC** when ``/run/openrc`` exists (OpenRC's state directory, made at boot) and
  ``rc-service`` is installed -> ``rc-service docker restart``.
* **SysV** when ``/etc/init.d/docker`` exists (Debian's docker.io ships one) ->
  ``service docker restart`` (``/etc/init.d/docker restart`` where ``service`` is missing).
  Such a script returns as soon as dockerd was started in the background, so :meth:`stopped`
  (the script's ``status``, LSB exit codes) tells a dockerd that refused its config and exited
  from one still starting, and its log is ``/var/log/docker.log``.

Commands are looked up on a fixed PATH (:data:`SAFE_PATH`), never the caller's.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
UNIT = "docker"
SYSV_LOG = Path("/var/log/docker.log")


@dataclass(frozen=True)
class ServiceManager:
    """How the engine's service is restarted here."""

    name: str  # "systemd", "openrc", "sysv" or "none"
    restart: tuple[str, ...]
    stop: tuple[str, ...]
    status: tuple[str, ...]
    reason: str  # why this one was chosen, for status and diagnostics
    log_file: Path | None = None

    @property
    def found(self) -> bool:
        return self.name != "none"

    def as_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "restart": " ".join(self.restart) if self.restart else None,
            "reason": self.reason,
        }

    def stopped(self) -> bool:
        """True when the service says its engine is not running (LSB status 1-3).

        Only for managers whose restart returns before the engine is up (SysV, OpenRC); False
        when unsure (no status command, exit 4 "unknown", or it cannot run).
        """
        if not self.status or self.name == "systemd":
            return False
        try:
            proc = subprocess.run(list(self.status), stdin=subprocess.DEVNULL, capture_output=True, timeout=20,
                                  env={"PATH": SAFE_PATH, "LANG": "C.UTF-8"})
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode in (1, 2, 3)

    def log_tail(self, lines: int = 50) -> str:
        """The last *lines* of the engine's log file (SysV, OpenRC), or ""."""
        if self.log_file is None:
            return ""
        try:
            with self.log_file.open("rb") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - 64 * 1024))
                text = fh.read().decode("utf-8", "replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _which(name: str) -> str | None:
    return shutil.which(name, path=SAFE_PATH)


def detect(root: Path = Path("/")) -> ServiceManager:
    """The service manager that runs the system engine on this machine (*root*: tests only)."""
    if (root / "run/systemd/system").is_dir():
        systemctl = _which("systemctl") or "systemctl"
        return ServiceManager("systemd", (systemctl, "restart", UNIT), (systemctl, "stop", UNIT),
                              (systemctl, "is-active", "--quiet", UNIT), "systemd is PID 1 (/run/systemd/system exists)")
    init_script = root / "etc/init.d" / UNIT
    rc_service = _which("rc-service")
    if (root / "run/openrc").is_dir() and rc_service:
        return ServiceManager("openrc", (rc_service, UNIT, "restart"), (rc_service, UNIT, "stop"),
                              (rc_service, UNIT, "status"), "OpenRC runs this machine (/run/openrc exists)", SYSV_LOG)
    if init_script.is_file():
        service = _which("service")
        base = (service, UNIT) if service else (str(Path("/etc/init.d") / UNIT),)
        return ServiceManager("sysv", (*base, "restart"), (*base, "stop"), (*base, "status"),
                              f"systemd is not PID 1; {init_script} is a SysV init script", SYSV_LOG)
    return ServiceManager("none", (), (), (),
                          f"systemd is not PID 1, and neither OpenRC nor {init_script} was found: nothing here restarts Docker")
