"""``ManagedEngine``: the dockerd storeswitch owns, like Docker Desktop owns its engine.

Its config file, data-root, exec-root, socket, pidfile and log all live in the profile, so it
touches nothing system-wide (``--iptables=false --bridge=none``, no userland proxy). It is
started in its own session so that it outlives the storeswitch command that started it, and
found again through its pidfile (or, in the moment before dockerd writes it, by its command
line: :mod:`backend.engine.processes`). dockerd must run as root.

Two processes, as on a system install: containerd (:mod:`backend.engine.managed_containerd`),
long-lived, and dockerd started with ``--containerd``. :meth:`ManagedEngine.start` starts
whichever is not running; :meth:`ManagedEngine.stop_dockerd` then ``start`` (what a switch does,
through the target) restart dockerd alone; :meth:`ManagedEngine.stop` (``storeswitch engine stop``)
stops both and removes the bind mount dockerd leaves on its data-root (:mod:`backend.engine.mounts`).

There is never a second dockerd on one data-root: start waits for a dockerd of this profile that
is still starting instead of starting another, and never removes the pidfile of one that runs.
Callers that start or stop the engine hold the switch lock (``engine start``/``stop``, a switch,
recovery, the GUI's restart), so two storeswitch processes do not race either.

Why not the docker SDK: it talks to an engine; nothing in it starts or stops one.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from backend.engine import processes
from backend.engine.api import EngineClient
from backend.engine.dockerd_log import reason_since
from backend.engine.managed_containerd import ManagedContainerd
from backend.errors import EngineError, EngineNotInstalled
from backend.profile import Profile

if TYPE_CHECKING:
    from backend.engine.install import EngineBinaries

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# How often start/stop look at dockerd. A switch is a stop and a start; every poll interval lost
# at each end is time the user waits beyond a plain restart (see benchmarks/switch_vs_restart.py).
POLL_INTERVAL = 0.01
READY_POLL_INTERVAL = 0.002  # a connect() on a unix socket: cheap enough to look every 2 ms


class ManagedEngine:
    def __init__(self, profile: Profile, dockerd: str | os.PathLike | None = None) -> None:
        self.profile = profile
        self._dockerd = dockerd
        self.containerd = ManagedContainerd(profile)

    # --- facts --------------------------------------------------------------------------
    @property
    def host(self) -> str:
        return f"unix://{self.profile.managed_socket}"

    @property
    def config_path(self) -> Path:
        return self.profile.managed_config_path

    @property
    def data_root(self) -> Path:
        return self.profile.managed_data_root

    def binaries(self) -> EngineBinaries:
        """The dockerd to run; raises :class:`EngineNotInstalled` saying how to get one."""
        from backend.engine.install import find_dockerd  # (the GUI's first paint makes a ManagedEngine, and runs nothing)

        return find_dockerd(self._dockerd)

    def pid(self) -> int | None:
        """The running dockerd's pid (its pidfile, else its command line), or None when none runs."""
        return processes.running(self.profile.managed_pidfile, self._ours)

    def _ours(self, argv: list[str]) -> bool:
        """A dockerd of this profile: it names our pidfile or our data-root (any start, any layout)."""
        return "dockerd" in processes.program(argv) and (
            processes.has_option(argv, "--pidfile", str(self.profile.managed_pidfile))
            or processes.has_option(argv, "--data-root", str(self.profile.managed_data_root)))

    def client(self, timeout: float = 30.0) -> EngineClient:
        return EngineClient(self.host, timeout=timeout)

    def is_up(self) -> bool:
        with self.client() as c:
            return c.ping()

    # --- control ------------------------------------------------------------------------
    def command(self, binaries: EngineBinaries) -> list[str]:
        p = self.profile
        return [
            str(binaries.dockerd),
            "--config-file", str(p.managed_config_path),
            "--data-root", str(p.managed_data_root),
            "--exec-root", str(p.managed_exec_root),
            "-H", self.host,
            "--pidfile", str(p.managed_pidfile),
            f"--containerd={p.managed_containerd_socket}",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--userland-proxy=false",
        ]

    def validate(self, content: bytes) -> None:
        """Ask dockerd itself whether it accepts *content* as its config, with the flags it runs with.

        ``dockerd --validate`` (Engine 23+) reads the file, merges it with the flags and exits;
        nothing starts. A switch runs this before it stops the engine, so a config dockerd would
        refuse costs no downtime. Raises :class:`EngineError` with dockerd's own words.
        """
        import subprocess  # (here and in start: the GUI's first paint loads this module, and runs nothing)
        import tempfile

        binaries = self.binaries()
        self.config_path.parent.mkdir(parents=True, exist_ok=True)
        # A name of its own: two validations may run at once (the GUI, a switch's head start).
        fd, name = tempfile.mkstemp(prefix=f".{self.config_path.name}.", suffix=".validate", dir=self.config_path.parent)
        path = Path(name)
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
        try:
            cmd = self.command(binaries)
            cmd[cmd.index("--config-file") + 1] = str(path)
            proc = subprocess.run([*cmd, "--validate"], capture_output=True, text=True, env=binaries.env(), timeout=60)
        finally:
            path.unlink(missing_ok=True)
        if proc.returncode != 0:
            reason = (proc.stderr or proc.stdout).strip().splitlines()
            text = reason[-1] if reason else f"exit {proc.returncode}"
            raise EngineError(f"dockerd refused the new config: {text.replace(str(path), str(self.config_path))}")

    def start(self, timeout: float = START_TIMEOUT) -> bool:
        """Start what is not running (containerd, dockerd) and wait until dockerd answers ``/_ping``.

        A dockerd of this profile that runs but does not answer yet (started by a storeswitch
        that was killed) is waited for, never doubled. If dockerd exits instead (a config it
        refuses), raise :class:`EngineError` quoting its own reason from the log. Returns False
        when a dockerd of this profile was already up and answering (nothing was started), else
        True: the caller notes what a started engine started with, and looking for a running
        dockerd once here spares it a second walk through ``/proc`` right after a switch's stop.
        """
        deadline = time.monotonic() + timeout
        pid = self.pid()
        if pid is not None:
            argv = processes.cmdline(pid) or []
            if any(a.startswith("--containerd=") for a in argv) and self.containerd.pid() is None:
                self.containerd.ensure_running(self.binaries(), timeout)  # it waits for its containerd
            first = True
            with self.client(timeout=5) as c:
                while processes.alive(pid):
                    if c.ping(timeout=1.0):
                        return not first
                    first = False
                    if time.monotonic() >= deadline:
                        raise EngineError(
                            f"a dockerd of this profile (pid {pid}) runs but has not answered on {self.host} "
                            f"within {timeout:.0f} s; stop it with `storeswitch engine stop` and start again "
                            f"(log: {self.profile.engine_log_path})")
                    time.sleep(POLL_INTERVAL)
        import subprocess

        binaries = self.binaries()
        if os.geteuid() != 0:
            raise EngineError(
                "the managed engine needs root: dockerd cannot run as an ordinary user here. "
                "Run storeswitch as root (sudo), or choose another target with --target."
            )
        p = self.profile
        for d in (p.managed_data_root, p.managed_exec_root, p.log_dir, p.managed_config_path.parent):
            d.mkdir(parents=True, exist_ok=True)
        if not p.managed_config_path.exists():
            from backend.atomic import write_atomic

            write_atomic(p.managed_config_path, b"{}\n", mode=0o644)
        self.containerd.ensure_running(binaries, max(deadline - time.monotonic(), 1.0))
        # No dockerd of this profile runs (checked above): a pidfile left is stale, and its pid may
        # belong to another process by now, which dockerd would take for a running engine.
        p.managed_pidfile.unlink(missing_ok=True)
        log = open(p.engine_log_path, "ab")
        offset = log.tell()
        try:
            proc = subprocess.Popen(
                self.command(binaries),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=binaries.env(),
                start_new_session=True,
            )
        finally:
            log.close()
        with self.client(timeout=5) as c:
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    raise EngineError(
                        f"dockerd refused to start (exit {proc.returncode}): {self.failure_reason(offset)}"
                    )
                # dockerd creates its socket when its API is ready: a connect() is a cheap look,
                # so it is looked at often, and /_ping asked once something listens.
                if processes.accepts(p.managed_socket) and c.ping(timeout=1.0):
                    return True
                time.sleep(READY_POLL_INTERVAL)
        processes.terminate(proc.pid, STOP_TIMEOUT)
        raise EngineError(
            f"dockerd did not answer on {self.host} within {timeout:.0f} s and was stopped; "
            f"last log lines: {self.failure_reason(offset)} (full log: {p.engine_log_path})"
        )

    def stop_dockerd(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop dockerd alone; containerd keeps running (the restart half of a switch)."""
        for pid in processes.find(self._ours):  # the pidfile's, and one started too late to write it
            processes.terminate(pid, timeout)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the engine: dockerd, then its containerd, then the bind mount dockerd left."""
        from backend.engine.mounts import release_self_bind

        self.stop_dockerd(timeout)
        self.containerd.stop(timeout)
        try:
            release_self_bind(self.data_root)
        except OSError as exc:
            raise EngineError(f"the engine is stopped, but {exc}; unmount it by hand (umount {self.data_root})") from exc

    def failure_reason(self, offset: int = 0) -> str:
        """dockerd's own words for why it stopped: the last error-like lines logged since *offset*."""
        return reason_since(self.profile.engine_log_path, offset, "dockerd")

    def log_tail(self, lines: int = 50) -> str:
        """dockerd's last lines, after a few of containerd's (a process of its own, a log of its own).

        dockerd's come last: a log view scrolled to its end shows them, as it did before.
        """
        tails = []
        for name, path, count in (("containerd", self.profile.containerd_log_path, max(lines // 5, 5)),
                                  ("dockerd", self.profile.engine_log_path, lines)):
            try:
                text = path.read_text(errors="replace")
            except OSError:
                continue
            tails.append((name, path, "\n".join(text.splitlines()[-count:])))
        if len(tails) == 1 and tails[0][0] == "dockerd":
            return tails[0][2]
        return "\n".join(f"--- {name} ({path}) ---\n{tail}" for name, path, tail in tails)

    def installed(self) -> tuple[bool, str]:
        try:
            b = self.binaries()
        except EngineNotInstalled as exc:
            return False, str(exc)
        return True, f"{b.dockerd} ({b.source})"
