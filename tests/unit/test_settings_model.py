"""The settings model and the gate, on their own: no Qt, no window, no engine.

``backend.settings_model`` holds the draft's rules (the daemon.json check in the backend's words,
the store key, the snapshotter, restart by target ability, what blocks Apply); ``backend.gate`` the
known-issue refusal every front end asks (``--force``, a no-op never refused, the policy).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backend.gate import EXIT_BLOCKED, EXIT_NEEDS_FORCE, EXIT_POLICY, known_issue_refusal
from backend.known_issues import evaluate, parse_catalog
from backend.settings import Settings
from backend.settings_model import SettingsModel, check_daemon_json
from backend.stores import Store

ROOT = Path(__file__).resolve().parents[2]
TRAILING = '{\n  "debug": true,\n}\n'  # the comma is line 2, column 16


def test_the_model_and_the_gate_load_without_qt():
    code = ("import sys, backend.settings_model, backend.gate; "
            "sys.exit(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6')) != [])")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


@pytest.mark.parametrize(("text", "words", "where"), [
    (TRAILING, "a trailing comma (JSON allows none before a closing } or ])", (2, 16)),
    ('{"debug": true\n"x": 1}', "Expecting ',' delimiter", (2, 1)),
    ('{"features": {"containerd-snapshotter": "true"}}',
     "key 'features'.'containerd-snapshotter' must be true or false (without quotes), found \"true\" (a string)", (0, 0)),
    ('{"features": "containerd"}', "key 'features' must be an object", (0, 0)),
    ("[1]", "must hold a JSON object", (0, 0)),
])
def test_daemon_json_problems_in_the_backends_words(text, words, where):
    data, problem = check_daemon_json(text)
    assert data is None and words in problem.message
    assert (problem.line, problem.column) == where
    if where[0]:
        assert str(problem).startswith(f"line {where[0]}, column {where[1]}: ")


def test_trailing_comma_wording_is_the_clis():
    from backend.daemon_config import parse
    from backend.errors import ConfigError

    with pytest.raises(ConfigError) as err:
        parse(TRAILING, "daemon.json")
    _, problem = check_daemon_json(TRAILING)
    assert str(problem) == "line 2, column 16: a trailing comma (JSON allows none before a closing } or ])"
    assert f"line 2, column 16: {problem.message}" in str(err.value)


@pytest.fixture
def files(tmp_path):
    config, settings = tmp_path / "daemon.json", tmp_path / "settings.json"
    config.write_text('{"debug": true}\n')
    return config, settings


def test_ticking_and_unticking_gives_the_saved_bytes_back(files):
    changes = []
    model = SettingsModel(*files, on_change=lambda: changes.append(1))
    model.load()
    model.set_store(Store.CONTAINERD)
    assert json.loads(model.text)["features"]["containerd-snapshotter"] is True
    assert model.needs_restart and model.dirty and changes
    model.set_store(Store.CLASSIC)
    assert model.text == files[0].read_text() and not model.dirty


def test_a_non_boolean_store_key_blocks_apply(files):
    model = SettingsModel(*files)
    model.load()
    model.set_text('{"features": {"containerd-snapshotter": 1}}')
    assert model.store is None and "must be true or false" in model.apply_problem


def test_a_reformat_needs_a_restart_only_where_the_target_cannot_save_without_one(files):
    model = SettingsModel(*files)
    model.load()
    model.set_text('{\n  "debug": true\n}\n')
    assert model.dirty and not model.needs_restart
    helper = SettingsModel(*files, saves_without_restart=False)  # the system engine through its helper
    helper.load()
    helper.set_text('{\n  "debug": true\n}\n')
    assert helper.needs_restart


def test_a_kubernetes_change_with_unreadable_settings_blocks_apply(files):
    files[1].write_text("{not json")
    model = SettingsModel(*files)
    model.load()
    assert model.apply_problem is None
    model.set_kubernetes(True)
    assert str(files[1]) in model.apply_problem


def test_a_snapshotter_on_the_containerd_store_and_its_note(files):
    model = SettingsModel(*files)
    model.load()
    model.set_snapshotter("stargz")  # classic: no snapshotter to choose
    assert model.storage_driver is None
    model.set_store(Store.CONTAINERD)
    model.set_snapshotter("stargz")
    assert model.storage_driver == "stargz" and "stargz" in model.storage_driver_note()


# --- the gate -----------------------------------------------------------------------------------
CATALOG = """
schema_version = 1
[[issue]]
id = "always-blocks"
severity = "blocker"
title = "A blocker for the test"
symptom = "s"
workaround = "w"
link = "https://example.org/always"
[issue.when]
store_after = "containerd"
"""


def evaluations(store: Store):
    return evaluate(parse_catalog(CATALOG, "test.toml"), {"store_after": store.value})


@pytest.mark.parametrize(("force", "unchanged", "kind"), [
    (False, False, "BlockedByKnownIssue"),
    (True, False, None),
    (False, True, None),  # a switch that changes nothing is never refused
])
def test_a_blocker_refuses_unless_forced(force, unchanged, kind):
    refusal = known_issue_refusal(Store.CONTAINERD, evaluations(Store.CONTAINERD), force=force, unchanged=lambda: unchanged)
    assert (refusal.kind if refusal else None) == kind
    if refusal:
        assert refusal.exit_code == EXIT_BLOCKED and "always-blocks" in refusal.message and "--force" in refusal.message


def test_no_blocker_for_the_other_store():
    assert known_issue_refusal(Store.CLASSIC, evaluations(Store.CLASSIC), force=False, unchanged=lambda: False) is None


def test_a_missing_catalog_needs_force_and_the_policy_can_forbid_forcing():
    missing = "the known-issue list could not be loaded: x"
    refusal = known_issue_refusal(Store.CONTAINERD, [], force=False, unchanged=lambda: False, catalog_error=missing)
    assert refusal.exit_code == EXIT_NEEDS_FORCE
    assert known_issue_refusal(Store.CONTAINERD, [], force=True, unchanged=lambda: False, catalog_error=missing) is None
    policy = known_issue_refusal(Store.CONTAINERD, evaluations(Store.CONTAINERD), force=True, unchanged=lambda: False,
                                 force_refusal="the policy forbids --force")
    assert policy.exit_code == EXIT_POLICY and not policy.forcible


def test_the_gate_asks_whether_the_switch_is_a_no_op_only_when_it_matters():
    asked = []
    known_issue_refusal(Store.CLASSIC, evaluations(Store.CLASSIC), force=False, unchanged=lambda: asked.append(1) or False)
    assert not asked  # nothing blocks: no engine round trip


def test_settings_fixture_is_untouched(files):
    """The model reads storeswitch's settings; it never writes them."""
    Settings(files[1], {"kubernetes_enabled": True}).save()
    before = files[1].read_bytes()
    model = SettingsModel(*files)
    model.load()
    assert model.kubernetes and files[1].read_bytes() == before


def test_a_snapshotter_name_containerd_could_not_have_blocks_apply(files):
    model = SettingsModel(*files)
    model.load()
    model.set_store(Store.CONTAINERD)
    problem = model.choose_snapshotter("no such/name")
    assert problem and "not a plugin name" in problem and model.apply_problem == problem
    assert model.storage_driver is None  # never written into the text
    assert model.choose_snapshotter("nydus") is None and model.apply_problem is None and model.storage_driver == "nydus"
