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


def running_store(target: Any, timeout: float = 10.0) -> Store | None:
    """The store *target*'s engine runs now, or None when it does not answer.

    The one place this question is asked (the switch, recovery, the known-issue gate, the policy,
    the GUI after a refusal): a stopped or hung engine is None, never an exception.
    """
    from backend.errors import EngineError

    try:
        with target.client(timeout=timeout) as client:
            return live_store(client.info())
    except EngineError:
        return None


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


# --- what the containerd store enables: snapshotters, and the names the two stores know ------
DEFAULT_SNAPSHOTTER = "overlayfs"
# ``storage-driver`` names a graph driver on the classic store and a snapshotter on the containerd
# store. The classic store refuses to start with a name it does not have ("error initializing
# graphdriver: driver not supported: native", seen here), so these are the names it does have
# (Engine 23-26 on Linux and Windows; devicemapper and aufs were removed in 25 but older engines
# may still run them).
CLASSIC_GRAPH_DRIVERS = frozenset(
    {"overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs", "devicemapper", "aufs", "overlay", "windowsfilter"}
)
# A classic graph driver name the containerd store has no snapshotter for, mapped to the
# snapshotter that does the same job and is containerd's default: with the containerd store on
# and ``storage-driver: overlay2``, dockerd starts but storing an image fails with "snapshotter not
# loaded: overlay2" (seen here), so a switch to containerd drops it rather than keep a broken name.
CLASSIC_ONLY_DEFAULTS = frozenset({"overlay2"})


def store_phrase(info: Mapping[str, Any] | None) -> str:
    """How the status line names what the engine runs, with ``Driver`` exactly as reported.

    ``"containerd store, snapshotter stargz"`` / ``"classic store, storage driver overlay2"``;
    ``"engine not running"`` without ``/info``.
    """
    if not info:
        return "engine not running"
    store = live_store(info)
    driver = info.get("Driver")
    if not driver:
        return store.title
    kind = "snapshotter" if store is Store.CONTAINERD else "storage driver"
    return f"{store.title}, {kind} {driver}"


# Containerd shims that run WebAssembly (runwasi and friends). A runtime counts as Wasm when its
# name or its ``runtimeType`` is one of these or mentions "wasm".
WASM_SHIMS = ("wasmedge", "wasmtime", "wasmer", "wamr", "spin", "slight", "wws", "lunatic")


def is_wasm_runtime(name: str, spec: Any = None) -> bool:
    candidates = [str(name)]
    if isinstance(spec, Mapping) and spec.get("runtimeType"):
        candidates.append(str(spec["runtimeType"]))
    for text in candidates:
        low = text.lower()
        if "wasm" in low:
            return True
        # io.containerd.spin.v2 -> "spin"; a bare name like "spin" counts too
        parts = low.split(".")
        shim = parts[2] if len(parts) >= 4 and parts[:2] == ["io", "containerd"] else low
        if shim in WASM_SHIMS:
            return True
    return False


def wasm_runtimes(*runtime_maps: Any) -> list[str]:
    """The Wasm runtimes among ``/info`` ``Runtimes`` and daemon.json ``runtimes``, sorted, unique."""
    found: set[str] = set()
    for runtimes in runtime_maps:
        if isinstance(runtimes, Mapping):
            found.update(str(n) for n, spec in runtimes.items() if is_wasm_runtime(n, spec))
    return sorted(found)
