"""Decide, for each known issue, whether it applies to this machine: ``yes``, ``no`` or ``maybe``.

Three-valued logic over the issue's conditions (all must hold): one condition that surely fails
makes the issue ``no``; otherwise one that depends on an UNKNOWN fact makes it ``maybe``; otherwise
``yes``. A live-probe fact measured on the store the engine runs now counts as UNKNOWN when the
issues are checked for the other store. So an unknown fact never drops an issue that could apply, and never raises a ``maybe``
for an issue that is already ruled out by what *is* known (e.g. a containerd-only issue when the
classic store is chosen).

Order of the result (stable): ``yes``, then ``maybe``, then ``no``; within each, blockers, then
warnings, then info; within those, the catalog's order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from packaging.version import Version

from backend.known_issues.catalog import SEVERITIES, Condition, KnownIssue
from backend.known_issues.facts import UNKNOWN, FactKind, display_value, effective_facts, is_set, parse_version

YES, NO, MAYBE = "yes", "no", "maybe"
APPLIES_ORDER = (YES, MAYBE, NO)
VERSION_SUBJECTS = {"engine_version": "Docker Engine", "api_version": "Engine API", "buildx_version": "buildx"}
APPLIES_WORDS = {YES: "applies", MAYBE: "may apply", NO: "does not apply"}


@dataclass(frozen=True)
class Evaluation:
    issue: KnownIssue
    applies: str  # "yes" | "no" | "maybe"
    facts_used: dict[str, Any]  # fact name -> display value, "unknown" when it could not be learned

    @property
    def id(self) -> str:
        return self.issue.id

    @property
    def severity(self) -> str:
        return self.issue.severity

    @property
    def blocks(self) -> bool:
        """A blocker that surely applies: a switch refuses it unless forced."""
        return self.applies == YES and self.issue.severity == "blocker"

    @property
    def shown(self) -> bool:
        """Worth showing by default: it applies or may apply."""
        return self.applies != NO

    @property
    def found(self) -> list[str]:
        """The version facts that made it apply, in words: "Docker Engine 20.10.24 is older than 24.0"."""
        out = []
        for cond in self.issue.when:
            value = self.facts_used.get(cond.key)
            if cond.kind is not FactKind.VERSION or value in (None, "unknown"):
                continue
            subject = VERSION_SUBJECTS.get(cond.key, cond.key)
            for spec in cond.expected:
                how = {"<": "older than", "<=": "at most", ">": "newer than", ">=": "at least"}.get(spec.operator)
                if how:
                    out.append(f"{subject} {value} is {how} {spec.version}")
        return out

    def as_dict(self) -> dict[str, Any]:
        i = self.issue
        return {
            "id": i.id,
            "severity": i.severity,
            "applies": self.applies,
            "title": i.title,
            "symptom": i.symptom,
            "workaround": i.workaround,
            "link": i.link,
            "see_also": list(i.see_also),
            "conditions": [c.describe() for c in i.when],
            "facts_used": dict(self.facts_used),
            "found": self.found,
        }


def evaluate(catalog: Iterable[KnownIssue], facts: Mapping[str, Any]) -> list[Evaluation]:
    """Every issue of *catalog* decided on *facts* (a missing fact counts as UNKNOWN)."""
    results = [(n, evaluate_issue(issue, facts)) for n, issue in enumerate(catalog)]
    results.sort(key=lambda pair: (APPLIES_ORDER.index(pair[1].applies), SEVERITIES.index(pair[1].severity), pair[0]))
    return [ev for _, ev in results]


def facts_needed(catalog: Iterable[KnownIssue], known: Mapping[str, Any]) -> set[str]:
    """The facts an evaluation on *known* plus more facts could still turn on.

    An issue that a condition on *known* facts alone already rules out (a containerd-only issue
    for a switch to the classic store) is ``no`` whatever else is learned: its other facts are
    not needed. A switch's preflight probes only these (a ``docker buildx version`` and an engine
    round trip fewer on a switch to the classic store); the ``known-issues`` command and the
    window probe everything, to show it.
    """
    needed: set[str] = set()
    for issue in catalog:
        decided = [check(c, known) for c in issue.when if all(f in known for f in c.facts)]
        if NO not in decided:
            needed.update(issue.fact_names)
    return needed


def evaluate_issue(issue: KnownIssue, facts: Mapping[str, Any]) -> Evaluation:
    facts = effective_facts(facts)
    outcomes = [check(cond, facts) for cond in issue.when]
    if NO in outcomes:
        applies = NO
    elif MAYBE in outcomes:
        applies = MAYBE
    else:
        applies = YES
    used = {name: display_value(facts.get(name, UNKNOWN)) for name in issue.fact_names}
    return Evaluation(issue, applies, used)


def check(cond: Condition, facts: Mapping[str, Any]) -> str:
    """One condition: ``yes`` (holds), ``no`` (fails) or ``maybe`` (its fact is unknown)."""
    if len(cond.facts) > 1 or cond.key == "any_set":
        values = [facts.get(name, UNKNOWN) for name in cond.facts]
        if any(v is not UNKNOWN and is_set(v) for v in values):
            return YES
        return MAYBE if any(v is UNKNOWN for v in values) else NO
    value = facts.get(cond.facts[0], UNKNOWN)
    if value is UNKNOWN:
        return MAYBE
    if cond.kind is FactKind.ENUM:
        held = getattr(value, "value", value) in cond.expected
    elif cond.kind is FactKind.BOOL:
        held = value is cond.expected if isinstance(value, bool) else bool(value) == cond.expected
    elif cond.kind is FactKind.PRESENCE:
        held = is_set(value) == cond.expected
    else:
        version = value if isinstance(value, Version) else parse_version(value)
        if version is None:
            return MAYBE
        held = cond.expected.contains(version, prereleases=True)
    return YES if held else NO
