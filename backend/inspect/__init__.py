"""What is in each image store, read from disk (and from the engine for the live store).

The public API, for the CLI, the report and the GUI:

* :func:`inspect_stores` (``target, info=None, *, use_engine=True, sizes=True, progress=None``)
  -> ``{Store: StoreInventory}``; never raises for a damaged store; run it off the GUI thread.
* :func:`impact_sentence` (``inventories, live_store, store_after``) -> the ``switchImpact`` text.
* :class:`StoreInventory`, :class:`ImageRecord`, :class:`ContainerRecord`, :func:`human_bytes`.

Modules: ``bbolt`` (read-only bbolt reader), ``classic`` and ``containerd`` (each store's files),
``containers`` (``config.v2.json`` of both), ``sizes`` (``du``-like bytes, free space),
``inventory`` (both stores together), ``impact`` (the sentence).
"""

# Loaded on first use (PEP 562): the window shows figures with ``model.human_bytes`` before its
# first paint, and importing the readers with it (bbolt, hashlib, threads) would slow that paint.
_HOMES = {
    "impact_sentence": "backend.inspect.impact",
    "inspect_stores": "backend.inspect.inventory",
    "read_from_disk": "backend.inspect.inventory",
    "read_from_engine": "backend.inspect.inventory",
    "ContainerRecord": "backend.inspect.model",
    "ImageRecord": "backend.inspect.model",
    "StoreInventory": "backend.inspect.model",
    "human_bytes": "backend.inspect.model",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_HOMES[name]), name)
    globals()[name] = value
    return value
