"""Python's cyclic garbage collector, run on the GUI thread only.

Why: the window's backend calls run on worker threads (:mod:`gui.tasks`). Python's automatic
collection runs on whichever thread happens to allocate when a threshold is crossed; if that is a
worker and the garbage holds a Qt wrapper that owns a widget, the widget is destroyed off the GUI
thread and Qt may crash (a segfault whose trace reads "Garbage-collecting" on a worker thread).
So automatic collection is turned off and the same thresholds are checked by a timer on the GUI
thread, which collects there. Reference counting (which frees almost everything) is unaffected.
This is the pattern long used by PyQt/PySide applications with worker threads (calibre, among others).
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500
_installed: "MainThreadCollector | None" = None


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer(self)
        self.timer.setInterval(INTERVAL_MS)
        self.timer.timeout.connect(self.check)
        self.timer.start()

    def check(self) -> None:
        counts = gc.get_count()
        if counts[0] > self.threshold[0]:
            generation = 2 if counts[2] > self.threshold[2] else 1 if counts[1] > self.threshold[1] else 0
            gc.collect(generation)


def install(app: QObject) -> MainThreadCollector:
    """Install once per process (the QApplication owns it)."""
    global _installed
    if _installed is None:
        _installed = MainThreadCollector(app)
    return _installed
