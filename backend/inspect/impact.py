"""The sentence the GUI's ``switchImpact`` shows before a switch: what will be hidden, what will show.

For example: "12 images and 3 containers (4.2 GB) in the classic store will be hidden, not
deleted. The containerd store holds 2 images (310 MB)." Plain words, counts with the right
singular or plural, sizes as the docker CLI prints them. The figures come from
:func:`backend.inspect.inventory.inspect_stores`; this module only words them.
"""

from __future__ import annotations

from backend.inspect.model import StoreInventory, human_bytes, plural
from backend.stores import Store


def _contents(inv: StoreInventory) -> str:
    """'12 images and 3 containers' / '2 images' / '1 container'."""
    parts = []
    if inv.image_count or not inv.container_count:
        parts.append(plural(inv.image_count, "image"))
    if inv.container_count:
        parts.append(plural(inv.container_count, "container"))
    return " and ".join(parts)


def _size(inv: StoreInventory) -> str:
    size = inv.bytes if inv.bytes is not None else (inv.images_bytes or None)
    return f" ({human_bytes(size)})" if size is not None else ""


def _empty(inv: StoreInventory) -> bool:
    return inv.image_count == 0 and inv.container_count == 0


def impact_sentence(inventories: dict[Store, StoreInventory], live_store: Store | None, store_after: Store) -> str:
    """What switching from *live_store* to *store_after* hides and shows, in one or two sentences.

    *live_store* is the store the engine runs now (the configured one when the engine is down);
    None when unknown, in which case the sentence describes both stores without predicting.
    """
    unread = [inv for inv in inventories.values() if not inv.readable]
    inventories = {s: inv for s, inv in inventories.items() if inv.readable}
    notes = [inv.notes[0] if inv.notes else "not readable from here" for inv in unread]
    if len(unread) > 1 and len(set(notes)) == 1:
        out_of_reach = f"The {' and the '.join(inv.store.title for inv in unread)} are {notes[0]}."
    else:
        out_of_reach = " ".join(f"The {inv.store.title} is {note}." for inv, note in zip(unread, notes))
    text = _sentence(inventories, live_store, store_after, {inv.store for inv in unread})
    return " ".join(t for t in (text, out_of_reach) if t)


def _sentence(inventories: dict[Store, StoreInventory], live_store: Store | None, store_after: Store,
              unread: set[Store] = frozenset()) -> str:
    after = inventories.get(store_after)
    before = inventories.get(live_store) if live_store is not None else None
    if live_store is None:
        other = inventories.get(store_after.other)
        parts = []
        for inv in (other, after):
            if inv is not None:
                parts.append(f"The {inv.store.title} holds {_contents(inv)}{_size(inv)}.")
        return " ".join(parts) or ("" if unread else "The contents of the stores are not known yet.")
    if live_store is store_after:
        first = f"The engine already uses the {store_after.title}; nothing will be hidden."
        other = inventories.get(store_after.other)
        if other is None:
            return first
        if _empty(other):
            return f"{first} The {other.store.title} is empty."
        return f"{first} The {other.store.title} holds {_contents(other)}{_size(other)}, hidden while it is not in use."
    sentences = []
    if before is None and live_store in unread:
        pass  # said after this sentence: where it is
    elif before is None:
        sentences.append(f"The contents of the {live_store.title} are not known; nothing in it is deleted by a switch.")
    elif _empty(before):
        sentences.append(f"The {live_store.title} holds no images or containers; nothing will be hidden.")
    else:
        sentences.append(f"{_contents(before)}{_size(before)} in the {live_store.title} will be hidden, not deleted.")
    if after is None and store_after in unread:
        pass
    elif after is None:
        sentences.append(f"The contents of the {store_after.title} are not known yet.")
    elif _empty(after):
        sentences.append(f"The {store_after.title} is empty: you will start with no images.")
    else:
        sentences.append(f"The {store_after.title} holds {_contents(after)}{_size(after)}.")
    unreadable = [inv.store.title for inv in (before, after) if inv is not None and inv.errors]
    if unreadable:
        sentences.append(f"Some files of the {' and the '.join(unreadable)} could not be read: the figures may be low.")
    text = " ".join(sentences)
    return text[:1].upper() + text[1:]
