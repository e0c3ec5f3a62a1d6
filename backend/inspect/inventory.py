"""Both stores' contents at once: the live one from the engine, the hidden one from disk.

:func:`inspect_stores` is what the CLI's ``diagnose``, the report and the GUI's ``switchImpact``
call. It never raises for a damaged store or an engine that is down: with no engine both stores
are read from disk; with one, the live store's images and containers come from the engine's API
(what the user sees in ``docker image ls``) and the hidden store's from disk. Bytes and free space
are always measured on disk. :func:`read_from_disk` is also public so that tests and support can
compare the disk reading of the live store with the engine's answer.

Slow on big stores (the byte count walks every file), so it reports progress through a callback
and is meant to run off the GUI thread.

Where the time goes (10,000 synthetic images in each store; figures in docs/performance.md): both
stores' byte counts (110,000 entries) are made by ``find`` in processes of their own
(:mod:`backend.inspect.counting`), the containerd one handing over the blob sizes, while this
process reads the classic images (~40% of its time: a config and a layer ``size`` file per image)
and then the containerd images (~50%: ``meta.db`` through the bbolt reader about half of it, then
one manifest per image). Counting on a thread beside the reading was tried and was slower (the
GIL: both are short system calls between Python steps).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable, Iterable

from backend.errors import EngineError
from backend.inspect.classic import inspect_classic
from backend.inspect.containerd import BLOBS, inspect_containerd
from backend.inspect.containers import read_containers
from backend.inspect.counting import CountApart, worth_apart
from backend.inspect.model import ContainerRecord, ImageRecord, StoreInventory
from backend.inspect.sizes import DiskUsage, disk_usage, free_space
from backend.stores import Store, StoreRoots, live_store
from backend.targets.base import Target

Progress = Callable[[str, str], None]  # (stage id, sentence for people), as backend.switch uses


def _no_progress(stage: str, message: str) -> None:
    pass


def data_root_of(roots: dict[Store, StoreRoots], info: dict[str, Any] | None = None) -> Path:
    """The engine's data-root: from ``/info`` when known, else from the classic roots (``DATA/image/<driver>``)."""
    if info and info.get("DockerRootDir"):
        return Path(info["DockerRootDir"])
    return roots[Store.CLASSIC].roots[0].parent.parent


def classic_driver_of(roots: dict[Store, StoreRoots]) -> str:
    return roots[Store.CLASSIC].roots[0].name


def with_classic_driver_on_disk(roots: dict[Store, StoreRoots], data_root: Path) -> dict[Store, StoreRoots]:
    """The classic roots of the driver actually on disk, when the one assumed has no directory.

    With the containerd store live, ``/info`` no longer names the classic driver and the target
    assumes ``overlay2``; a host that used ``vfs`` or ``btrfs`` keeps its images in
    ``DATA/image/<that driver>``. If exactly one such directory exists, it is the one.
    """
    image_dir = roots[Store.CLASSIC].roots[0]
    try:
        if image_dir.exists():
            return roots
        drivers = [p.name for p in (Path(data_root) / "image").iterdir() if p.is_dir()]
    except OSError:
        return roots
    if len(drivers) != 1:
        return roots
    driver = drivers[0]
    note = f"classic driver {driver!r} found on disk ({image_dir} does not exist)"
    classic = StoreRoots(Store.CLASSIC, (Path(data_root) / "image" / driver, Path(data_root) / driver), (note,))
    return {**roots, Store.CLASSIC: classic}


