"""Doing a short, independent piece of a switch while it waits on the engine.

A switch spends most of its time waiting: for dockerd to exit, to start, to store the probe
image. Work that does not depend on that wait, and that nothing in the wait depends on, can run
beside it instead of before or after it (issue 16: what a switch adds to a plain restart). The
switch uses :func:`beside` for its journal records around the restart: the record that the engine
was stopped is written while the new engine starts, and the one that it started while it is
verified. Recovery decides the same either way: a journal that says ``config-written`` or
``engine-stopped`` is rolled back, and one that says ``engine-started`` or later is finished only
when the engine runs the new store with the new config, which is what the switch checks itself.

Nothing here is a pool: one thread for one call, joined before the caller goes on, its error
re-raised in the caller, so the order of what the user sees and of the journal stays as it was.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")


def beside(side: Callable[[], object], main: Callable[[], T]) -> T:
    """Run *side* in a thread while *main* runs here; return *main*'s result once both ended.

    *main*'s error wins (it is what the user must hear: the engine refused); otherwise *side*'s
    error is raised, after *main* has finished.
    """
    errors: list[BaseException] = []

    def run_side() -> None:
        try:
            side()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller below
            errors.append(exc)

    thread = threading.Thread(target=run_side, name="storeswitch-beside")
    thread.start()
    try:
        result = main()
    finally:
        thread.join()
    if errors:
        raise errors[0]
    return result
