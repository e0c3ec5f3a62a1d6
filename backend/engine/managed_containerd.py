"""The managed engine's containerd: a long-lived process of its own, as on a system install.

Debian's and Docker's own service units start dockerd with ``--containerd=<socket>`` and run
containerd as a service beside it, so restarting dockerd leaves containerd running. A dockerd
that starts its own containerd instead stops it again at every restart and waits for it to exit,
checking once a second: about a second of every switch (issue 16). So storeswitch starts
containerd itself, once, and dockerd with ``--containerd``; a switch restarts only dockerd and
``storeswitch engine stop`` stops both.

containerd keeps exactly the directories the containerd dockerd used to start had: root
``<data-root>/containerd/daemon`` (the containerd image store: content, meta.db, snapshots),
state ``<exec-root>/containerd/daemon``, socket ``<exec-root>/containerd/containerd.sock``. A
profile made when dockerd started its own containerd keeps its store without moving a byte, and
dockerd's namespaces are the same either way (``--containerd-namespace`` ``moby`` and
``--containerd-plugins-namespace`` ``plugins.moby`` are dockerd's defaults in both layouts).

The config file holds only what the command line cannot say: ``imports = []`` (containerd 2
would otherwise read ``/etc/containerd/conf.d``; an explicit ``--config`` already keeps it off
``/etc/containerd/config.toml``) and the CRI plugins off (no Kubernetes here; dockerd turns off
the same one). It is ``version = 2``, the one format containerd 1.7 reads as it is and 2.x
migrates in memory, which is what dockerd itself writes for both (seen: dockerd 26.1.5 with
containerd 1.7.24, dockerd 28.5.2 with containerd 2.1.9). Everything else is a flag, so no
config key of one containerd version is needed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from backend.engine import processes
from backend.errors import EngineError
from backend.profile import Profile

if TYPE_CHECKING:
    from backend.engine.install import EngineBinaries

START_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
# The CRI plugin under its containerd 1.7 name, and the two it became in containerd 2; an unknown
# name in disabled_plugins is ignored by both.
DISABLED_PLUGINS = ("io.containerd.grpc.v1.cri", "io.containerd.cri.v1.images", "io.containerd.cri.v1.runtime")
CONFIG = (
    "# Written by storeswitch at each start of the managed engine's containerd; flags carry the rest.\n"
    "version = 2\n"
    "imports = []\n"
    "disabled_plugins = [" + ", ".join(f'"{name}"' for name in DISABLED_PLUGINS) + "]\n"
)


class ManagedContainerd:
    def __init__(self, profile: Profile) -> None:
        self.profile = profile

    @property
    def socket(self) -> Path:
        return self.profile.managed_containerd_socket

    @property
    def root(self) -> Path:
        return self.profile.managed_data_root / "containerd" / "daemon"

    @property
    def state(self) -> Path:
        return self.profile.managed_exec_root / "containerd" / "daemon"

    def command(self, binaries: EngineBinaries) -> list[str]:
        p = self.profile
        return [
            str(_containerd_binary(binaries)),
            "--config", str(p.managed_containerd_config),
            "--root", str(self.root),
            "--state", str(self.state),
            "--address", str(self.socket),
        ]

    # --- which process ------------------------------------------------------------------
    def _ours(self, argv: list[str]) -> bool:
        return processes.program(argv) == "containerd" and processes.has_option(
            argv, "--config", str(self.profile.managed_containerd_config))

    def _holds_our_store(self, argv: list[str]) -> bool:
        """Ours, or one a dockerd of this profile started itself (the previous layout's)."""
        if processes.program(argv) != "containerd":
            return False
        embedded = str(self.profile.managed_exec_root / "containerd" / "containerd.toml")
        return self._ours(argv) or processes.has_option(argv, "--config", embedded)

    def pid(self) -> int | None:
        """The running containerd's pid (pidfile first, then /proc), or None."""
        return processes.running(self.profile.managed_containerd_pidfile, self._ours)

    def answers(self) -> bool:
        return processes.accepts(self.socket)

    # --- control ------------------------------------------------------------------------
    def ensure_running(self, binaries: EngineBinaries, timeout: float = START_TIMEOUT) -> None:
        """Start containerd unless it runs; return once its socket accepts connections."""
        deadline = time.monotonic() + timeout
        while True:
            pid = self.pid()
            proc, offset = (None, 0) if pid is not None else self._spawn(binaries)
            pid = pid if proc is None else proc.pid
            while not self.answers():
                if proc is not None and proc.poll() is not None:
                    raise EngineError(f"containerd refused to start (exit {proc.returncode}): {self.failure_reason(offset)} "
                                      f"(log: {self.profile.containerd_log_path})")
                if proc is None and not processes.alive(pid):
                    break  # the one found has just ended: start one
                if time.monotonic() >= deadline:
                    processes.terminate(pid, STOP_TIMEOUT)
                    raise EngineError(f"containerd did not listen on {self.socket} within {timeout:.0f} s and was "
                                      f"stopped; see {self.profile.containerd_log_path}")
                time.sleep(processes.POLL_INTERVAL / 2)
            else:
                return

    def _spawn(self, binaries: EngineBinaries):
        import subprocess

        from backend.atomic import write_atomic

        # A containerd on this store that is not ours to keep (left by a dockerd that started its
        # own and was killed) holds meta.db's lock: a second one would wait on it for ever.
        for stray in processes.find(self._holds_our_store):
            processes.terminate(stray, STOP_TIMEOUT)
        p = self.profile
        for d in (self.root, self.state, p.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        write_atomic(p.managed_containerd_config, CONFIG.encode(), mode=0o600)
        with open(p.containerd_log_path, "ab") as log:
            offset = log.tell()
            proc = subprocess.Popen(self.command(binaries), stdin=subprocess.DEVNULL, stdout=log,
                                    stderr=subprocess.STDOUT, env=binaries.env(), start_new_session=True)
        write_atomic(p.managed_containerd_pidfile, f"{proc.pid}\n".encode(), mode=0o644)
        return proc, offset

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop containerd (and any containerd left on this profile's store by the previous layout)."""
        for pid in processes.find(self._holds_our_store):
            processes.terminate(pid, timeout)
        self.profile.managed_containerd_pidfile.unlink(missing_ok=True)

    def failure_reason(self, offset: int = 0) -> str:
        from backend.engine.dockerd_log import reason_since

        return reason_since(self.profile.containerd_log_path, offset, "containerd")


def _containerd_binary(binaries: EngineBinaries) -> Path:
    """The containerd beside the dockerd (the fetched engine), else the first on its PATH."""
    import shutil

    for d in binaries.path_dirs:
        candidate = Path(d) / "containerd"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which("containerd", path=binaries.env().get("PATH"))
    if found is None:
        raise EngineError("no containerd binary was found next to dockerd or on PATH: install containerd "
                          "(`storeswitch engine install` fetches one with the engine)")
    return Path(found)