def read_from_disk(
    roots: dict[Store, StoreRoots],
    data_root: Path,
    progress: Progress = _no_progress,
    image_sizes: bool = True,
    stores: tuple[Store, ...] = (Store.CLASSIC, Store.CONTAINERD),
    listed: Mapping[str, dict[str, int]] | None = None,
) -> dict[Store, StoreInventory]:
    """Images and containers of *stores* from their files; bytes not measured (see :func:`measure`).

    *listed*: directory listings the byte count read already (:func:`measure_roots`), reused for
    the containerd store's blob sizes.
    """
    found: dict[Store, StoreInventory] = {}
    if Store.CLASSIC in stores:
        progress("classic", "Reading the classic store's images…")
        croots = roots[Store.CLASSIC]
        found[Store.CLASSIC] = _unless_denied(Store.CLASSIC, croots, lambda: inspect_classic(croots.roots[0], [str(p) for p in croots.roots]))
        found[Store.CLASSIC].notes.extend(croots.notes)
    if Store.CONTAINERD in stores:
        progress("containerd", "Reading the containerd store's images…")
        croots = roots[Store.CONTAINERD]
        inv = _unless_denied(Store.CONTAINERD, croots, lambda: inspect_containerd(
            croots.roots[0], [str(p) for p in croots.roots], with_sizes=image_sizes, listed=listed))
        inv.notes.extend(croots.notes)
        found[Store.CONTAINERD] = inv
    progress("containers", "Reading the containers…")
    try:
        containers, errors = read_containers(Path(data_root) / "containers", classic_driver_of(roots))
    except PermissionError as exc:
        containers, errors = {s: [] for s in Store}, [_denied(exc)]
    for inv in found.values():
        inv.containers = containers[inv.store]
        inv.errors.extend(errors)
    return found


def _denied(exc: PermissionError) -> str:
    where = exc.filename or "the engine's files"
    return (f"{where}: permission denied (a system engine's files belong to root: "
            "run `sudo storeswitch diagnose` to read the hidden store)")


def _unless_denied(store: Store, roots: StoreRoots, read: Callable[[], StoreInventory]) -> StoreInventory:
    """*read()*, or an inventory that says the files could not be read (an ordinary user and a system engine)."""
    try:
        return read()
    except PermissionError as exc:
        return StoreInventory(store, [str(p) for p in roots.roots], errors=[_denied(exc)])


def scan_disk(
    roots: dict[Store, StoreRoots],
    data_root: Path,
    progress: Progress = _no_progress,
    stores: tuple[Store, ...] = (Store.CLASSIC, Store.CONTAINERD),
) -> dict[Store, StoreInventory]:
    """:func:`read_from_disk` and :func:`measure` in one: the bytes first, whose walk hands the
    containerd store's blob sizes to the reading (the same files, not stat'ed twice)."""
    with RootCounts(stores, roots, progress) as counts:
        inventories = read_from_disk(roots, data_root, progress, stores=stores, listed=counts.listings())
        usages = counts.result()
    for store, inv in inventories.items():
        apply_usage(inv, *usages[store])
    return inventories


def read_from_engine(client, store: Store, roots: StoreRoots, driver: str = "") -> StoreInventory:
    """The live store's images and containers as the engine lists them (raises EngineError)."""
    return inventory_from_lists(store, roots, client.images(all=True), client.containers(all=True), driver)


class EngineListing:
    """``GET /images/json?all=1`` and ``/containers/json?all=1``, asked in a thread from now on.

    On the containerd store the engine takes its time over the image list (it works out each
    image's size: over a second for 300 images), so ``diagnose`` asks as soon as it can talk to
    the engine, before it even knows which store is live, and reads the disk meanwhile.
    :meth:`result` gives the two lists or raises the :class:`EngineError`. A listing nobody
    collects (the engine turned out unusable) ends on its own: the thread is a daemon.
    """

    def __init__(self, target: Target, timeout: float = 30) -> None:
        self._lists: dict[str, list] = {}
        self._errors: list[BaseException] = []
        # The two lists are asked side by side: the containers' does not wait behind the images'.
        self._threads = [
            threading.Thread(target=self._ask, args=(target, timeout, what), name=f"storeswitch-list-{what}", daemon=True)
            for what in ("images", "containers")
        ]
        for thread in self._threads:
            thread.start()

    def _ask(self, target: Target, timeout: float, what: str) -> None:
        try:
            with target.client(timeout=timeout) as client:
                self._lists[what] = client.images(all=True) if what == "images" else client.containers(all=True)
        except BaseException as exc:  # noqa: BLE001 - handed to result()
            self._errors.append(exc)

    def result(self) -> tuple[list, list]:
        for thread in self._threads:
            thread.join()
        if self._errors:
            raise self._errors[0]
        return self._lists["images"], self._lists["containers"]


