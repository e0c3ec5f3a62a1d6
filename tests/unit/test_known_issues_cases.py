"""Every known issue: applies, does not apply, and "may apply" when its fact is unknown.

Parametrised from the packaged catalog, so an issue added to resources/known_issues.toml without
fact sets here fails ``test_issue_outcome`` (KeyError names the id) — that is on purpose.
"""

from __future__ import annotations

import copy

import pytest
from packaging.version import Version

from backend.known_issues import FACTS, MAYBE, NO, UNKNOWN, YES, evaluate, evaluate_issue, load_catalog

CATALOG = load_catalog()

# A machine on which none of the conditional issues applies (the containerd store chosen).
BASE = {
    "store_after": "containerd",
    "live_store": "containerd",
    "engine_version": Version("26.1.5"),
    "api_version": Version("1.45"),
    "host_arch": "amd64",
    "engine_arch": "amd64",
    "buildx_version": Version("0.13.1"),
    "kubernetes_enabled": False,
    "kubernetes_mode": None,
    "kind_in_use": False,
    "registry_mirrors": None,
    "insecure_registries": None,
    "userns_remap": None,
    "storage_driver": None,
    "data_root": None,
    "runtimes": None,
    "wasm_runtimes": [],
    "docker_hub_login": True,
    "system_containerd": False,
    "reference_filter_supported": True,
    "containerd_migration": False,
}

# issue id -> {outcome: overrides of BASE that produce it}
CASES = {
    "kubernetes-incompatible": {
        YES: {"kubernetes_enabled": True},
        NO: {"kubernetes_enabled": True, "store_after": "classic"},
        MAYBE: {"kubernetes_enabled": UNKNOWN},
    },
    "engine-too-old": {
        YES: {"engine_version": "23.0.6"},  # a string, as a draft or a test may give it
        NO: {"engine_version": Version("24.0.0")},
        MAYBE: {"engine_version": UNKNOWN},
    },
    "containerd-migration-set": {
        YES: {"store_after": "classic", "containerd_migration": True},
        NO: {"store_after": "classic", "containerd_migration": False},
        MAYBE: {"store_after": "classic", "containerd_migration": UNKNOWN},
    },
    "userns-remap-conflict": {
        YES: {"userns_remap": "default"},
        NO: {"userns_remap": None},
        MAYBE: {"userns_remap": UNKNOWN},
    },
    "buildx-too-old": {
        YES: {"buildx_version": Version("0.8.2")},
        NO: {"buildx_version": Version("0.9.0")},
        MAYBE: {"buildx_version": UNKNOWN},
    },
    "registry-mirrors-ignored": {
        YES: {"insecure_registries": ["registry.local:5000"]},
        NO: {"registry_mirrors": [], "insecure_registries": None},
        MAYBE: {"registry_mirrors": UNKNOWN, "insecure_registries": None},
    },
    "containerd-root-not-moved": {
        YES: {"data_root": "/srv/docker", "system_containerd": True},
        NO: {"data_root": "/srv/docker", "system_containerd": False},
        MAYBE: {"data_root": "/srv/docker", "system_containerd": UNKNOWN},
    },
    "wasm-needs-containerd": {
        YES: {"store_after": "classic", "wasm_runtimes": ["io.containerd.wasmedge.v1"]},
        NO: {"store_after": "classic", "wasm_runtimes": []},
        MAYBE: {"store_after": "classic", "wasm_runtimes": UNKNOWN},
    },
    "reference-filter-unsupported": {
        YES: {"reference_filter_supported": False},
        NO: {"reference_filter_supported": True},
        MAYBE: {"reference_filter_supported": UNKNOWN},
    },
    "pull-access-denied-without-manifest-list": {
        YES: {"docker_hub_login": False},
        NO: {"docker_hub_login": True},
        MAYBE: {"docker_hub_login": UNKNOWN},
    },
    "arm-content-digest-not-found": {
        YES: {"engine_arch": "arm64"},
        NO: {"engine_arch": "amd64"},
        MAYBE: {"engine_arch": UNKNOWN},
    },
    "save-needs-platform": {
        YES: {},
        NO: {"store_after": "classic"},
        MAYBE: {"store_after": UNKNOWN},
    },
    "kind-load-image-fails": {
        YES: {"kind_in_use": True},
        NO: {"kind_in_use": True, "store_after": "classic"},
        MAYBE: {"kind_in_use": UNKNOWN},
    },
    "disk-usage-higher": {
        YES: {},
        NO: {"store_after": "classic"},
        MAYBE: {"store_after": UNKNOWN},
    },
}


