"""What the containerd store enables, and the Troubleshoot actions, against a real dockerd.

One isolated engine per test (the ``managed`` fixture, classic store), driven through the window
as a user would; the confirmation seam answers yes. The stargz refusal is the engine's real
behaviour on Engine 26.1.5 with no stargz plugin: it starts, reports ``Driver stargz``, and fails to
store an image ("snapshotter not loaded"), which the switch's verification probe catches.
"""

from __future__ import annotations

import json
import zipfile

from PySide6.QtWidgets import QComboBox

from backend.stores import Store, live_store
from tests.conftest import image_names, tiny_tar
from tests.gui.conftest import find

SWITCH_MS = 180_000


def profile_root(profile) -> str:
    return str(profile.config_dir.parent)


def choose(combo: QComboBox, name: str) -> None:
    combo.setCurrentIndex(combo.findText(name))


def run_check(w, qtbot) -> str:
    with qtbot.waitSignal(w.features.multiPlatformChecked, timeout=SWITCH_MS):
        find(w, "multiPlatformCheckButton").click()
    return find(w, "multiPlatformResult").text()


def test_stargz_is_refused_by_use_then_native_switches(managed, engine_profile, make_window, confirmations, qtbot):
    with managed.client() as c:
        c.import_image(tiny_tar(b"feat"), "ssw/feat", "v1")
    w = make_window("--profile", profile_root(engine_profile))
    live = find(w, "liveStoreLabel")
    assert live.text() == "classic store, storage driver overlay2"  # /info's Driver, as the engine says it

    assert "multi-platform images: not supported on the current store" in run_check(w, qtbot)

    box, combo = find(w, "useContainerdCheckbox"), find(w, "snapshotterChoice", QComboBox)
    qtbot.waitUntil(lambda: w.features.report is not None, timeout=30_000)
    box.setChecked(True)
    choose(combo, "stargz")
    assert "not installed" in find(w, "snapshotterStatus").text()
    before = managed.config_path.read_bytes() if managed.config_path.exists() else None
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
    assert done.args[0] is False
    result = find(w, "applyResult").text()
    assert "snapshotter not loaded" in result and "stargz" in result, result  # the engine's own words
    assert "The engine runs the classic store, as before." in result
    assert (managed.config_path.read_bytes() if managed.config_path.exists() else None) == before
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
    assert combo.currentText() == "stargz" and box.isChecked(), "the refused choice stays, to be changed"

    choose(combo, "native")
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
    assert done.args[0] is True, find(w, "applyResult").text()
    assert "'storage-driver' is set to 'native'" in confirmations.asked[-1].as_text()
    with managed.client() as c:
        info = c.info()
    assert live_store(info) is Store.CONTAINERD and info["Driver"] == "native"
    qtbot.waitUntil(lambda: live.text() == "containerd store, snapshotter native", timeout=30_000)
    impact = find(w, "switchImpact")
    qtbot.waitUntil(lambda: "The engine already uses the containerd store" in impact.text(), timeout=30_000)
    assert "The classic store holds 1 image" in impact.text()  # the hidden store, from disk

    assert "multi-platform images: supported on the current store" in run_check(w, qtbot)
    with managed.client() as c:
        assert not any(n.startswith("storeswitch-check") for n in image_names(c)), "the check leaves nothing behind"

    with qtbot.waitSignal(w.diagnostics.storeVerified, timeout=SWITCH_MS) as verified:
        find(w, "verifyStoreButton").click()
    assert verified.args[0].ok
    assert "containerd store, snapshotter native works" in find(w, "verifyStoreResult").text()


def test_troubleshoot_report_bundle_and_restart_on_a_running_engine(managed, engine_profile, make_window,
                                                                     confirmations, save_as, qtbot, tmp_path):
    with managed.client() as c:
        c.import_image(tiny_tar(b"diag"), "ssw/diag", "v2")
    managed.config_path.parent.mkdir(parents=True, exist_ok=True)
    managed.config_path.write_text(json.dumps({"features": {"containerd-snapshotter": True}}))  # restart pending
    w = make_window("--profile", profile_root(engine_profile), "--tab", "troubleshoot")
    view = find(w, "diagnosticsView")
    qtbot.waitUntil(lambda: "ssw/diag:v2" in view.toPlainText(), timeout=30_000)
    assert "live store:" in view.toPlainText() and "restart pending" in view.toPlainText()

    save_as.answer = tmp_path / "support.zip"
    with qtbot.waitSignal(w.diagnostics.bundleWritten, timeout=SWITCH_MS):
        find(w, "exportBundleButton").click()
    with zipfile.ZipFile(save_as.answer) as zf:
        assert "ssw/diag:v2" in zf.read("storeswitch-diagnostics/report.txt").decode()
        assert zf.read("storeswitch-diagnostics/engine.log")

    with qtbot.waitSignal(w.tasks.engineRestarted, timeout=SWITCH_MS) as restarted:
        find(w, "restartEngineButton").click()
    asked = confirmations.asked[-1]
    assert asked.title == "Restart the engine?" and "comes back on it" in asked.as_text()  # the pending config says so
    assert restarted.args[0] == "containerd store, snapshotter overlayfs"
    assert "The engine restarted." in find(w, "restartEngineResult").text()
    qtbot.waitUntil(lambda: find(w, "liveStoreLabel").text() == "containerd store, snapshotter overlayfs", timeout=30_000)
    # the page is shown, so the report is gathered again for the engine as it is now
    qtbot.waitUntil(lambda: "containerd (Driver overlayfs" in view.toPlainText(), timeout=30_000)
