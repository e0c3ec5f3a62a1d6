"""Checks that a switched engine really runs the store it was asked for.

``verify_store`` is what every switch runs before it declares success. It reads ``/info``
(driver-type decides the store, never the Driver name).
"""

from __future__ import annotations

from backend.engine.api import EngineClient
from backend.errors import EngineError
from backend.stores import Store, live_store


class VerificationFailed(EngineError):
    """The engine is up but does not work on the requested store; the text is the engine's reason."""


def verify_store(client: EngineClient, wanted: Store) -> dict:
    """Return ``/info`` if the engine runs *wanted*; raise :class:`VerificationFailed` if not."""
    info = client.info()
    got = live_store(info)
    if got is not wanted:
        raise VerificationFailed(
            f"the engine came up on the {got.title} (Driver {info.get('Driver')!r}) instead of the {wanted.title}"
        )
    return info
