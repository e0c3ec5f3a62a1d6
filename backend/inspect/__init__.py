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

from backend.inspect.impact import impact_sentence
from backend.inspect.inventory import inspect_stores, read_from_disk, read_from_engine
from backend.inspect.model import ContainerRecord, ImageRecord, StoreInventory, human_bytes

__all__ = [
    "ContainerRecord",
    "ImageRecord",
    "StoreInventory",
    "human_bytes",
    "impact_sentence",
    "inspect_stores",
    "read_from_disk",
    "read_from_engine",
]
