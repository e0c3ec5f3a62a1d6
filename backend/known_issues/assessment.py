"""One known-issue assessment of a target for a store: load, probe, evaluate, and never raise.

The CLI's ``known-issues`` and ``switch`` (and anything else that wants the whole picture) use
:func:`assess`. A catalog that cannot be loaded is not a reason to stop working: the assessment
then carries the error, no evaluations, and the sentence the user sees
("the known-issue list could not be loaded: ... line N, issue 'x': ...").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.errors import ConfigError
from backend.known_issues.catalog import Catalog, CatalogError, load_catalog
from backend.known_issues.evaluate import Evaluation, evaluate, facts_needed
from backend.known_issues.facts import UNKNOWN, display_facts, probe_facts
from backend.profile import Profile
from backend.settings import Settings
from backend.stores import Store

ASSESSMENT_SCHEMA = 1  # of as_dict(): bump for a renamed or removed field; added fields need no bump


@dataclass
class Assessment:
    store_after: str | None
    facts: dict[str, Any] = field(default_factory=dict)
    evaluations: list[Evaluation] = field(default_factory=list)
    catalog_error: str | None = None
    settings_error: str | None = None

    @property
    def unavailable_message(self) -> str | None:
        if self.catalog_error is None:
            return None
        return f"the known-issue list could not be loaded: {self.catalog_error}"

    @property
    def shown(self) -> list[Evaluation]:
        return [ev for ev in self.evaluations if ev.shown]

    @property
    def blockers(self) -> list[Evaluation]:
        return [ev for ev in self.evaluations if ev.blocks]

    def as_dict(self, include_all: bool = False) -> dict[str, Any]:
        chosen = self.evaluations if include_all else self.shown
        return {
            "schema_version": ASSESSMENT_SCHEMA,
            "store_after": self.store_after,
            "known_issues": [ev.as_dict() for ev in chosen],
            "facts": display_facts(self.facts) if self.facts else {},
            "catalog_error": self.unavailable_message,
            "settings_error": self.settings_error,
        }


def load_settings(profile: Profile) -> tuple[Settings | None, str | None]:
    try:
        return Settings.load(profile.settings_path), None
    except ConfigError as exc:
        return None, str(exc)


def assess(
    target,
    profile: Profile,
    store_after: Store | str | None = None,
    catalog: Catalog | None = None,
    needed_only: bool = False,
    **probe_options: Any,
) -> Assessment:
    """Known issues of *target* for *store_after* (None: the store its config names now).

    *needed_only* (a switch's preflight, with *store_after* given): probe only the facts that can
    still decide an issue for *store_after* (:func:`facts_needed`); the others stay UNKNOWN in
    ``facts``, and the evaluations are the same as with every fact probed.
    """
    settings, settings_error = load_settings(profile)
    catalog_error = None
    if catalog is None:
        try:
            catalog = load_catalog()
        except CatalogError as exc:
            catalog_error = str(exc)
    if needed_only and store_after is not None and catalog is not None:
        probe_options["wanted"] = facts_needed(catalog, {"store_after": Store(store_after).value})
    facts = probe_facts(target, settings, store_after, **probe_options)
    if catalog is None:
        return Assessment(_store(facts), facts, [], catalog_error, settings_error)
    return Assessment(_store(facts), facts, evaluate(catalog, facts), None, settings_error)


def _store(facts: dict[str, Any]) -> str | None:
    value = facts.get("store_after", UNKNOWN)
    return None if value is UNKNOWN else value
