"""The known-issue list on the Experimental page (``knownIssuesList``), kept in step with the draft.

The catalog and this machine's facts arrive off the GUI thread (:mod:`gui.tasks`); the list is
then evaluated again on every draft change (cheap: :class:`gui.issue_checks.IssueChecks` runs the
backend's evaluation). While daemon.json has an error, the last text that parsed is judged, with a
note saying so; the list is rebuilt only when what it shows changed.
"""

from __future__ import annotations

from typing import Any, Callable

from gui.issue_checks import IssueChecks


class KnownIssuesView:
    """The checks and what the page shows of them."""

    def __init__(self, tasks: Any, draft: Any, page: Callable[[], Any], ready: Callable[[], bool],
                 updated: Callable[[], None]) -> None:
        """*page*: the Experimental page (None until built); *ready*: the first engine checks are done;
        *updated*: called after the list was rebuilt (the window's ``knownIssuesUpdated``)."""
        self.tasks, self.draft, self._page, self._ready, self._updated = tasks, draft, page, ready, updated
        self.checks = IssueChecks()
        self.shown: list[tuple[str, str]] | None = None
        self._last_valid: tuple | None = None
        tasks.knownIssuesLoaded.connect(self.catalog_loaded)
        tasks.factsProbed.connect(self.facts_probed)

    def catalog_loaded(self, catalog: Any) -> None:
        checks = self.checks
        checks.catalog_loaded(catalog)
        self.evaluate()
        if checks.available and self._ready() and not checks.facts_probed:
            self.tasks.probe_facts()

    def facts_probed(self, facts: Any) -> None:
        self.checks.facts_arrived(facts)
        self.shown = None
        self.evaluate()

    def probe_again(self, first_only: bool = False) -> None:
        """Learn this machine's facts again (after a switch), or the first time (*first_only*)."""
        checks = self.checks
        if checks.available and checks.catalog is not None and not (first_only and checks.facts_probed):
            self.tasks.probe_facts()

    def forget_facts(self) -> None:
        """Another target: what was learned about the old machine's engine no longer holds."""
        self.checks.facts, self.checks.facts_probed, self.checks.facts_error = {}, False, None
        self.shown = None

    @property
    def unavailable(self) -> str | None:
        """Why the catalog cannot be used (the gate then needs "Switch anyway"), or None."""
        checks = self.checks
        return f"the known-issue list is not available ({checks.error})" if checks.loaded and checks.error else None

    def evaluate(self) -> None:
        page, checks = self._page(), self.checks
        if page is None:  # a lazy window's page, not built yet: it evaluates once it is
            return
        lst = page.issues
        if not checks.available:
            if self.shown != [("unavailable", checks.error or "")]:
                lst.show_message(f"{checks.error[0].upper()}{checks.error[1:]}." if checks.error else "")
                page.set_issue_count(None)
                self.shown = [("unavailable", checks.error or "")]
                self._updated()
            return
        if not checks.loaded or checks.catalog is None:
            lst.show_message("Checking the known issues…")
            page.set_issue_count(None)
            return
        d = self.draft
        if d.data is not None:
            self._last_valid = (d.store, d.data)
        elif self._last_valid is None:
            self._last_valid = (d.saved_store, d.saved_data)
        store, data = self._last_valid  # while the JSON has an error, judge the last text that parsed
        evaluations = checks.evaluate(store, d.kubernetes, data)
        if not checks.available:  # the module failed while evaluating
            self.evaluate()
            return
        note = ""
        if d.data is None:
            note = "daemon.json has an error: the list is for the last text that could be read."
        elif not checks.facts_probed:
            note = "Checking this machine; the list may change."
        elif checks.facts_error:
            note = f"Some facts about this machine could not be learned ({checks.facts_error})."
        shown = [(e.issue.id, e.applies) for e in evaluations] + [("note", note)]
        if shown != self.shown:
            lst.show_evaluations(evaluations, note)
            self.shown = shown
        page.set_issue_count(len(evaluations))
        self._updated()
