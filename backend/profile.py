"""Where storeswitch keeps its files: settings, the managed engine, the journal, logs.

By default the platformdirs locations of the user; ``--profile DIR`` (or
``STORESWITCH_PROFILE``) puts every one of them under DIR, which is what QA and the tests use
so that nothing touches the real user's files.

The run directory holds the managed engine's sockets. Unix socket paths are limited to 108
bytes and dockerd puts containerd's socket at ``RUN/containerd/containerd.sock``, so a profile
that sits deep (a pytest ``tmp_path``) gets its run directory under ``/tmp`` instead, named by a
hash of the profile path so it stays the same for the same profile.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP = "storeswitch"
_SOCKET_SUFFIX = "/containerd/containerd-debug.sock"
_MAX_SOCKET = 100  # under the kernel's 108 bytes, with room to spare


@dataclass(frozen=True)
class Profile:
    """The set of directories one storeswitch installation uses."""

    config_dir: Path
    data_dir: Path
    state_dir: Path
    log_dir: Path
    run_dir: Path
    explicit: bool = False  # True when given by --profile / STORESWITCH_PROFILE

    @classmethod
    def from_dir(cls, root: os.PathLike | str) -> "Profile":
        root = Path(root).absolute()
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            state_dir=root / "state",
            log_dir=root / "logs",
            run_dir=_short_run_dir(root / "run"),
            explicit=True,
        )

    @classmethod
    def default(cls) -> "Profile":
        dirs = platformdirs.PlatformDirs(APP, appauthor=False)
        run = Path(dirs.user_runtime_dir) if os.geteuid() != 0 else Path("/run") / APP
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            state_dir=Path(dirs.user_state_dir),
            log_dir=Path(dirs.user_log_dir),
            run_dir=_short_run_dir(run),
        )

    @classmethod
    def resolve(cls, explicit: str | os.PathLike | None = None) -> "Profile":
        """``--profile`` wins, then ``STORESWITCH_PROFILE``, then the platform defaults."""
        chosen = explicit or os.environ.get("STORESWITCH_PROFILE")
        return cls.from_dir(chosen) if chosen else cls.default()

    # --- files inside the profile -------------------------------------------------------
    @property
    def settings_path(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def managed_config_path(self) -> Path:
        """The managed engine's daemon.json."""
        return self.config_dir / "engine" / "daemon.json"

    @property
    def managed_data_root(self) -> Path:
        return self.data_dir / "engine"

    @property
    def managed_exec_root(self) -> Path:
        return self.run_dir / "exec"

    @property
    def managed_socket(self) -> Path:
        return self.run_dir / "docker.sock"

    @property
    def managed_pidfile(self) -> Path:
        return self.run_dir / "docker.pid"

    @property
    def managed_containerd_socket(self) -> Path:
        """The managed engine's containerd: where the containerd dockerd once started itself listened."""
        return self.managed_exec_root / "containerd" / "containerd.sock"

    @property
    def managed_containerd_config(self) -> Path:
        return self.run_dir / "containerd.toml"

    @property
    def managed_containerd_pidfile(self) -> Path:
        return self.run_dir / "containerd.pid"

    @property
    def engine_log_path(self) -> Path:
        return self.log_dir / "dockerd.log"

    @property
    def containerd_log_path(self) -> Path:
        return self.log_dir / "containerd.log"

    @property
    def journal_path(self) -> Path:
        return self.state_dir / "switch-journal.json"

    @property
    def reclaim_journal_path(self) -> Path:
        """A reclaim's own journal (:mod:`backend.reclaim_journal`), there only while one runs."""
        return self.state_dir / "reclaim-journal.json"

    @property
    def interrupted(self) -> bool:
        """True when a switch or a reclaim left its journal: recovery has work to do."""
        return self.journal_path.exists() or self.reclaim_journal_path.exists()

    @property
    def history_path(self) -> Path:
        return self.state_dir / "switch-history.json"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "switch.lock"

    def as_dict(self) -> dict[str, str]:
        return {
            "config_dir": str(self.config_dir),
            "data_dir": str(self.data_dir),
            "state_dir": str(self.state_dir),
            "log_dir": str(self.log_dir),
            "run_dir": str(self.run_dir),
        }


def _short_run_dir(wanted: Path) -> Path:
    if len(str(wanted / "exec")) + len(_SOCKET_SUFFIX) <= _MAX_SOCKET:
        return wanted
    import hashlib  # here, not at the top: only a deep profile needs it, and it loads OpenSSL
    import tempfile

    digest = hashlib.sha256(str(wanted).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"storeswitch-{os.geteuid()}-{digest}"
