"""The two image stores, as the engine and the disk know them.

Named ``classic`` and ``containerd`` everywhere (CLI, JSON, GUI). Which store an engine *runs*
is read from ``/info``: the containerd store reports ``driver-type
io.containerd.snapshotter.v1`` in ``DriverStatus``. The ``Driver`` name alone cannot decide it
(with the containerd store on and ``storage-driver: overlay2``, ``Driver`` says ``overlay2``).
Which store an engine is *configured* for is ``features.containerd-snapshotter`` in daemon.json,
read only at daemon start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Mapping

SNAPSHOTTER_DRIVER_TYPE = "io.containerd.snapshotter.v1"
FEATURE_KEY = "containerd-snapshotter"
DEFAULT_CLASSIC_DRIVER = "overlay2"
SYSTEM_CONTAINERD_ROOT = Path("/var/lib/containerd")


class Store(str, Enum):
    CLASSIC = "classic"
    CONTAINERD = "containerd"

    @property
    def other(self) -> "Store":
        return Store.CLASSIC if self is Store.CONTAINERD else Store.CONTAINERD

    @property
    def title(self) -> str:
        return "classic store" if self is Store.CLASSIC else "containerd store"

    def __str__(self) -> str:  # argparse and f-strings show the plain name
        return self.value


def driver_type(info: Mapping[str, Any]) -> str | None:
    for pair in info.get("DriverStatus") or []:
        if isinstance(pair, (list, tuple)) and len(pair) == 2 and pair[0] == "driver-type":
            return str(pair[1])
    return None


def live_store(info: Mapping[str, Any]) -> Store:
    """The store a running engine uses, from its ``/info``."""
    return Store.CONTAINERD if driver_type(info) == SNAPSHOTTER_DRIVER_TYPE else Store.CLASSIC


def configured_store(config: Mapping[str, Any], default: Store = Store.CLASSIC) -> Store:
    """The store daemon.json asks for. Engines before 29 default to classic when unset."""
    features = config.get("features")
    if isinstance(features, Mapping) and FEATURE_KEY in features:
        return Store.CONTAINERD if features[FEATURE_KEY] is True else Store.CLASSIC
    return default


@dataclass(frozen=True)
class StoreRoots:
    """The directories that hold one store's images (and, for containers, its layers)."""

    store: Store
    roots: tuple[Path, ...]
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {"roots": [str(p) for p in self.roots], "notes": list(self.notes)}


def store_roots(
    data_root: Path,
    classic_driver: str | None = None,
    system_containerd_root: Path | None = None,
) -> dict[Store, StoreRoots]:
    """Both stores' roots for an engine with *data_root*.

    ``system_containerd_root`` is given when dockerd uses a system containerd (docker-ce on most
    distributions) instead of supervising its own: then the containerd store lives there, in
    namespace ``moby``, and ``data-root`` does not move it.
    """
    data_root = Path(data_root)
    driver = classic_driver or DEFAULT_CLASSIC_DRIVER
    classic = StoreRoots(Store.CLASSIC, (data_root / "image" / driver, data_root / driver))
    if system_containerd_root is not None:
        containerd = StoreRoots(
            Store.CONTAINERD,
            (Path(system_containerd_root),),
            ("system containerd, namespace moby: not moved by data-root",),
        )
    else:
        containerd = StoreRoots(Store.CONTAINERD, (data_root / "containerd" / "daemon",))
    return {Store.CLASSIC: classic, Store.CONTAINERD: containerd}
