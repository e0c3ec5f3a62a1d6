"""The managed target: storeswitch's own dockerd and containerd, the embedded default."""

from __future__ import annotations

import os
from pathlib import Path

from backend.daemon_config import DaemonConfig
from backend.engine.api import EngineClient
from backend.engine.managed import ManagedEngine
from backend.profile import Profile
from backend.stores import Store, StoreRoots, live_store, store_roots


class ManagedTarget:
    name = "managed"
    runs_engine_itself = True
    chooses_snapshotter = True
    saves_without_restart = True
    records_start = True  # start() notes what the engine started with (backend.started_config)

    def __init__(self, profile: Profile, dockerd: str | os.PathLike | None = None, reason: str = "") -> None:
        self.profile = profile
        self.engine = ManagedEngine(profile, dockerd)
        self.reason = reason or "--target managed"

    @property
    def config_path(self) -> Path:
        return self.engine.config_path

    @property
    def host(self) -> str:
        return self.engine.host

    def client(self, timeout: float = 30.0) -> EngineClient:
        return self.engine.client(timeout)

    def read_config(self) -> DaemonConfig:
        return DaemonConfig.load(self.config_path)

    def installed(self) -> tuple[bool, str]:
        return self.engine.installed()

    def validate(self, content: bytes) -> None:
        self.engine.validate(content)

    def stop(self) -> None:
        """Stop dockerd; its containerd keeps running (a switch restarts dockerd alone).

        ``storeswitch engine stop`` stops both, through :meth:`ManagedEngine.stop`.
        """
        self.engine.stop_dockerd()

    def start(self) -> None:
        from backend.started_config import record_start

        try:
            content = self.config_path.read_bytes()
        except OSError:
            content = None
        if self.engine.start():  # it started (or waited for) a dockerd: note what it started with
            record_start(self.profile, self.config_path, content)

    def store_roots(self, info: dict | None) -> dict[Store, StoreRoots]:
        """The classic store's driver is the live one when classic runs, else overlay2."""
        driver = info.get("Driver") if info and live_store(info) is Store.CLASSIC else None
        return store_roots(self.engine.data_root, driver)

    def log_tail(self, lines: int = 50) -> str:
        return self.engine.log_tail(lines)