def inventory_from_lists(store: Store, roots: StoreRoots, images: list, containers: list, driver: str = "") -> StoreInventory:
    """The live store's inventory from the engine's image and container lists."""
    inv = StoreInventory(store, [str(p) for p in roots.roots], source="engine", notes=list(roots.notes))
    for image in images:
        image_id = str(image.get("Id") or "")
        size = image.get("Size") if isinstance(image.get("Size"), int) else None
        tags = [t for t in (image.get("RepoTags") or []) if t and t != "<none>:<none>"]
        if tags:
            inv.images.extend(ImageRecord(t, image_id, size) for t in sorted(tags))
        else:
            inv.images.append(ImageRecord(None, image_id, size))
    for c in containers:
        names = c.get("Names") or [""]
        inv.containers.append(
            ContainerRecord(
                id=str(c.get("Id") or ""),
                name=str(names[0]).lstrip("/"),
                image=str(c.get("Image") or ""),
                driver=driver,
                state=str(c.get("State") or ""),
            )
        )
    return inv


class RootCounts:
    """The bytes (``du -sb``) and free space of some stores' roots, a big store's counted by a
    process of its own while this one reads the images (:mod:`backend.inspect.counting`).

    Made, it has started the counts made apart and made the others (:func:`disk_usage`). The
    containerd store's count keeps its blob directories' listings for the reading
    (:meth:`listings`, which waits for that count only when first read). :meth:`result` collects
    them all. A context manager: leaving it stops a count still running.
    """

    def __init__(self, stores: Iterable[Store], roots: dict[Store, StoreRoots], progress: Progress = _no_progress) -> None:
        self.stores = tuple(stores)
        self.counted: dict[Store, DiskUsage] = {}
        self.apart: dict[Store, CountApart] = {}
        self.free: dict[Store, int | None] = {}
        here: list[tuple[Store, tuple[str, ...], Callable[[int], None]]] = []
        try:
            for store in self.stores:  # the counts apart first, so that they run while this one counts
                progress(f"bytes-{store.value}", f"Measuring the {store.title} on disk…")

                def tick(files: int, store: Store = store) -> None:
                    progress(f"bytes-{store.value}", f"Measuring the {store.title} on disk… {files:,} files")

                blobs = (str(Path(roots[store].roots[0]) / BLOBS),) if store is Store.CONTAINERD else ()
                if worth_apart(roots[store].roots, blobs):
                    self.apart[store] = CountApart(roots[store].roots, tick, blobs)
                else:
                    here.append((store, blobs, tick))
            for store, blobs, tick in here:
                self.counted[store] = disk_usage(roots[store].roots, tick, record_under=blobs)
            for store in self.stores:
                self.free[store] = free_space(roots[store].roots)[0]
        except BaseException:
            self.close()
            raise

    def listings(self) -> Mapping[str, dict[str, int]]:
        """The directory listings the counts kept, for :func:`read_from_disk` (waited for when first read)."""
        return _Listings(self)

    def usage(self, store: Store) -> DiskUsage:
        """One store's count (waits for it if it is made apart)."""
        if store not in self.counted:
            self.counted[store] = self.apart[store].result()
        return self.counted[store]

    def result(self) -> dict[Store, tuple[DiskUsage, int | None]]:
        """Each store's count and free space (waits for the counts made apart)."""
        return {store: (self.usage(store), self.free[store]) for store in self.stores}

    def close(self) -> None:
        for count in self.apart.values():
            count.close()

    def __enter__(self) -> RootCounts:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _Listings(Mapping[str, dict[str, int]]):
    """:meth:`RootCounts.listings`: only the containerd store's count keeps any, so only it is waited for."""

    def __init__(self, counts: RootCounts) -> None:
        self._counts = counts
        self._found: dict[str, dict[str, int]] | None = None

    def _all(self) -> dict[str, dict[str, int]]:
        if self._found is None:
            kept = [self._counts.usage(s).listed for s in self._counts.stores if s is Store.CONTAINERD]
            self._found = {path: sizes for listed in kept for path, sizes in listed.items()}
        return self._found

    def __getitem__(self, path: str) -> dict[str, int]:
        return self._all()[path]

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


def measure_roots(
    stores: Iterable[Store], roots: dict[Store, StoreRoots], progress: Progress = _no_progress
) -> dict[Store, tuple[DiskUsage, int | None]]:
    """The bytes (``du -sb``) and free space of each store's roots; the containerd store's walk
    keeps its blob directories' listings (see :func:`listings`)."""
    with RootCounts(stores, roots, progress) as counts:
        return counts.result()


