"""The settings window without an engine: the automation contract, the draft, the states it reports.

No dockerd runs here: the engine is simply stopped (the profile's socket does not exist), which is
a real state the window must handle. Real-engine Apply tests are in test_gui_apply_engine.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QPlainTextEdit, QTabWidget, QWidget

from backend.profile import Profile

CONTRACT = [
    "settingsWindow", "settingsTabs", "generalPage", "dockerEnginePage", "kubernetesPage",
    "experimentalPage", "troubleshootPage", "useContainerdCheckbox", "betaNotice", "switchImpact",
    "knownIssuesList", "applyRestartButton", "discardButton", "applyProgress", "applyResult",
    "daemonJsonEditor", "enableKubernetesCheckbox", "engineStatus", "liveStoreLabel",
]


def find(window, name, kind=QWidget):
    widget = window if window.objectName() == name else window.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


@pytest.fixture
def profile_dir(tmp_path) -> Path:
    return tmp_path / "profile"


def write_daemon_json(profile_dir: Path, text: str) -> Path:
    path = Profile.from_dir(profile_dir).managed_config_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- the automation contract ------------------------------------------------------------------
def test_every_contract_name_exists_with_an_accessible_name(make_window, profile_dir):
    w = make_window("--profile", str(profile_dir))
    for name in CONTRACT:
        widget = find(w, name)
        assert widget.accessibleName(), f"{name} has no accessible name"
    tabs = find(w, "settingsTabs", QTabWidget)
    assert [tabs.tabText(i) for i in range(tabs.count())] == ["General", "Docker Engine", "Kubernetes", "Experimental", "Troubleshoot"]
    assert [tabs.widget(i).objectName() for i in range(tabs.count())] == [
        "generalPage", "dockerEnginePage", "kubernetesPage", "experimentalPage", "troubleshootPage"]
    assert find(w, "useContainerdCheckbox", QCheckBox).text() == "Use containerd for pulling and storing images"
    assert find(w, "enableKubernetesCheckbox", QCheckBox).text() == "Enable Kubernetes"
    for button in w.findChildren(QAbstractButton):
        assert button.accessibleName(), f"button {button.objectName() or button.text()!r} has no accessible name"


def test_initial_state_comes_from_the_config(make_window, profile_dir):
    write_daemon_json(profile_dir, '{"log-level": "warn", "features": {"containerd-snapshotter": true}}\n')
    settings = Profile.from_dir(profile_dir).settings_path
    settings.write_text(json.dumps({"schema_version": 1, "kubernetes_enabled": True}))
    w = make_window("--profile", str(profile_dir))
    assert find(w, "useContainerdCheckbox").isChecked()
    assert find(w, "enableKubernetesCheckbox").isChecked()
    assert json.loads(find(w, "daemonJsonEditor").toPlainText())["log-level"] == "warn"
    assert not find(w, "applyRestartButton").isEnabled()
    assert not find(w, "discardButton").isEnabled()
    assert "Engine stopped" in find(w, "engineStatus").text()
    assert "containerd store" in find(w, "liveStoreLabel").text()  # "Configured: ..." while stopped


def test_off_by_default_without_a_config(make_window, profile_dir):
    w = make_window("--profile", str(profile_dir))
    assert not find(w, "useContainerdCheckbox").isChecked()
    assert not find(w, "enableKubernetesCheckbox").isChecked()
    assert "does not exist yet" in find(w, "daemonJsonNote").text()


# --- the draft: checkbox, editor, Discard ----------------------------------------------------
def test_tick_enables_apply_and_untick_restores_the_saved_bytes(make_window, profile_dir):
    original = '{\n    "log-level":   "warn"\n}\n'  # odd formatting, kept when nothing changes
    write_daemon_json(profile_dir, original)
    w = make_window("--profile", str(profile_dir))
    box, apply, editor = find(w, "useContainerdCheckbox"), find(w, "applyRestartButton"), find(w, "daemonJsonEditor")
    box.setChecked(True)
    assert apply.isEnabled() and find(w, "discardButton").isEnabled()
    assert apply.accessibleName() == "Apply & restart"
    data = json.loads(editor.toPlainText())
    assert data == {"log-level": "warn", "features": {"containerd-snapshotter": True}}
    box.setChecked(False)
    assert editor.toPlainText() == original
    assert not apply.isEnabled()


def test_discard_restores_every_page(make_window, profile_dir):
    write_daemon_json(profile_dir, '{"debug": true}\n')
    w = make_window("--profile", str(profile_dir))
    find(w, "useContainerdCheckbox").setChecked(True)
    find(w, "enableKubernetesCheckbox").setChecked(True)
    find(w, "discardButton").click()
    assert not find(w, "useContainerdCheckbox").isChecked()
    assert not find(w, "enableKubernetesCheckbox").isChecked()
    assert find(w, "daemonJsonEditor").toPlainText() == '{"debug": true}\n'
    assert not find(w, "applyRestartButton").isEnabled()


def test_editor_and_checkbox_agree_both_ways(make_window, profile_dir):
    write_daemon_json(profile_dir, '{"registry-mirrors": ["https://mirror.example"]}\n')
    w = make_window("--profile", str(profile_dir))
    box, editor = find(w, "useContainerdCheckbox"), find(w, "daemonJsonEditor", QPlainTextEdit)
    editor.setPlainText('{"registry-mirrors": ["https://mirror.example"], "features": {"containerd-snapshotter": true}}')
    assert box.isChecked()
    editor.setPlainText('{"features": {"containerd-snapshotter": false, "buildkit": true}}')
    assert not box.isChecked()
    box.setChecked(True)
    assert json.loads(editor.toPlainText()) == {"features": {"containerd-snapshotter": True, "buildkit": True}}


def test_invalid_json_blocks_apply_with_line_and_column(make_window, profile_dir):
    write_daemon_json(profile_dir, "{}\n")
    w = make_window("--profile", str(profile_dir))
    editor, apply = find(w, "daemonJsonEditor", QPlainTextEdit), find(w, "applyRestartButton")
    editor.setPlainText('{\n  "debug": true\n  "log-level": "warn"\n}\n')
    assert not apply.isEnabled()
    assert "line 3, column 3" in find(w, "daemonJsonStatus").text()
    assert "line 3, column 3" in find(w, "draftStateLabel").text()
    assert not find(w, "useContainerdCheckbox").isEnabled()
    assert "line 3, column 3" in apply.toolTip()
    editor.setPlainText('{\n  "debug": true,\n  "log-level": "warn"\n}\n')
    assert apply.isEnabled()
    assert "Valid JSON" in find(w, "daemonJsonStatus").text()
    assert find(w, "useContainerdCheckbox").isEnabled()


def test_a_non_boolean_store_key_is_an_error_not_a_guess(make_window, profile_dir):
    w = make_window("--profile", str(profile_dir))
    find(w, "daemonJsonEditor").setPlainText('{"features": {"containerd-snapshotter": "yes"}}')
    assert not find(w, "applyRestartButton").isEnabled()
    assert "must be true or false" in find(w, "daemonJsonStatus").text()


def test_a_damaged_daemon_json_on_disk_is_shown_and_never_overwritten(make_window, profile_dir):
    path = write_daemon_json(profile_dir, '{"debug": tru}\n')
    w = make_window("--profile", str(profile_dir))
    editor = find(w, "daemonJsonEditor", QPlainTextEdit)
    assert editor.toPlainText() == '{"debug": tru}\n'
    assert "line 1, column 11" in find(w, "daemonJsonStatus").text()
    editor.setPlainText('{"debug": true}\n')
    assert not find(w, "applyRestartButton").isEnabled()
    assert "never overwrites a file it cannot parse" in find(w, "daemonJsonStatus").text()
    assert path.read_text() == '{"debug": tru}\n'
    assert "daemon.json cannot be read" in find(w, "engineNotice").text.text()


def test_the_checkbox_speaks_the_targets_own_file(make_window, profile_dir, tmp_path, monkeypatch):
    """Docker Desktop's switch is UseContainerdSnapshotter in settings-store.json, not daemon.json's flag."""
    desktop = tmp_path / "desktop"
    desktop.mkdir()
    original = '{\n  "AutoStart": true,\n  "UseContainerdSnapshotter": false\n}\n'
    (desktop / "settings-store.json").write_text(original)
    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(desktop))
    w = make_window("--profile", str(profile_dir), "--target", "desktop")
    box, editor = find(w, "useContainerdCheckbox"), find(w, "daemonJsonEditor", QPlainTextEdit)
    assert not box.isChecked()
    box.setChecked(True)
    data = json.loads(editor.toPlainText())
    assert data["UseContainerdSnapshotter"] is True and data["AutoStart"] is True and "features" not in data
    box.setChecked(False)
    assert editor.toPlainText() == original


# --- Kubernetes: saved without a restart ----------------------------------------------------
def test_kubernetes_applies_to_settings_without_a_restart(make_window, profile_dir, qtbot):
    w = make_window("--profile", str(profile_dir))
    find(w, "enableKubernetesCheckbox").setChecked(True)
    apply = find(w, "applyRestartButton")
    assert apply.isEnabled() and apply.accessibleName() == "Apply"
    with qtbot.waitSignal(w.applyFinished, timeout=10_000) as blocker:
        apply.click()
    assert blocker.args[0] is True
    saved = json.loads(Profile.from_dir(profile_dir).settings_path.read_text())
    assert saved["kubernetes_enabled"] is True and saved["schema_version"] >= 1
    assert "Kubernetes enabled" in find(w, "applyResult").text()
    assert not apply.isEnabled()
    assert not Profile.from_dir(profile_dir).managed_config_path.exists()  # daemon.json untouched


def test_damaged_settings_disable_the_kubernetes_box(make_window, profile_dir):
    settings = Profile.from_dir(profile_dir).settings_path
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("{not json")
    w = make_window("--profile", str(profile_dir))
    assert not find(w, "enableKubernetesCheckbox").isEnabled()
    assert "not valid JSON" in find(w, "settingsError").text.text()
    assert settings.read_text() == "{not json"


# --- known issues ------------------------------------------------------------------------------
def test_known_issue_follows_the_draft_and_a_blocker_needs_switch_anyway(make_window, profile_dir, confirmations, qtbot):
    w = make_window("--profile", str(profile_dir))
    find(w, "useContainerdCheckbox").setChecked(True)
    assert w.findChild(QWidget, "knownIssue-kubernetes-incompatible") is None
    find(w, "enableKubernetesCheckbox").setChecked(True)
    card = find(w, "knownIssue-kubernetes-incompatible")
    assert card.accessibleName().startswith("Blocker")
    shown = find(w, "knownIssuesList").count()
    assert find(w, "knownIssuesHeader").text() == f"Known issues that apply ({shown})" and shown >= 1
    confirmations.answer = False
    find(w, "applyRestartButton").click()
    assert len(confirmations.asked) == 1
    asked = confirmations.asked[0]
    assert asked.needs_switch_anyway
    assert "kubernetes-incompatible" in asked.as_text()
    assert "Nothing was applied" in find(w, "applyResult").text()
    assert find(w, "applyRestartButton").isEnabled()  # still pending
    find(w, "enableKubernetesCheckbox").setChecked(False)
    assert w.findChild(QWidget, "knownIssue-kubernetes-incompatible") is None


def test_a_damaged_catalog_says_the_list_could_not_be_loaded(make_window, profile_dir, tmp_path, monkeypatch):
    damaged = tmp_path / "known_issues.toml"
    damaged.write_text('schema_version = 1\n[[issue]]\nid = "x"\nseverity = "fatal"\n')
    monkeypatch.setenv("STORESWITCH_KNOWN_ISSUES", str(damaged))
    w = make_window("--profile", str(profile_dir))
    text = find(w, "knownIssuesMessage").text()
    assert "could not be loaded" in text and "known_issues.toml" in text
    find(w, "useContainerdCheckbox").setChecked(True)
    assert find(w, "applyRestartButton").isEnabled()  # the window still works


# --- what is missing, said plainly ----------------------------------------------------------
def test_no_dockerd_installed_says_how_to_get_one(make_window, profile_dir, tmp_path, monkeypatch):
    empty = tmp_path / "no-engine"
    empty.mkdir()
    monkeypatch.setenv("STORESWITCH_ENGINE_DIR", str(empty))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.delenv("STORESWITCH_DOCKERD", raising=False)
    w = make_window("--profile", str(profile_dir))
    assert find(w, "engineStatus").text() == "No Docker Engine installed"
    notice = find(w, "engineNotice")
    assert notice.isVisibleTo(w)
    assert "storeswitch engine install" in notice.text.text()
    assert "--dockerd" in notice.text.text()


def test_not_root_says_the_engine_needs_root(make_window, profile_dir, monkeypatch):
    """A test double for the user id only: these tests run as root, and dockerd needs root."""
    import gui.status_text

    monkeypatch.setattr(gui.status_text.os, "geteuid", lambda: 1000)
    w = make_window("--profile", str(profile_dir))
    assert "needs root" in find(w, "engineStatus").text()
    assert "sudo storeswitch-gui" in find(w, "engineNotice").text.text()


# --- keyboard ------------------------------------------------------------------------------------
def tab_walk(qtbot, presses: int = 40) -> set[str]:
    """Press Tab *presses* times from the focused widget; the objectNames focus visited."""
    from PySide6.QtWidgets import QApplication

    seen = set()
    for _ in range(presses):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.add(QApplication.focusWidget().objectName())
    return seen


def test_the_whole_window_works_from_the_keyboard(make_window, profile_dir, qtbot):
    w = make_window("--profile", str(profile_dir))
    w.show()
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    sections, tabs = find(w, "settingsSections"), find(w, "settingsTabs", QTabWidget)
    sections.setFocus()
    for _ in range(3):
        qtbot.keyClick(sections, Qt.Key.Key_Down)
    assert tabs.currentWidget().objectName() == "experimentalPage"
    walk = tab_walk(qtbot)
    assert "useContainerdCheckbox" in walk and "settingsSections" in walk
    box = find(w, "useContainerdCheckbox")
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_Space)
    assert box.isChecked()
    walk = tab_walk(qtbot)
    assert {"applyRestartButton", "discardButton"} <= set(walk), walk
    qtbot.keyClick(sections, Qt.Key.Key_Up)
    assert tabs.currentWidget().objectName() == "kubernetesPage"
    assert "enableKubernetesCheckbox" in tab_walk(qtbot)
    qtbot.keyClick(sections, Qt.Key.Key_Up)
    editor = find(w, "daemonJsonEditor", QPlainTextEdit)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Tab)
    assert editor.toPlainText().count("\t") == 0 and not editor.hasFocus(), "Tab must leave the JSON editor"


# --- the command line -----------------------------------------------------------------------
def test_screenshot_renders_the_asked_tab_at_the_asked_size(tmp_path, profile_dir, qapp):
    from gui.app import main

    out = tmp_path / "shot.png"
    assert main(["--profile", str(profile_dir), "--screenshot", str(out), "--tab", "Docker Engine", "--size", "900x600"]) == 0
    image = QImage(str(out))
    assert (image.width(), image.height()) == (900, 600)


def test_storeswitch_gui_takes_the_same_screenshot_options(tmp_path, profile_dir, qapp):
    from backend.cli import main

    out = tmp_path / "cli.png"
    assert main(["--profile", str(profile_dir), "gui", "--screenshot", str(out), "--tab", "kubernetes", "--wait", "0"]) == 0
    assert QImage(str(out)).width() == 1280


def test_unknown_tab_is_a_usage_error(make_window, profile_dir):
    with pytest.raises(ValueError, match="no tab named 'nope'") as raised:
        make_window("--profile", str(profile_dir), "--tab", "nope", settle=False)
    assert "docker-engine" in str(raised.value)  # the README's spelling, which --tab takes


def test_without_a_display_it_says_how_to_proceed(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    proc = subprocess.run([sys.executable, "-m", "gui.app", "--profile", str(tmp_path / "p")],
                          capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 1
    assert "no display" in proc.stderr and "--screenshot" in proc.stderr and "storeswitch status" in proc.stderr
    assert "Aborted" not in proc.stderr and "qt.qpa" not in proc.stderr
