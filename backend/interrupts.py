"""Ctrl-C (SIGINT) and SIGTERM during a switch: finish or roll back first, then exit.

Python's default turns SIGINT into KeyboardInterrupt wherever the switch happens to be, which
used to leave the engine stopped (or on the new store with the journal still open) until some
later command recovered it. While :func:`deferred` is active, the first signal only asks the
switch to end safely (:meth:`backend.switch.SwitchTransaction.interrupt`) and says so; a second
one prints what state things are in now and that the switch is still finishing (a SIGKILL is
left to the next command's recovery, as always).
"""

from __future__ import annotations

import signal
import sys
import threading
from contextlib import contextmanager
from typing import Callable, Iterator

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def deferred(on_first: Callable[[], None], state: Callable[[], str]) -> Iterator[list[int]]:
    """Defer SIGINT/SIGTERM inside the block; yields the list of signals received.

    *on_first* runs on the first signal; *state* words the current state for the second and later
    ones. Only the main thread can install handlers: elsewhere (the GUI's worker threads) this
    does nothing.
    """
    received: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield received
        return

    def handler(signum: int, _frame) -> None:
        received.append(signum)
        name = signal.Signals(signum).name
        if len(received) == 1:
            print(f"storeswitch: {name}: ending the switch safely (rolled back if the engine was not stopped yet, "
                  "else finished); please wait…", file=sys.stderr, flush=True)
            on_first()
        else:
            print(f"storeswitch: {name} again: still working, {state()}. It will finish or roll back by itself; "
                  "if you kill it, the next storeswitch command recovers.", file=sys.stderr, flush=True)

    previous = {sig: signal.signal(sig, handler) for sig in SIGNALS}
    try:
        yield received
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