def listings(usages: dict[Store, tuple[DiskUsage, int | None]]) -> dict[str, dict[str, int]]:
    """The directory listings the byte count kept, for :func:`read_from_disk`."""
    return {path: sizes for usage, _ in usages.values() for path, sizes in usage.listed.items()}


def apply_usage(inv: StoreInventory, usage: DiskUsage, free_bytes: int | None) -> None:
    """Fill in ``bytes`` and ``free_bytes`` of *inv*, with a sentence in ``errors`` if the count is a lower bound."""
    inv.bytes = usage.bytes
    if usage.errors:
        inv.errors.append(f"{len(usage.errors)} path(s) under the {inv.store.title}'s roots could not be read; its size is a lower bound (first: {usage.errors[0]})")
    inv.free_bytes = free_bytes


def measure(inventories: dict[Store, StoreInventory], roots: dict[Store, StoreRoots], progress: Progress = _no_progress) -> None:
    """Fill in ``bytes`` and ``free_bytes`` of each inventory from its roots."""
    for store, (usage, free) in measure_roots(tuple(inventories), roots, progress).items():
        apply_usage(inventories[store], usage, free)


def _list_live(
    target: Target, live: Store, roots, info, progress: Progress, listing: EngineListing | None = None
) -> tuple[StoreInventory | None, str]:
    progress("engine", f"Listing the {live.title}'s images and containers from the engine…")
    driver = str(info.get("Driver") or "")
    try:
        if listing is not None:
            images, containers = listing.result()
            return inventory_from_lists(live, roots[live], images, containers, driver), ""
        with target.client(timeout=30) as client:
            return read_from_engine(client, live, roots[live], driver), ""
    except EngineError as exc:
        return None, f"the engine did not list the live store ({exc}); figures read from disk"


def ask_info(target: Target, progress: Progress, sentence: str = "Asking the engine…") -> dict[str, Any] | None:
    """The engine's ``/info``, or None when it does not answer."""
    progress("engine", sentence)
    try:
        with target.client(timeout=10) as client:
            return client.info()
    except EngineError:
        return None


def inspect_stores(
    target: Target,
    info: dict[str, Any] | None = None,
    *,
    use_engine: bool = True,
    sizes: bool = True,
    progress: Progress = _no_progress,
    listing: EngineListing | None = None,
) -> dict[Store, StoreInventory]:
    """Both stores of *target*: ``{Store.CLASSIC: StoreInventory, Store.CONTAINERD: StoreInventory}``.

    *info* is the engine's ``/info`` when the caller has it (saves a call); with ``None`` and
    *use_engine*, the engine is asked, and an engine that does not answer means both stores are
    read from disk. ``sizes=False`` skips the byte count (fast; ``bytes`` stays None).
    *progress* may be called from a worker thread (a Qt signal's ``emit`` is fine). *listing*:
    the engine's lists when the caller asked for them already (:class:`EngineListing`).
    """
    own = getattr(target, "inspect_stores", None)  # a target whose stores are not on this host (Docker Desktop)
    if callable(own):
        return own(info, use_engine=use_engine, sizes=sizes, progress=progress, listing=listing)
    if info is None and use_engine:
        info = ask_info(target, progress)
    roots = target.store_roots(info)
    data_root = data_root_of(roots, info)
    roots = with_classic_driver_on_disk(roots, data_root)
    live = live_store(info) if info is not None and use_engine else None
    with ThreadPoolExecutor(max_workers=1) as pool:
        # The engine takes tens of milliseconds to list a store (the containerd store computes
        # sizes); the byte counts and the disk reading of the other store go on meanwhile.
        listed = pool.submit(_list_live, target, live, roots, info, progress, listing) if live else None
        with RootCounts(tuple(Store) if sizes else (), roots, progress) as counts:
            known = counts.listings()
            inventories = read_from_disk(roots, data_root, progress, stores=tuple(s for s in Store if s is not live), listed=known)
            if listed is not None:
                inv, note = listed.result()
                if inv is None:
                    inv = read_from_disk(roots, data_root, progress, stores=(live,), listed=known)[live]
                    inv.notes.append(note)
                inventories[live] = inv
            for store, (usage, free) in counts.result().items():
                apply_usage(inventories[store], usage, free)
    inventories = {s: inventories[s] for s in Store}
    progress("done", "Stores inspected.")
    return inventories
