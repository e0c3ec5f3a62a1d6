"""The General tab's target chooser, and target detection that never holds up the window.

No engine runs. Docker Desktop is its settings file in a temporary folder (STORESWITCH_DESKTOP_DIR),
which is all the desktop target reads; the system engine's socket is a path with nothing behind it
(tests/conftest.py), or, for the detection test, a real unix socket that accepts connections and
never answers: what a hung engine looks like to a client.
"""

from __future__ import annotations

import json
import socket

import pytest
from PySide6.QtWidgets import QComboBox

from backend.profile import Profile
from backend.settings import Settings
from tests.gui.conftest import SETTLE_MS, find


@pytest.fixture
def desktop(tmp_path, monkeypatch):
    folder = tmp_path / "desktop"
    folder.mkdir()
    settings = folder / "settings-store.json"
    settings.write_text('{\n  "AutoStart": true,\n  "UseContainerdSnapshotter": false\n}\n')
    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(folder))
    return settings


def option_texts(combo: QComboBox) -> dict[str, tuple[bool, str]]:
    model = combo.model()
    return {combo.itemData(i): (model.item(i).isEnabled(), model.item(i).toolTip()) for i in range(combo.count())}


def test_targets_are_listed_with_availability_and_why(make_window, tmp_path, desktop):
    w = make_window("--profile", str(tmp_path / "p"), "--target", "managed")
    combo = find(w, "targetChoice", QComboBox)
    assert combo.currentData() == "managed" and combo.isEnabled()
    options = option_texts(combo)
    assert list(options) == ["auto", "managed", "system", "rootless", "desktop"]
    assert options["desktop"][0] and str(desktop) in options["desktop"][1]
    assert not options["system"][0] and "no engine answers" in options["system"][1]
    listing = find(w, "targetOptions").text()
    assert "Docker Desktop" in listing and "no engine answers" in listing
    assert "chosen with --target managed" in find(w, "targetReason").text()


def test_choosing_a_target_saves_it_and_rebuilds_the_window_on_it(make_window, tmp_path, desktop, qtbot):
    w = make_window("--profile", str(tmp_path / "p"), "--target", "managed")
    combo = find(w, "targetChoice", QComboBox)
    with qtbot.waitSignal(w.tasks.targetChosen, timeout=SETTLE_MS):
        combo.activated.emit(combo.findData("desktop"))
    qtbot.waitUntil(w.is_settled, timeout=SETTLE_MS)
    assert Settings.load(Profile.from_dir(tmp_path / "p").settings_path).get("target") == "desktop"
    assert w.target.name == "desktop" and w.tasks.target is w.target
    assert "settings-store.json" in find(w, "daemonJsonPath").text()
    assert str(desktop) in find(w, "generalConfig").text()
    assert "now manages the desktop target" in find(w, "applyResult").text()

    # the Experimental tab works the same on this target: the box edits Docker Desktop's own key
    box, editor = find(w, "useContainerdCheckbox"), find(w, "daemonJsonEditor")
    box.setChecked(True)
    data = json.loads(editor.toPlainText())
    assert data["UseContainerdSnapshotter"] is True and data["AutoStart"] is True
    snap = find(w, "snapshotterChoice")
    assert not snap.isEnabled() and "Docker Desktop chooses its own snapshotter" in find(w, "snapshotterStatus").text()
    assert not combo.isEnabled() and "Apply or Discard" in combo.toolTip()
    find(w, "discardButton").click()
    assert combo.isEnabled()

    with qtbot.waitSignal(w.tasks.targetChosen, timeout=SETTLE_MS):
        combo.activated.emit(combo.findData("auto"))
    qtbot.waitUntil(w.is_settled, timeout=SETTLE_MS)
    assert w.target.name == "desktop" and w.target.reason.startswith("auto: Docker Desktop's settings file")
    assert Settings.load(Profile.from_dir(tmp_path / "p").settings_path).get("target") == "auto"


def test_the_saved_choice_is_what_a_new_window_uses(make_window, tmp_path, desktop):
    settings = Settings.load(Profile.from_dir(tmp_path / "p").settings_path)
    settings.set("target", "managed")
    settings.save()
    w = make_window("--profile", str(tmp_path / "p"))
    assert w.target.name == "managed"  # not auto's pick (Docker Desktop's file exists)
    assert find(w, "targetChoice", QComboBox).currentData() == "managed"


def test_detection_does_not_hold_up_the_window(tmp_path, monkeypatch, qtbot):
    """A system socket that accepts and never answers: the window appears at once and settles later."""
    from gui.app import create_window

    hung = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    path = tmp_path / "hung.sock"
    hung.bind(str(path))
    hung.listen(8)
    monkeypatch.setenv("STORESWITCH_SYSTEM_HOST", f"unix://{path}")
    try:
        w = create_window(["--profile", str(tmp_path / "p")])
        qtbot.addWidget(w)
        assert w.detecting, "auto's socket pings must run after the window exists"
        assert not find(w, "useContainerdCheckbox").isEnabled()
        assert not find(w, "applyRestartButton").isEnabled()
        assert "Finding the engine" in find(w, "targetReason").text()
        qtbot.waitUntil(lambda: not w.detecting and w.is_settled(), timeout=SETTLE_MS)
        assert w.target.name == "managed" and str(path) in w.target.reason
        assert find(w, "useContainerdCheckbox").isEnabled()
        assert "Now: <b>managed</b>" in find(w, "targetReason").text()
    finally:
        w.tasks.wait(SETTLE_MS)
        hung.close()
