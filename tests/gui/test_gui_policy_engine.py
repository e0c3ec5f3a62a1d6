"""The administrator's policy in the window, against a real dockerd: locked, suggested, ignored.

A locked policy on the containerd store, with the engine on classic: the checkbox and the
snapshotter choice are disabled, ``policyNotice`` says "Set by your administrator" with the
message; the draft already asks for the policy's store, and Apply & restart brings the engine
there (the real journaled switch). Asking for classic in the daemon.json editor then blocks Apply
with the policy's sentence, so Apply never offers to change it.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QComboBox, QLabel

from backend.stores import Store, live_store
from tests.gui.conftest import find

SWITCH_MS = 180_000
MESSAGE = "Fleet standard: every laptop is on containerd."


@pytest.fixture
def policy_file(monkeypatch):
    """A policy path in a root-owned directory (trusted), removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="ssw-policy-"))
    path = directory / "policy.toml"
    monkeypatch.setenv("STORESWITCH_POLICY", str(path))
    yield path
    path.unlink(missing_ok=True)
    directory.rmdir()


def write(path: Path, text: str, mode: int = 0o644) -> None:
    path.write_text(text)
    path.chmod(mode)


def root_of(profile) -> str:
    return str(profile.config_dir.parent)


def test_a_locked_policy_disables_the_choice_and_apply_brings_the_engine_to_it(
        managed, engine_profile, policy_file, make_window, confirmations, qtbot):
    write(policy_file, f'schema_version = 1\nstore = "containerd"\nlocked = true\nmessage = "{MESSAGE}"\n')
    w = make_window("--profile", root_of(engine_profile))
    box, combo = find(w, "useContainerdCheckbox"), find(w, "snapshotterChoice", QComboBox)
    notice, apply = find(w, "policyNotice", QLabel), find(w, "applyRestartButton")
    assert not box.isEnabled() and not combo.isEnabled()
    w.show_tab("experimental")
    assert notice.isVisibleTo(w)
    assert "Set by your administrator" in notice.text() and MESSAGE in notice.text() and str(policy_file) in notice.text()
    assert "This engine is configured for the classic store: Apply &amp; restart brings it" in notice.text()
    assert box.isChecked(), "the locked store is what the (disabled) box shows"
    assert MESSAGE in box.toolTip()
    assert apply.isEnabled()

    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        apply.click()
    assert done.args[0] is True, find(w, "applyResult").text()
    assert [c.title for c in confirmations.asked] == ["Switch to the containerd store?"]
    with managed.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert not box.isEnabled() and not combo.isEnabled() and not apply.isEnabled()

    # The daemon.json editor cannot take the machine off the policy either.
    editor = find(w, "daemonJsonEditor")
    before = managed.config_path.read_bytes()
    editor.setPlainText('{\n  "features": {"containerd-snapshotter": false}\n}\n')
    assert not apply.isEnabled()
    state = find(w, "draftStateLabel").text()
    assert f"The administrator's policy {policy_file} locks this machine on the containerd store" in state
    assert MESSAGE in apply.toolTip()
    editor.setPlainText('{\n  "features": {"containerd-snapshotter": true},\n  "storage-driver": "native"\n}\n')
    assert not apply.isEnabled(), "the snapshotter is held too (overlayfs, as the policy names none)"
    editor.setPlainText('{\n  "features": {"containerd-snapshotter": true},\n  "log-level": "warn"\n}\n')
    assert apply.isEnabled(), "another key is the user's to change"
    find(w, "discardButton").click()
    assert managed.config_path.read_bytes() == before


def test_an_unlocked_policy_is_the_first_run_suggestion(managed, engine_profile, policy_file, make_window, qtbot):
    write(policy_file, 'schema_version = 1\nstore = "containerd"\nmessage = "Try it."\n')
    assert not engine_profile.settings_path.exists() and not engine_profile.history_path.exists()
    w = make_window("--profile", root_of(engine_profile))
    box, notice = find(w, "useContainerdCheckbox"), find(w, "policyNotice", QLabel)
    assert box.isEnabled() and find(w, "snapshotterChoice", QComboBox).isEnabled()
    assert box.isChecked() and w.draft.dirty, "first run: the administrator's store is suggested as a pending change"
    assert "Suggested by your administrator" in notice.text() and "Try it." in notice.text()
    box.setChecked(False)  # the user may choose otherwise
    assert not w.draft.dirty and find(w, "applyRestartButton").isEnabled() is False


def test_no_suggestion_once_storeswitch_has_settings(managed, engine_profile, policy_file, make_window):
    write(policy_file, 'schema_version = 1\nstore = "containerd"\n')
    engine_profile.settings_path.parent.mkdir(parents=True, exist_ok=True)
    engine_profile.settings_path.write_text(json.dumps({"schema_version": 1, "target": "auto"}))
    w = make_window("--profile", root_of(engine_profile))
    assert not find(w, "useContainerdCheckbox").isChecked() and not w.draft.dirty


def test_a_policy_others_can_write_is_ignored_with_a_warning(managed, engine_profile, policy_file, make_window):
    write(policy_file, 'schema_version = 1\nstore = "containerd"\nlocked = true\n', mode=0o666)
    w = make_window("--profile", root_of(engine_profile))
    notice = find(w, "policyNotice", QLabel)
    assert find(w, "useContainerdCheckbox").isEnabled() and not w.draft.dirty
    assert "policy was ignored" in notice.text() and "writable by users other than root (mode 0666)" in notice.text()


def test_a_broken_policy_locks_with_its_problem(managed, engine_profile, policy_file, make_window):
    write(policy_file, 'schema_version = 1\nstore = "containerd"\nlocked = maybe\n')
    w = make_window("--profile", root_of(engine_profile))
    notice = find(w, "policyNotice", QLabel)
    assert not find(w, "useContainerdCheckbox").isEnabled()
    assert "cannot be used" in notice.text() and "not valid TOML" in notice.text()
