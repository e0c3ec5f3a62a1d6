"""``storeswitch known-issues`` and the known-issue check in ``storeswitch switch``.

No engine runs here (the managed engine is not started): ``switch --no-restart`` only saves the
choice, which is enough to see a refusal change nothing and ``--force`` go through. The real
engine path of ``--force`` is in tests/engine/test_known_issues_live.py.
"""

from __future__ import annotations

import json
from importlib import resources

import pytest

from backend.cli import EXIT_BLOCKED, main
from backend.known_issues import load_catalog
from backend.known_issues.catalog import ENV_OVERRIDE
from backend.profile import Profile
from backend.settings import Settings


@pytest.fixture
def kubernetes_on(profile):
    Settings(profile.settings_path, {"kubernetes_enabled": True}).save()
    return profile


def run_json(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, json.loads(out.out), out.err


def test_known_issues_json_lists_id_severity_applies_and_facts(capsys, kubernetes_on):
    code, data, _ = run_json(capsys, "known-issues", "--json", "--store", "containerd")
    assert code == 0
    assert data["store_after"] == "containerd"
    by_id = {item["id"]: item for item in data["known_issues"]}
    k8s = by_id["kubernetes-incompatible"]
    assert (k8s["severity"], k8s["applies"]) == ("blocker", "yes")
    assert k8s["facts_used"] == {"store_after": "containerd", "kubernetes_enabled": True}
    # The engine is not running, but its dockerd binary says its version (26.1.5: too-old is ruled out);
    # with no binary at all the version is unknown and the issue may apply.
    from backend.engine.install import fetched_binaries

    if fetched_binaries() is not None:
        assert "engine-too-old" not in by_id and data["facts"]["engine_version"].startswith("2")
    else:
        assert by_id["engine-too-old"]["applies"] == "maybe"
        assert by_id["engine-too-old"]["facts_used"]["engine_version"] == "unknown"
    for item in data["known_issues"]:
        assert {"id", "severity", "applies", "facts_used", "title", "workaround", "link"} <= set(item)
        assert item["applies"] in ("yes", "maybe")
    assert "wasm-needs-containerd" not in by_id  # a classic-only issue does not apply
    assert data["facts"]["kubernetes_enabled"] is True and data["catalog_error"] is None


def test_known_issues_all_and_default_store(capsys, profile):
    code, data, _ = run_json(capsys, "known-issues", "--json", "--all")
    assert code == 0
    assert data["store_after"] == "classic"  # no daemon.json yet: the classic store
    assert sorted(i["id"] for i in data["known_issues"]) == sorted(load_catalog().ids)
    order = {"yes": 0, "maybe": 1, "no": 2}
    ranks = [order[i["applies"]] for i in data["known_issues"]]
    assert ranks == sorted(ranks)
    applies = {i["id"]: i["applies"] for i in data["known_issues"]}
    assert applies["disk-usage-higher"] == "no" and applies["wasm-needs-containerd"] == "no"

    code, data, _ = run_json(capsys, "known-issues", "--json")
    assert code == 0 and all(i["applies"] != "no" for i in data["known_issues"])


def test_known_issues_human_output(capsys, kubernetes_on):
    assert main(["known-issues", "--store", "containerd"]) == 0
    out = capsys.readouterr().out
    assert "Known issues for the containerd store" in out
    assert "[blocker] kubernetes-incompatible (applies)" in out
    assert "because:      store_after = containerd; kubernetes_enabled = true" in out
    assert "wasm-needs-containerd" not in out and "--all lists them" in out


def test_switch_refuses_a_blocker_and_changes_nothing(capsys, kubernetes_on):
    config = Profile.resolve().managed_config_path
    code = main(["switch", "containerd", "--no-restart"])
    out = capsys.readouterr()
    assert code == EXIT_BLOCKED == 4
    assert "Known issues after the switch to the containerd store:" in out.out
    assert "kubernetes-incompatible" in out.out
    assert "refused: a blocker known issue applies: kubernetes-incompatible" in out.err and "--force" in out.err
    assert not config.exists()

    code, data, _ = run_json(capsys, "switch", "containerd", "--no-restart", "--json")
    assert code == 4 and data["exit_code"] == 4 and data["kind"] == "BlockedByKnownIssue"
    assert "kubernetes-incompatible" in [i["id"] for i in data["known_issues"]]
    assert not config.exists()


def test_switch_with_force_goes_through_and_reports_the_issues(capsys, kubernetes_on):
    config = Profile.resolve().managed_config_path
    code, data, err = run_json(capsys, "switch", "containerd", "--no-restart", "--force", "--json")
    assert code == 0 and data["outcome"] == "saved"
    assert json.loads(config.read_text())["features"]["containerd-snapshotter"] is True
    ids = {i["id"]: i["applies"] for i in data["known_issues"]}
    assert ids["kubernetes-incompatible"] == "yes"


def test_switch_to_classic_is_not_blocked_by_kubernetes(capsys, kubernetes_on):
    code, data, _ = run_json(capsys, "switch", "classic", "--no-restart", "--json")
    assert code == 0 and data["outcome"] == "saved"
    assert "kubernetes-incompatible" not in {i["id"] for i in data["known_issues"]}


def test_a_broken_catalog_is_reported_and_a_switch_needs_force(capsys, kubernetes_on, tmp_path, monkeypatch):
    bad = tmp_path / "known_issues.toml"
    text = resources.files("resources").joinpath("known_issues.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('severity = "blocker"', 'severity = "blocking"', 1))
    line = next(n for n, ln in enumerate(bad.read_text().splitlines(), 1) if '"blocking"' in ln)
    monkeypatch.setenv(ENV_OVERRIDE, str(bad))
    expected = f"the known-issue list could not be loaded: {bad}, line {line}, issue 'kubernetes-incompatible': unknown severity"

    assert main(["known-issues"]) == 1
    assert expected in capsys.readouterr().err

    code, data, _ = run_json(capsys, "known-issues", "--json")
    assert code == 1 and data["catalog_error"].startswith(expected) and data["known_issues"] == []

    assert main(["status"]) == 0
    capsys.readouterr()

    config = tmp_path / "profile" / "config" / "engine" / "daemon.json"
    before = config.read_bytes() if config.exists() else None
    code, data, err = run_json(capsys, "switch", "containerd", "--no-restart", "--json")
    assert code == 6 and data["kind"] == "CatalogUnavailable"  # its blockers cannot be enforced: --force
    assert "cannot be checked" in data["error"] and "--force" in data["error"] and expected in data["error"]
    assert (config.read_bytes() if config.exists() else None) == before  # nothing was changed

    code, data, err = run_json(capsys, "switch", "containerd", "--no-restart", "--json", "--force")
    assert code == 0 and data["outcome"] == "saved"
    assert data["known_issues"] == [] and data["known_issues_error"].startswith(expected)
    assert expected in err
