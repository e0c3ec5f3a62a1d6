"""What ``storeswitch status`` reports: configured vs live store, the engine, both stores' roots.

Gathered the same way for the CLI, the GUI's status line and diagnostics. Never raises for an
engine that is down or not installed: those are states to report, not errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backend.errors import ConfigError, EngineError
from backend.stores import Store, driver_type, live_store, store_phrase, wasm_runtimes

if TYPE_CHECKING:
    from backend.engine.api import EngineAnswers
    from backend.profile import Profile
    from backend.targets.base import Target

STATUS_SCHEMA = 1  # bump for a renamed or removed field; added fields need no bump


@dataclass
class EngineState:
    host: str
    reachable: bool = False
    installed: bool = True
    install_message: str = ""
    version: str | None = None
    api_version: str | None = None
    driver: str | None = None
    driver_type: str | None = None
    error: str | None = None
    runtimes: list[str] = field(default_factory=list)  # /info Runtimes, by name
    wasm_runtimes: list[str] = field(default_factory=list)  # those of them that run WebAssembly
    info: dict[str, Any] = field(default_factory=dict, repr=False)
    version_info: dict[str, Any] = field(default_factory=dict, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "reachable": self.reachable,
            "installed": self.installed,
            "install_message": self.install_message,
            "version": self.version,
            "api_version": self.api_version,
            "driver": self.driver,
            "driver_type": self.driver_type,
            "error": self.error,
            "runtimes": self.runtimes,
            "wasm_runtimes": self.wasm_runtimes,
            "store_phrase": self.store_phrase,
        }

    @property
    def store_phrase(self) -> str:
        """The status line's words, e.g. "containerd store, snapshotter stargz" (Driver as reported)."""
        return store_phrase(self.info) if self.reachable else "engine not running"


@dataclass
class Status:
    target: str
    target_reason: str
    config_path: str
    configured_store: Store | None
    config_error: str | None
    engine: EngineState
    live_store: Store | None
    stores: dict[str, dict[str, Any]]
    profile: dict[str, str]
    switch_in_progress: bool
    last_switch: dict[str, Any] | None
    recovered: str | None = None
    storage_driver: str | None = None  # daemon.json storage-driver (the snapshotter on containerd)
    wasm_runtimes: list[str] = field(default_factory=list)  # daemon.json runtimes and /info Runtimes
    configured_by: str | None = None  # why configured_store (backend.store_choice): the key, or the engine's default rule
    store_notes: list[str] = field(default_factory=list)  # what may change it at the next start (prior dir, migration)
    # what restarts the engine (system, rootless): {"name", "restart", "reason"}; None for the others
    service_manager: dict[str, Any] | None = None
    desktop: dict[str, Any] | None = None  # Docker Desktop only: settings API or file, its Kubernetes
    runs_engine_itself: bool = False  # the target's ability: storeswitch starts this engine (not in --json)

    @property
    def pending_restart(self) -> bool:
        return self.live_store is not None and self.configured_store is not None and self.live_store is not self.configured_store

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": STATUS_SCHEMA,
            "target": self.target,
            "target_reason": self.target_reason,
            "config_path": self.config_path,
            "configured_store": self.configured_store.value if self.configured_store else None,
            "configured_by": self.configured_by,
            "store_notes": self.store_notes,
            "config_error": self.config_error,
            "live_store": self.live_store.value if self.live_store else None,
            "pending_restart": self.pending_restart,
            "engine": self.engine.as_dict(),
            "stores": self.stores,
            "profile": self.profile,
            "switch_in_progress": self.switch_in_progress,
            "last_switch": self.last_switch,
            "recovered": self.recovered,
            "storage_driver": self.storage_driver,
            "store_phrase": self.engine.store_phrase,
            "wasm_runtimes": self.wasm_runtimes,
            "service_manager": self.service_manager,
            "desktop": self.desktop,
        }


def probe_engine(target: Target, timeout: float = 5.0, engine: EngineAnswers | None = None) -> EngineState:
    """The engine's state; *engine*: its ``/version`` and ``/info`` when the caller asked already."""
    state = EngineState(host=target.host)
    state.installed, state.install_message = target.installed()
    if engine is None:
        try:
            with target.client(timeout=timeout) as client:
                state.version_info = client.version()
                state.info = client.info()
        except EngineError as exc:
            state.error = str(exc)
            return state
    else:
        engine.wait()
        state.version_info = engine.version or {}
        if engine.error is not None:
            state.error = str(engine.error)
            return state
        state.info = engine.info or {}
    state.reachable = True
    state.version = state.version_info.get("Version")
    state.api_version = state.version_info.get("ApiVersion")
    state.driver = state.info.get("Driver")
    state.driver_type = driver_type(state.info)
    runtimes = state.info.get("Runtimes")
    if isinstance(runtimes, dict):
        state.runtimes = sorted(str(name) for name in runtimes)
        state.wasm_runtimes = wasm_runtimes(runtimes)
    return state


