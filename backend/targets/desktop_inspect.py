"""Docker Desktop's two stores, where they are: inside its VM.

On the other targets :func:`backend.inspect.inspect_stores` reads the hidden store from disk and
measures both on disk. Docker Desktop's engine and both its stores live inside Desktop's VM, and
the paths ``/info`` names (``/var/lib/docker``) are the VM's, not the host's: reading or
measuring them on the host would show another engine's files, or nothing, as if they were
Desktop's. So here:

- the live store is listed through the engine (``/images/json?all=1``, ``/containers/json?all=1``)
  and its size is the engine's own figure (``/system/df``'s ``LayersSize``, counted inside the VM);
- the hidden store is reported as not readable: it is inside the VM and cannot be read from the
  host; its contents show again after a switch back;
- with Docker Desktop stopped, neither store can be read.

No host path is given as a store root, so no host figure (size, free space) is presented as the VM's.
"""

from __future__ import annotations

from typing import Any, Callable

from backend.errors import EngineError
from backend.inspect.inventory import ask_info, inventory_from_lists
from backend.inspect.model import StoreInventory
from backend.stores import Store, StoreRoots, live_store

IN_VM = "inside Docker Desktop's VM"
HIDDEN_NOTE = f"{IN_VM}: it cannot be read from the host; its images and containers show again after a switch to it"
STOPPED_NOTE = f"{IN_VM}, whose engine does not answer: not readable from the host"
SIZE_NOTE = "its size is the engine's own count (/system/df), not a walk of host files"

Progress = Callable[[str, str], None]


def unreadable(store: Store, note: str) -> StoreInventory:
    return StoreInventory(store, [], source="not readable from the host", readable=False, notes=[note])


def engine_bytes(client: Any) -> int | None:
    """``/system/df``'s ``LayersSize``: what the live store's images take inside the VM (None if not said)."""
    try:
        data = client.request("GET", "/system/df", params={"type": "image"}).json()
    except (EngineError, ValueError):
        return None
    size = data.get("LayersSize") if isinstance(data, dict) else None
    return size if isinstance(size, int) and not isinstance(size, bool) else None


def inspect_desktop_stores(
    target: Any,
    info: dict[str, Any] | None,
    *,
    use_engine: bool = True,
    sizes: bool = True,
    progress: Progress,
    listing: Any = None,
) -> dict[Store, StoreInventory]:
    """Both stores of Docker Desktop: the live one through its engine, the hidden one said to be out of reach."""
    if info is None and use_engine:
        info = ask_info(target, progress, "Asking Docker Desktop's engine…")
    if info is None or not use_engine:
        progress("done", "Docker Desktop's stores are inside its VM.")
        return {store: unreadable(store, STOPPED_NOTE) for store in Store}
    live = live_store(info)
    roots = StoreRoots(live, (), (IN_VM,))
    progress("engine", f"Listing the {live.title}'s images and containers from Docker Desktop's engine…")
    found: dict[Store, StoreInventory] = {}
    try:
        with target.client(timeout=30) as client:
            if listing is not None:
                images, containers = listing.result()
            else:
                images, containers = client.images(all=True), client.containers(all=True)
            inv = inventory_from_lists(live, roots, images, containers, str(info.get("Driver") or ""))
            if sizes:
                progress(f"bytes-{live.value}", f"Asking the engine how much the {live.title} takes…")
                inv.bytes = engine_bytes(client)
                if inv.bytes is not None:
                    inv.notes.append(SIZE_NOTE)
        found[live] = inv
    except EngineError as exc:
        found[live] = unreadable(live, f"{IN_VM}, and the engine did not list it ({exc})")
    found[live.other] = unreadable(live.other, HIDDEN_NOTE)
    progress("done", "Stores inspected.")
    return {store: found[store] for store in Store}
