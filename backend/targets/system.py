"""The ``system`` target: the Linux Docker Engine installed on the machine.

Config ``/etc/docker/daemon.json`` (``STORESWITCH_SYSTEM_CONFIG`` or the constructor for another
file), restart by the service manager found here (:mod:`backend.service_manager`: systemd,
OpenRC or the SysV script; ``STORESWITCH_RESTART_CMD`` replaces it, see
:mod:`backend.targets.service`), engine at the address the docker CLI would use
(``DOCKER_HOST``, the current context, else the default socket; ``STORESWITCH_SYSTEM_HOST``
replaces the default socket, which is how the tests keep auto-detection off a real engine).

Run as root, the switch writes daemon.json itself and runs the stop and restart commands, the
same journaled transaction as every target. Run as an ordinary user, every step that needs
root goes through one narrow helper started with ``pkexec`` (:mod:`backend.privileged_helper`):

* ``HelperDaemonConfig.write`` -> ``pkexec storeswitch-helper switch <store>``: the helper writes
  the key and restarts the engine in one authorization; the journal then records
  ``config-written``, :meth:`SystemTarget.stop` does nothing (the helper restarted) and
  :meth:`SystemTarget.start` waits for the engine, raising the helper's reason if the restart
  failed, so the transaction rolls back.
* :meth:`SystemTarget.restore_config` -> ``pkexec storeswitch-helper rollback`` with the original
  bytes on stdin: the helper restores and restarts.
* ``--no-restart`` is refused up front (:meth:`SystemTarget.restart_plan`): the helper always
  restarts, and a choice saved without a restart needs root (``sudo``).
* A snapshotter choice, or a whole edited file (the GUI's daemon.json editor), asks for more than
  the helper does and is refused with the way to do it as root.

Reading daemon.json, ``dockerd --validate`` and talking to the engine need no privilege (the
socket needs the ``docker`` group, as for the docker CLI).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from backend.daemon_config import DaemonConfig, edit_store, parse, write_config
from backend.errors import ConfigError, EngineError, SwitchError
from backend.privileged_helper import EXIT_OK, EXIT_RESTART_FAILED
from backend.service_manager import ServiceManager, detect
from backend.stores import Store, configured_store
from backend.targets.locations import SYSTEM_HOST_ENV as HOST_ENV, system_address
from backend.targets.service import ServiceTarget

SYSTEM_CONFIG = Path("/etc/docker/daemon.json")
CONFIG_ENV = "STORESWITCH_SYSTEM_CONFIG"
HELPER_ENV = "STORESWITCH_HELPER"
HELPER_PATH = Path("/usr/libexec/storeswitch/storeswitch-helper")  # the Debian package's
LOCAL_HELPER_PATH = Path("/usr/local/libexec/storeswitch/storeswitch-helper")  # `storeswitch install-helper`'s
HELPER_TIMEOUT = 600  # includes the time a person takes to type a password


def system_config_path(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env[CONFIG_ENV]) if env.get(CONFIG_ENV) else SYSTEM_CONFIG


def default_helper_command() -> list[str]:
    helper = os.environ.get(HELPER_ENV) or str(next((p for p in (HELPER_PATH, LOCAL_HELPER_PATH) if p.is_file()), HELPER_PATH))
    return [shutil.which("pkexec") or "/usr/bin/pkexec", helper]


def install_helper_command() -> str:
    """``sudo .../storeswitch install-helper``, naming this installation's own storeswitch."""
    beside = Path(sys.executable).parent / "storeswitch"
    return f"sudo {beside if beside.is_file() else 'storeswitch'} install-helper"