def test_base_names_every_fact():
    assert set(BASE) == set(FACTS)


def test_cases_only_name_catalog_issues():
    assert set(CASES) <= set(CATALOG.ids), f"test data for ids not in the catalog: {set(CASES) - set(CATALOG.ids)}"


@pytest.mark.parametrize("outcome", [YES, NO, MAYBE])
@pytest.mark.parametrize("issue_id", CATALOG.ids)
def test_issue_outcome(issue_id, outcome):
    assert issue_id in CASES, f"known issue {issue_id!r} has no test fact sets: add it to CASES in {__file__}"
    facts = {**BASE, **CASES[issue_id][outcome]}
    ev = evaluate_issue(CATALOG[issue_id], facts)
    assert ev.applies == outcome, f"{issue_id} with {CASES[issue_id][outcome]} gave {ev.applies}, facts used {ev.facts_used}"
    assert set(ev.facts_used) == set(CATALOG[issue_id].fact_names)
    if outcome == MAYBE:
        assert "unknown" in ev.facts_used.values()
    else:
        assert "unknown" not in ev.facts_used.values()


@pytest.mark.parametrize("issue_id", CATALOG.ids)
def test_nothing_known_means_maybe_never_dropped(issue_id):
    ev = evaluate_issue(CATALOG[issue_id], {})
    assert ev.applies == MAYBE
    assert set(ev.facts_used.values()) == {"unknown"}


def test_base_machine_only_unconditional_issues_apply():
    applying = {ev.id for ev in evaluate(CATALOG, BASE) if ev.applies != NO}
    assert applying == {"save-needs-platform", "disk-usage-higher"}


def test_every_containerd_issue_is_ruled_out_for_classic_even_with_unknown_facts():
    facts = {"store_after": "classic"}  # everything else unknown
    results = {ev.id: ev.applies for ev in evaluate(CATALOG, facts)}
    for issue in CATALOG:
        store_conditions = [c.expected for c in issue.when if c.key == "store_after"]
        if store_conditions == [("containerd",)]:
            assert results[issue.id] == NO, issue.id
    assert results["wasm-needs-containerd"] == MAYBE


def test_order_is_applies_then_severity_then_catalog():
    facts = {**BASE, "kubernetes_enabled": True, "buildx_version": UNKNOWN, "docker_hub_login": False}
    evs = evaluate(CATALOG, facts)
    keys = [(ev.applies, ev.severity) for ev in evs]
    assert keys[0] == (YES, "blocker") and evs[0].id == "kubernetes-incompatible"
    order = {YES: 0, MAYBE: 1, NO: 2}
    sev = {"blocker": 0, "warning": 1, "info": 2}
    assert keys == sorted(keys, key=lambda k: (order[k[0]], sev[k[1]]))
    same = [ev.id for ev in evs if ev.applies == YES and ev.severity == "info"]
    assert same == [i for i in CATALOG.ids if i in same]  # catalog order kept within a group
    assert [ev.id for ev in evaluate(CATALOG, copy.deepcopy(facts))] == [ev.id for ev in evs]


@pytest.mark.parametrize("measured", [True, False])
def test_a_live_probe_of_the_other_store_decides_nothing(measured):
    """The engine runs classic; a reference-filter answer from it says nothing about containerd."""
    facts = {**BASE, "live_store": "classic", "reference_filter_supported": measured}
    ev = evaluate_issue(CATALOG["reference-filter-unsupported"], facts)
    assert ev.applies == MAYBE
    assert ev.facts_used["reference_filter_supported"] == "unknown" and ev.facts_used["live_store"] == "classic"
    # once the engine runs the store asked about, the same answer decides
    now = evaluate_issue(CATALOG["reference-filter-unsupported"], {**facts, "live_store": "containerd"})
    assert now.applies == (NO if measured else YES)


def test_blocks_only_for_a_blocker_that_surely_applies():
    evs = {ev.id: ev for ev in evaluate(CATALOG, {**BASE, "kubernetes_enabled": True, "engine_version": UNKNOWN})}
    assert evs["kubernetes-incompatible"].blocks
    assert evs["engine-too-old"].applies == MAYBE and not evs["engine-too-old"].blocks
    assert not evs["disk-usage-higher"].blocks
