"""The ``Target`` protocol: one kind of engine storeswitch can switch.

A target knows where its engine's config is, how to reach the engine, and how to stop and start
(or restart) it. Everything else about a switch (journal, verify, rollback) is the same for
every target and lives in :mod:`backend.switch`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from backend.engine.api import EngineClient
from backend.stores import StoreRoots, Store


class StoreConfig(Protocol):
    """The file a target's store choice lives in (daemon.json; Docker Desktop's settings file).

    :class:`backend.daemon_config.DaemonConfig` is the one for daemon.json.
    """

    path: Path
    raw: bytes | None  # the original bytes; None when the file does not exist

    @property
    def store(self) -> Store: ...

    def with_store(self, store: Store, snapshotter: str | None = None) -> bytes:
        """The file's new bytes asking for *store*, every other key kept."""
        ...

    def write(self, content: bytes) -> None: ...


class Target(Protocol):
    name: str
    reason: str  # why this target was chosen (shown by status)
    # What the target can do, read by every front end (never inferred from ``name``):
    runs_engine_itself: bool  # storeswitch starts and stops this engine's processes (`engine start|stop`, "Start engine")
    chooses_snapshotter: bool  # a snapshotter can be chosen in its config (Docker Desktop picks its own)
    saves_without_restart: bool  # its config can be written with no engine restart (not: the system helper)

    @property
    def config_path(self) -> Path: ...

    @property
    def host(self) -> str: ...

    def client(self, timeout: float = 30.0) -> EngineClient: ...

    def read_config(self) -> "StoreConfig":
        """The file that names the store, parsed strictly (raises ConfigError, never writes)."""
        ...

    def installed(self) -> tuple[bool, str]:
        """Whether the engine can be run at all here, and a sentence saying so."""
        ...

    def validate(self, content: bytes) -> None:
        """Raise EngineError with the engine's reason if it would refuse *content* as its config.

        A target that cannot check beforehand does nothing; the restart then decides.
        """
        ...

    def stop(self) -> None: ...

    def start(self) -> None:
        """Start and wait until the engine answers; raise EngineError with its reason if not."""
        ...

    def store_roots(self, info: dict | None) -> dict[Store, StoreRoots]: ...

    def log_tail(self, lines: int = 50) -> str: ...


# --- optional hooks: a target may have these; backend.switch uses them when present ----------
class RestartPlanner(Protocol):
    def restart_plan(self, restart: bool) -> tuple[bool, str]:
        """Whether a switch restarts the engine, and the words for why not.

        Docker Desktop without ``docker desktop restart`` returns ``(False, what to do instead)``,
        so the switch is saved and reported as restart pending. May raise StoreswitchError to
        refuse a combination the target cannot do (``--no-restart`` through the system target's
        privileged helper). Without this hook: ``(restart, "--no-restart was given")``.
        """
        ...


class ConfigRestorer(Protocol):
    def restore_config(self, original: bytes | None) -> None:
        """Put the original config bytes back (None: remove the file), e.g. through a privileged helper.

        Without this hook the rollback writes ``config_path`` itself.
        """
        ...
