"""Known issues of the containerd image store, checked against this machine.

``catalog`` loads ``resources/known_issues.toml`` strictly; ``facts`` learns what the conditions
talk about (UNKNOWN when it can't); ``evaluate`` decides yes / no / maybe; ``assessment`` puts the
three together for the CLI, never raising.

Typical use (GUI: probe once off the GUI thread, then re-evaluate on every edit)::

    catalog = load_catalog()                                   # CatalogError names file, line, issue
    probed = probe_facts(target, settings, store_after="containerd")
    facts = {**probed, **draft_facts("containerd", True, daemon_json_dict)}
    for ev in evaluate(catalog, facts):                        # ev.issue, ev.applies, ev.facts_used
        ...
"""

from backend.known_issues.assessment import Assessment, assess
from backend.known_issues.catalog import Catalog, CatalogError, Condition, KnownIssue, load_catalog, parse_catalog
from backend.known_issues.evaluate import MAYBE, NO, YES, Evaluation, evaluate, evaluate_issue
from backend.known_issues.facts import FACTS, UNKNOWN, display_facts, display_value, draft_facts, probe_facts

__all__ = [
    "Assessment",
    "Catalog",
    "CatalogError",
    "Condition",
    "Evaluation",
    "FACTS",
    "KnownIssue",
    "MAYBE",
    "NO",
    "UNKNOWN",
    "YES",
    "assess",
    "display_facts",
    "display_value",
    "draft_facts",
    "evaluate",
    "evaluate_issue",
    "load_catalog",
    "parse_catalog",
    "probe_facts",
]
