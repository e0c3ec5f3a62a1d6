"""Known issues checked against the draft: the catalog, this machine's facts, the evaluation.

The backend's ``backend.known_issues`` does the work (``load_catalog``, ``probe_facts``,
``draft_facts``, ``evaluate``); this module only keeps what the window learned (the catalog and
the probed facts arrive off-thread, see :mod:`gui.tasks`) and re-evaluates on every draft change,
which is cheap. Probed facts are about the machine; the draft's facts (store after Apply,
Kubernetes box, daemon.json text) override them, so the list follows what the user is editing.

The module is imported lazily and guarded: a build without it, or a catalog that fails to load,
gives a sentence saying the list is not available and why; the window still works.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from backend.stores import Store


def _module():
    if importlib.util.find_spec("backend.known_issues") is None:
        raise ImportError("known issues are not available in this build (no backend.known_issues)")
    return importlib.import_module("backend.known_issues")


class IssueChecks:
    """What the known-issues list shows, kept up to date with the draft."""

    def __init__(self) -> None:
        self.catalog: Any = None
        self.error: str | None = None  # why the list is not available
        self.loaded = False  # the catalog load finished (well or not)
        self.facts: dict[str, Any] = {}
        self.facts_probed = False
        self.facts_error: str | None = None
        self.evaluations: list[Any] = []
        if importlib.util.find_spec("backend.known_issues") is None:  # imported later, off the GUI thread
            self.error = "known issues are not available in this build (no backend.known_issues)"
            self.loaded = True

    @property
    def available(self) -> bool:
        return self.error is None

    def catalog_loaded(self, catalog_or_error: Any) -> None:
        self.loaded = True
        if isinstance(catalog_or_error, str):
            self.error = f"known issues could not be loaded: {catalog_or_error}"
        else:
            self.catalog = catalog_or_error

    def facts_arrived(self, facts_or_error: Any) -> None:
        self.facts_probed = True
        if isinstance(facts_or_error, str):
            self.facts_error = facts_or_error
        else:
            self.facts = dict(facts_or_error)
            self.facts_error = None

    def evaluate(self, store_after: Store | None, kubernetes: bool, daemon_config: dict[str, Any] | None) -> list[Any]:
        """The issues that apply (``yes``) or may apply (``maybe``) to the draft, in the backend's order
        (:func:`backend.known_issues.evaluate`: applies, then may apply; blockers first within each)."""
        if not self.available or self.catalog is None:
            self.evaluations = []
            return self.evaluations
        try:
            ki = _module()
            draft = ki.draft_facts(store_after, kubernetes, daemon_config or {})
            evaluations = ki.evaluate(self.catalog, {**self.facts, **dict(draft)})
        except Exception as exc:
            self.error = _unavailable(exc)
            self.evaluations = []
            return self.evaluations
        self.evaluations = [e for e in evaluations if e.shown]  # the backend's filter and order, as the CLI lists them
        return self.evaluations


def _unavailable(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, ImportError) and "not available" in text:
        return text
    return f"known issues not available: {text or type(exc).__name__}"
