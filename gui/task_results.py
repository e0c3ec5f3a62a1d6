"""What the backend tasks hand back to the window: a status report, both stores' contents, an Apply's outcome.

Plain values, made on the worker threads of :mod:`gui.tasks` and read on the GUI thread. A
module of their own, loaded with the first answer: the window's first paint needs none of them
(dataclasses are slow to create: docs/performance.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from backend.stores import Store

if TYPE_CHECKING:
    from backend.status import Status


@dataclass
class StatusReport:
    """What a status probe learned: the backend's Status plus the engine log tail."""

    status: Status
    log_tail: str = ""
    recovered: str | None = None
    recovery_error: str | None = None  # an interrupted switch that could not be recovered, and why


@dataclass
class StoreImpact:
    """Both stores' contents (``backend.inspect``), read off the GUI thread: what a switch hides and shows.

    ``current`` is the store the engine runs, or (engine stopped) the one its config asks for;
    ``engine_running`` says which of the two it is.
    """

    inventories: dict[Store, Any]  # {Store: backend.inspect.StoreInventory}
    current: Store | None
    engine_running: bool
    seconds: float = 0.0


@dataclass
class ApplyRequest:
    """What Apply writes: the draft's daemon.json (if changed) and the Kubernetes setting (if changed)."""

    store: Store | None = None
    content: bytes | None = None
    restart: bool = True
    kubernetes: bool | None = None
    snapshotter: str | None = None  # the containerd store's storage-driver: the switch checks /info says it
    notes: list[str] = field(default_factory=list)  # what the confirmation adds (a storage-driver change)
    force: bool = False  # the user chose "switch anyway" after a refusal that needs it (the CLI's --force)
    bring: Any = None  # backend.bring.BringRequest: images to bring along (gui/bring_list.py), or None


@dataclass
class ApplyOutcome:
    """What Apply did, for the result line."""

    message: str
    switch: Any = None  # backend.switch.SwitchResult, when daemon.json was written
    settings_saved: bool = False
    steps: list[str] = field(default_factory=list)


@dataclass
class ApplyFailure:
    """A refused or failed Apply: the backend's message and the store the engine runs now."""

    message: str
    wanted: Store | None
    running: Store | None
    busy: bool = False  # another switch held the lock
    needs_force: bool = False  # refused until the user decides to switch anyway (exit 6 in the CLI)