class SystemTarget(ServiceTarget):
    name = "system"

    def __init__(
        self,
        config_path: Path | None = None,
        host: str | None = None,
        *,
        restart_command: list[str] | None = None,
        stop_command: list[str] | None = None,
        dockerd: str | os.PathLike | None = None,
        reason: str = "",
        privileged: bool | None = None,
        helper_command: list[str] | None = None,
    ) -> None:
        super().__init__(
            config_path or system_config_path(),
            host or system_address().host,
            restart_command=restart_command,
            stop_command=stop_command,
            dockerd=dockerd,
            reason=reason,
        )
        # privileged: write and restart directly (root); else through the pkexec helper.
        self.privileged = (os.geteuid() == 0) if privileged is None else privileged
        self.helper_command = helper_command or default_helper_command()
        self._custom_helper = helper_command is not None
        self._helper_restart_error: str | None = None

    def default_manager(self) -> ServiceManager:
        return detect()

    # --- the steps, when not root -------------------------------------------------------
    def read_config(self) -> DaemonConfig:
        config = super().read_config()
        if self.privileged:
            return config
        return HelperDaemonConfig(config.path, config.raw, config.data, target=self)

    @property
    def saves_without_restart(self) -> bool:
        """Only as root: an ordinary user's write goes through the helper, which always restarts."""
        return self.privileged

    def restart_plan(self, restart: bool) -> tuple[bool, str]:
        """Whether the switch restarts the engine (and why not); refuses what the helper cannot do."""
        if self.privileged:
            return restart, "--no-restart was given"
        problem = self.helper_problem()
        if problem:
            raise SwitchError(problem)
        if not restart:
            raise SwitchError(
                f"--no-restart needs root for the system engine: as an ordinary user storeswitch changes "
                f"{self.config_path} through its privileged helper, which always restarts the engine. "
                "Run `sudo storeswitch switch ... --no-restart`, or switch without --no-restart."
            )
        return True, ""

    def helper_problem(self) -> str | None:
        """Why the privileged helper cannot be used here, or None."""
        if self._custom_helper:
            return None
        pkexec, helper = self.helper_command[0], Path(self.helper_command[-1])
        fix = f"or run storeswitch as root (sudo) to change {self.config_path}"
        if not Path(pkexec).is_file():
            return (
                f"changing {self.config_path} needs root, and polkit's pkexec is not installed: install it "
                f"(Debian/Ubuntu: `sudo apt-get install pkexec`; Fedora: `sudo dnf install polkit`), {fix}"
            )
        if not helper.is_file():
            return (
                f"changing {self.config_path} needs root, and storeswitch's privileged helper is not installed "
                f"({HELPER_PATH} with its polkit policy io.storeswitch.switch). Install the storeswitch package "
                f"(`scripts/build-deb`, then `sudo apt-get install ./dist/storeswitch_*.deb`), or, for this "
                f"pip/pipx/venv installation, run `{install_helper_command()}` once; {fix}"
            )
        return None

    def stop(self) -> None:
        if self.privileged:
            super().stop()
        # else: the helper restarts the engine as part of the write (or the rollback)

    def start(self) -> None:
        if self.privileged:
            super().start()
            return
        error, self._helper_restart_error = self._helper_restart_error, None
        if error:
            raise EngineError(error)
        self.wait_until_up()

    def restore_config(self, original: bytes | None) -> None:
        """Put the pre-switch bytes back (None: remove the file), through the helper when not root."""
        if self.privileged:
            write_config(self.config_path, original)  # through a symlink; nothing written when unchanged
            return
        try:
            current = self.config_path.read_bytes()
        except FileNotFoundError:
            current = None
        if current == original:
            return
        self.run_helper(["rollback"], original or b"")

    def run_helper(self, args: list[str], stdin: bytes = b"") -> None:
        """Run the helper; a failed restart is kept for :meth:`start`, a refusal raised as ConfigError."""
        self._helper_restart_error = None
        cmd = [*self.helper_command, *args]
        if not self._custom_helper and not _has_terminal():
            # No terminal for pkexec's own password prompt: without an agent of the desktop's,
            # polkit's answer is then a plain "Not authorized" instead of a tty error.
            cmd.insert(1, "--disable-internal-agent")
        try:
            proc = subprocess.run(cmd, input=stdin, capture_output=True, timeout=HELPER_TIMEOUT)
        except FileNotFoundError as exc:
            raise ConfigError(f"cannot run the privileged helper ({cmd[0]} is missing): nothing was changed") from exc
        except subprocess.TimeoutExpired as exc:
            raise ConfigError(f"the privileged helper did not finish within {HELPER_TIMEOUT} s") from exc
        report = _report(proc.stdout)
        message = report.get("message") or proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}"
        if proc.returncode == EXIT_OK:
            return
        if proc.returncode == EXIT_RESTART_FAILED:
            self._helper_restart_error = message
            return
        if proc.returncode in (126, 127) and not report:
            if "not authorized" in message.lower() or "authentication agent" in message.lower():
                raise ConfigError(
                    f"not authorized: polkit does not allow this user to change {self.config_path} "
                    "(action io.storeswitch.switch). Nothing was changed. Ask an administrator to add you to the "
                    "group in storeswitch's polkit rule (/usr/share/doc/storeswitch/50-storeswitch.rules), "
                    "or run storeswitch as root (sudo)."
                )
            raise ConfigError(
                f"authorization to change {self.config_path} was refused or cancelled ({message}); nothing was changed"
            )
        raise ConfigError(f"the privileged helper refused: {message}")


class HelperDaemonConfig(DaemonConfig):
    """daemon.json as an ordinary user sees it: readable, written only through the helper."""

    def __init__(self, path: Path, raw: bytes | None, data: dict, *, target: SystemTarget) -> None:
        super().__init__(path, raw, data)
        self.target = target

    def with_store(self, store: Store, snapshotter: str | None = None) -> bytes:
        if snapshotter:
            raise ConfigError(
                f"choosing a snapshotter changes storage-driver in {self.path}, which the privileged helper "
                "does not do: run storeswitch as root (sudo) for that"
            )
        return super().with_store(store, None)

    def write(self, content: bytes) -> None:
        store = configured_store(parse(content, str(self.path)))
        if content != edit_store(self.raw, self.data, store):
            raise ConfigError(
                f"these changes to {self.path} go beyond the image-store setting, which is all the privileged "
                "helper writes: run storeswitch as root (sudo) to save them. Nothing was changed."
            )
        self.target.run_helper(["switch", store.value])

    def restore(self) -> None:
        self.target.restore_config(self.raw)


def _has_terminal() -> bool:
    """Whether this process has a controlling terminal (where pkexec could ask for a password)."""
    try:
        os.close(os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY))
    except OSError:
        return False
    return True


def _report(stdout: bytes) -> dict:
    for line in reversed(stdout.decode("utf-8", "replace").splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict):
            return data
    return {}