def gather_status(
    target: Target, profile: Profile, recovered: str | None = None, engine: EngineAnswers | None = None
) -> Status:
    """The whole status; *engine* as for :func:`probe_engine`."""
    config_error = None
    configured: Store | None = None
    config_data: dict[str, Any] = {}
    try:
        config = target.read_config()
        configured, config_data = config.store, getattr(config, "data", {}) or {}
    except ConfigError as exc:
        config_error = str(exc)
    from backend.journal import SwitchHistory, SwitchJournal  # here: the GUI imports this module for its first paint

    engine = probe_engine(target, engine=engine)
    live = live_store(engine.info) if engine.reachable else None
    configured_by, store_notes = None, []
    if config_error is None:
        configured, configured_by, store_notes = configured_choice(target, config, config_data, engine)
    roots = target.store_roots(engine.info if engine.reachable else None)
    history = SwitchHistory.load(profile.history_path).as_list()
    return Status(
        target=target.name,
        target_reason=target.reason,
        config_path=str(target.config_path),
        configured_store=configured,
        config_error=config_error,
        engine=engine,
        live_store=live,
        stores={s.value: roots[s].as_dict() for s in Store},
        profile=profile.as_dict(),
        switch_in_progress=SwitchJournal(profile.journal_path).path.exists(),
        last_switch=history[-1] if history else None,
        recovered=recovered,
        storage_driver=config_data.get("storage-driver") if isinstance(config_data.get("storage-driver"), str) else None,
        wasm_runtimes=wasm_runtimes(config_data.get("runtimes"), engine.info.get("Runtimes")),
        configured_by=configured_by,
        store_notes=store_notes,
        service_manager=_service_manager(target),
        desktop=target.desktop_status() if callable(getattr(target, "desktop_status", None)) else None,
        runs_engine_itself=getattr(target, "runs_engine_itself", False),
    )


def configured_choice(target: Target, config: Any, data: dict[str, Any], engine: EngineState) -> tuple[Store | None, str, list[str]]:
    """The store the engine takes at its next start and why: the Engine 29 rule for daemon.json targets.

    The engine's version is the live one, else its dockerd binary's (:mod:`backend.store_choice`).
    Docker Desktop's settings file names its store itself.
    """
    if target.name == "desktop":
        return config.store, f"{target.config_path.name}: the Docker Desktop setting", []
    from backend.known_issues.facts import parse_version
    from backend.store_choice import target_choice

    data_root = engine.info.get("DockerRootDir") if engine.reachable else None
    choice = target_choice(target, data, parse_version(engine.version),
                           Path(data_root) if isinstance(data_root, str) and target.name != "managed" else None)
    return choice.store, choice.configured_by, list(choice.notes)


def _service_manager(target: Target) -> dict[str, Any] | None:
    info = getattr(target, "service_manager_info", None)
    return info() if callable(info) else None


# How a user starts each target's engine (only the managed one is storeswitch's to start).
_START_HINTS = {
    "managed": "start it with `storeswitch engine start`",
    "system": "start it with `sudo systemctl start docker`",
    "rootless": "start it with `systemctl --user start docker`",
    "desktop": "start Docker Desktop",
}


def start_hint(status: Status) -> str:
    """How the user starts the engine: the detected service manager's command for the system engine."""
    sm = status.service_manager
    if status.target == "system" and sm and sm.get("restart") and sm["name"] in ("systemd", "sysv", "openrc"):
        return f"start it with `sudo {sm['restart'].removesuffix(' restart')} start`"
    return _START_HINTS.get(status.target, "start your Docker Engine")


def describe(status: Status) -> list[str]:
    """The human form of a status, a few plain lines."""
    e = status.engine
    lines = [f"target:      {status.target} ({status.target_reason})", f"config:      {status.config_path}"]
    if status.config_error:
        lines.append(f"             ! {status.config_error}")
    else:
        store = status.configured_store.title if status.configured_store else "the engine will not start"
        by = status.configured_by or ""
        lines.append(f"configured:  {by}" if by.startswith("engine default") else f"configured:  {store}" + (f" ({by})" if by else ""))
        lines.extend(f"             note: {note}" for note in status.store_notes)
    if not e.installed:
        lines.append(f"engine:      not installed: {e.install_message}")
    elif e.reachable:
        lines.append(f"engine:      running at {e.host}, Docker {e.version} (API {e.api_version})")
        driver = f"Driver {e.driver}" + (f", {e.driver_type}" if e.driver_type else "")
        lines.append(f"live store:  {status.live_store.title if status.live_store else '?'} ({driver})")
    else:
        lines.append(f"engine:      not running ({e.host}); {start_hint(status)}")
    sm = status.service_manager
    if sm:
        lines.append(f"restart:     {sm['restart'] or 'nothing found'} ({sm['name']}: {sm['reason']})")
    if status.wasm_runtimes:
        lines.append(f"wasm:        {', '.join(status.wasm_runtimes)} (Wasm containers need the containerd store)")
    if status.pending_restart:
        lines.append("             restart pending: the config and the running engine disagree")
    width = max((len(name) for name in status.stores), default=0) + 2  # the paths line up under each other
    for i, (name, store) in enumerate(status.stores.items()):
        notes = f" ({'; '.join(store['notes'])})" if store.get("notes") else ""
        lines.append(f"{'roots:' if i == 0 else '':<13}{name:<{width}}{', '.join(store['roots'])}{notes}")
    if status.desktop:
        d = status.desktop
        lines.append(f"changes:     go to {d['changes_go_to']}")
        if not d["settings_api"]:
            lines.append(f"             ({d['settings_api_reason']})")
        if d.get("kubernetes_enabled") is not None:
            mode = f", mode {d['kubernetes_mode']}" if d.get("kubernetes_mode") else ""
            lines.append(f"kubernetes:  {'on' if d['kubernetes_enabled'] else 'off'} (Docker Desktop's own setting{mode})")
    if status.recovered:
        lines.append(f"recovered:   {status.recovered}")
    return lines
