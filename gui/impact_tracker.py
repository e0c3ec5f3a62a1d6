"""The impact tracker: what a switch would hide and show here, read once and kept current.

Both stores are read off the GUI thread (:meth:`gui.tasks.BackendTasks.count_impact`; the hidden
one from disk, the live one through the engine when it runs). The reading is kept and the
sentence on the Experimental page (``switchImpact``) is recomputed from it whenever the checkbox
changes, without reading again. It is read again only when it went stale: the engine started or
stopped, or now runs (or is configured for) the other store; a count already running for the
same state is not started twice. The Apply confirmation uses the same reading (the same figures
as the page).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from backend.stores import Store
from gui.widgets import escape

if TYPE_CHECKING:
    from gui.task_results import StoreImpact
    from gui.tasks import BackendTasks


def current_store(status: Any) -> Store | None:
    """The store in use: the live one while the engine runs, else the configured one."""
    return status.live_store if status.engine.reachable else status.configured_store


class ImpactTracker:
    """Keeps the last reading of both stores and shows it for the draft's store."""

    def __init__(self, tasks: BackendTasks, page: Callable[[], Any], store_after: Callable[[], Store | None]) -> None:
        """*page* returns the Experimental page (None until a lazy window builds it); *store_after*
        the store the draft asks for."""
        self.tasks, self._page, self._store_after = tasks, page, store_after
        self.impact: StoreImpact | None = None
        self.in_flight = False
        self.key: tuple | None = None
        tasks.impactCounted.connect(self.counted)
        tasks.impactProgressed.connect(lambda _stage, sentence: self._page().set_impact_progress(sentence))

    def forget(self, reading: bool = False) -> None:
        """Drop the reading (after a switch, a restart, another target); *reading*: say one is coming."""
        self.impact, self.in_flight = None, False
        page = self._page()
        if reading and page is not None:
            page.set_impact("Reading both stores…")
            page.set_impact_progress(None)

    def status_changed(self, status: Any, first: bool) -> None:
        """A new engine reading: count again if this is the first, or the last count went stale."""
        if not (first or self.impact is None or self._stale(status)):
            return
        key = (current_store(status), status.engine.reachable)
        if not (self.in_flight and self.key == key):  # else the count running now is the one
            self._count(status)

    def _stale(self, status: Any) -> bool:
        impact = self.impact
        return impact is not None and (impact.engine_running != status.engine.reachable
                                       or impact.current is not current_store(status))

    def _count(self, status: Any) -> None:
        self.in_flight = True
        self.key = (current_store(status), status.engine.reachable)
        if self.impact is None:
            self._page().set_impact("Reading both stores…")
        info = status.engine.info if status.engine.reachable else None
        self.tasks.count_impact(info, status.configured_store)

    def counted(self, impact: StoreImpact | str) -> None:
        self.in_flight = False
        page = self._page()
        page.set_impact_progress(None)
        if isinstance(impact, str):
            self.impact = None
            page.set_impact(f"What a switch would hide could not be read: {escape(impact)}")
            return
        self.impact = impact
        self.show()

    def show(self) -> None:
        """The sentence follows the checkbox: recomputed from what was read, without reading again."""
        page = self._page()
        if self.impact is not None and page is not None:
            from gui.apply_text import impact_html

            page.set_impact(impact_html(self.impact, self._store_after()))
