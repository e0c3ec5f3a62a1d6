"""The Kubernetes tab: Docker Desktop's own setting on the desktop target, storeswitch's elsewhere.

No engine runs. Docker Desktop is its settings file in a temporary folder
(STORESWITCH_DESKTOP_DIR), the shapes users publish (tests/unit/fixtures/desktop). Its backend
settings API is the stand-in server of tests/desktop_standin.py (a test double: Docker Desktop
cannot run on these machines) where a test needs it; elsewhere no socket is there, which is what
a machine with Docker Desktop stopped looks like.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QCheckBox

from backend.profile import Profile
from tests.desktop_standin import StandInDesktop
from tests.gui.conftest import find

FIXTURES = Path(__file__).parents[1] / "unit" / "fixtures" / "desktop"


@pytest.fixture
def desk(monkeypatch):
    """A short folder (unix socket paths are limited to 108 bytes) that is Docker Desktop's settings folder."""
    folder = Path(tempfile.mkdtemp(prefix="ssg-", dir="/tmp"))
    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def place(folder: Path, fixture: str, name: str) -> Path:
    shutil.copyfile(FIXTURES / fixture / name, folder / name)
    return folder / name


def apply(w, qtbot) -> str:
    with qtbot.waitSignal(w.applyFinished, timeout=15_000) as blocker:
        find(w, "applyRestartButton").click()
    assert blocker.args[0] is True, blocker.args[1]
    return find(w, "applyResult").text()


def test_the_tab_shows_desktops_setting_and_mode_and_the_blocker_follows_it(make_window, tmp_path, desk, qtbot):
    place(desk, "4.45-kind", "settings-store.json")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "desktop")
    box = find(w, "enableKubernetesCheckbox", QCheckBox)
    assert box.isChecked() and box.isEnabled()
    assert f"Docker Desktop's own setting (KubernetesEnabled in {desk / 'settings-store.json'})" in find(w, "kubernetesSettingSource").text()
    qtbot.waitUntil(lambda: "settings-store.json: Docker Desktop applies them when it restarts" in find(w, "kubernetesApplyPath").text(),
                    timeout=10_000)
    mode = find(w, "kubernetesModeLabel")
    assert not mode.isHidden() and "kind" in mode.text()
    find(w, "useContainerdCheckbox").setChecked(True)
    qtbot.waitUntil(lambda: w.findChild(object, "knownIssue-kubernetes-incompatible") is not None, timeout=10_000)
    assert w.findChild(object, "knownIssue-kind-load-image-fails") is not None
    box.setChecked(False)
    qtbot.waitUntil(lambda: w.findChild(object, "knownIssue-kubernetes-incompatible") is None, timeout=10_000)


def test_editing_it_writes_desktops_key_and_says_restart_pending(make_window, tmp_path, desk, qtbot):
    path = place(desk, "4.45-kind", "settings-store.json")
    original = path.read_text()
    before = json.loads(original)
    profile = tmp_path / "p"
    w = make_window("--profile", str(profile), "--target", "desktop")
    find(w, "enableKubernetesCheckbox").setChecked(False)
    assert find(w, "applyRestartButton").accessibleName() == "Apply"
    message = apply(w, qtbot)
    after = json.loads(path.read_text())
    assert after["KubernetesEnabled"] is False
    assert {k: v for k, v in after.items() if k != "KubernetesEnabled"} == {k: v for k, v in before.items() if k != "KubernetesEnabled"}
    assert path.read_text() == original.replace('"KubernetesEnabled": true', '"KubernetesEnabled": false')  # formatting kept
    assert "restart pending" in message and "settings-store.json" in message and "no socket at" in message
    settings = Profile.from_dir(profile).settings_path
    assert not settings.exists() or "kubernetes_enabled" not in json.loads(settings.read_text())  # not storeswitch's
    assert not find(w, "enableKubernetesCheckbox").isChecked()


def test_the_older_settings_json_is_edited_in_its_own_spelling(make_window, tmp_path, desk, qtbot):
    path = place(desk, "4.34-kubernetes", "settings.json")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "desktop")
    box = find(w, "enableKubernetesCheckbox")
    assert box.isChecked()
    assert "kubernetesEnabled in" in find(w, "kubernetesSettingSource").text()
    box.setChecked(False)
    apply(w, qtbot)
    data = json.loads(path.read_text())
    assert data["kubernetesEnabled"] is False and "KubernetesEnabled" not in data


def test_with_desktop_running_the_settings_api_is_used(make_window, tmp_path, desk, qtbot):
    path = place(desk, "4.45-kind", "settings-store.json")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "desktop")
    with StandInDesktop(desk, 2, path) as server:
        find(w, "enableKubernetesCheckbox").setChecked(False)
        message = apply(w, qtbot)
        assert server.posts and server.posts[0]["vm"]["kubernetes"]["enabled"] == {"value": False, "locked": False}
    assert "settings API (backend.sock" in message and "applies it itself" in message
    assert json.loads(path.read_text())["KubernetesEnabled"] is False


def test_a_locked_setting_cannot_be_changed(make_window, tmp_path, desk):
    path = place(desk, "locked", "settings-store.json")
    data = json.loads(path.read_text())
    data["KubernetesEnabled"]["locked"] = True
    path.write_text(json.dumps(data, indent=2) + "\n")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "desktop")
    assert find(w, "enableKubernetesCheckbox").isChecked() and not find(w, "enableKubernetesCheckbox").isEnabled()
    assert "Locked by your administrator" in find(w, "kubernetesLockedLabel").text()


def test_other_targets_label_storeswitchs_own_setting(make_window, tmp_path):
    w = make_window("--profile", str(tmp_path / "p"), "--target", "managed")
    assert "storeswitch's own setting (no engine reads it)" in find(w, "kubernetesSettingSource").text()
    assert find(w, "kubernetesModeLabel").isHidden()


def test_switch_impact_on_desktop_gives_no_host_figures(make_window, tmp_path, desk, qtbot):
    """Docker Desktop stopped: its stores are inside its VM, so nothing is counted or measured on the host."""
    place(desk, "4.45-kind", "settings-store.json")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "desktop")
    impact = find(w, "switchImpact")
    qtbot.waitUntil(lambda: "inside Docker Desktop's VM" in impact.text(), timeout=10_000)
    assert "not readable from the host (inside Docker Desktop's VM)" in impact.text()
    assert " B" not in impact.text() and "images ·" not in impact.text()  # no counts, no sizes
