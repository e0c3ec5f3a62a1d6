"""The Experimental tab's containerd features without an engine: snapshotter choice, Wasm, both stores.

No dockerd runs (the managed engine is simply stopped, a real state): the snapshotter choice and
the daemon.json editor agree both ways, follow the backend's storage-driver rule and refuse a name
containerd could not have; a Wasm runtime is listed and brings ``wasm-needs-containerd`` into the
list and the confirmation when the classic store is chosen; both stores are read from disk off the
GUI thread and the sentence follows the checkbox without reading them again. The real-engine
counterparts (a refused stargz, native, the multi-platform check) are in
test_gui_features_engine.py.
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtWidgets import QComboBox, QWidget

from backend.profile import Profile
from tests.gui.conftest import find
from tests.synthetic_stores import make_classic, make_container, make_containerd

WASMEDGE = "io.containerd.wasmedge.v1"


def write_daemon_json(profile_dir: Path, text: str) -> Path:
    path = Profile.from_dir(profile_dir).managed_config_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def editor_data(w) -> dict:
    return json.loads(find(w, "daemonJsonEditor").toPlainText())


def choose(combo: QComboBox, name: str) -> None:
    """Pick *name* from the list the way a user does (the list's own signal, not the text field)."""
    index = combo.findText(name)
    assert index >= 0, f"{name} is not in the list"
    combo.setCurrentIndex(index)


def test_new_contract_names_exist_with_accessible_names(make_window, tmp_path):
    w = make_window("--profile", str(tmp_path / "p"))
    for name in ("diagnosticsView", "copyDiagnosticsButton", "exportBundleButton", "restartEngineButton",
                 "snapshotterChoice", "verifyStoreButton", "multiPlatformCheckButton", "multiPlatformResult",
                 "wasmRuntimesLabel", "targetChoice"):
        assert find(w, name).accessibleName(), f"{name} has no accessible name"
    combo = find(w, "snapshotterChoice", QComboBox)
    assert combo.isEditable()
    assert [combo.itemText(i) for i in range(combo.count())] == ["overlayfs", "native", "stargz", "nydus"]
    assert combo.itemDelegate().displayText("overlayfs", None) == "overlayfs (default)"
    assert find(w, "diagnosticsView").isReadOnly()
    assert isinstance(find(w, "targetChoice"), QComboBox)


def test_snapshotter_enabled_only_with_the_containerd_box_ticked(make_window, tmp_path):
    w = make_window("--profile", str(tmp_path / "p"))
    box, combo = find(w, "useContainerdCheckbox"), find(w, "snapshotterChoice")
    assert not box.isChecked() and not combo.isEnabled()
    assert "tick the box" in find(w, "snapshotterStatus").text()
    box.setChecked(True)
    assert combo.isEnabled() and combo.currentText() == "overlayfs"
    box.setChecked(False)
    assert not combo.isEnabled()
    find(w, "daemonJsonEditor").setPlainText('{"features": {"containerd-snapshotter": true}}')
    assert combo.isEnabled()


def test_snapshotter_written_to_the_editor_and_read_back(make_window, tmp_path):
    original = '{\n  "log-level": "warn"\n}\n'
    write_daemon_json(tmp_path / "p", original)
    w = make_window("--profile", str(tmp_path / "p"))
    box, combo, editor = find(w, "useContainerdCheckbox"), find(w, "snapshotterChoice", QComboBox), find(w, "daemonJsonEditor")
    box.setChecked(True)
    ticked = editor.toPlainText()
    assert "storage-driver" not in editor_data(w)  # the default is no key at all

    choose(combo, "native")
    assert editor_data(w) == {"log-level": "warn", "features": {"containerd-snapshotter": True}, "storage-driver": "native"}
    assert find(w, "applyRestartButton").isEnabled()

    data = editor_data(w)
    data["storage-driver"] = "nydus"
    editor.setPlainText(json.dumps(data, indent=2))
    assert combo.currentText() == "nydus"

    combo.setEditText("my-snapshotter")  # an expert's own name
    assert editor_data(w)["storage-driver"] == "my-snapshotter"

    choose(combo, "overlayfs")
    assert editor.toPlainText() == ticked  # the default again: the key is gone
    box.setChecked(False)
    assert editor.toPlainText() == original


def test_an_expert_name_gets_its_own_availability(make_window, tmp_path, qtbot):
    w = make_window("--profile", str(tmp_path / "p"))
    find(w, "useContainerdCheckbox").setChecked(True)
    status = find(w, "snapshotterStatus")
    qtbot.waitUntil(lambda: "built into containerd" in status.text(), timeout=10_000)
    find(w, "snapshotterChoice").setEditText("zz-lazy")
    qtbot.waitUntil(lambda: "not a snapshotter built into containerd" in status.text(), timeout=10_000)
    assert "not installed" in status.text()
    others = find(w, "snapshotterOthers")
    assert "stargz: not installed" in others.text() and "nydus: not installed" in others.text()


def test_a_name_containerd_cannot_have_blocks_apply_and_is_not_written(make_window, tmp_path):
    w = make_window("--profile", str(tmp_path / "p"))
    find(w, "useContainerdCheckbox").setChecked(True)
    editor, combo, apply = find(w, "daemonJsonEditor"), find(w, "snapshotterChoice"), find(w, "applyRestartButton")
    before = editor.toPlainText()
    combo.setEditText("my snap/1")
    assert editor.toPlainText() == before, "a bad name must not reach daemon.json"
    assert not apply.isEnabled()
    assert "not a plugin name" in find(w, "snapshotterStatus").text()
    assert "not a plugin name" in find(w, "draftStateLabel").text()
    combo.setEditText("stargz")
    assert apply.isEnabled() and editor_data(w)["storage-driver"] == "stargz"
    combo.setEditText("bad name")
    find(w, "discardButton").click()
    assert combo.currentText() == "overlayfs" and not apply.isEnabled()
    assert "not a plugin name" not in find(w, "snapshotterStatus").text()


def test_switching_to_classic_drops_a_snapshotter_and_says_so(make_window, tmp_path, confirmations):
    """The backend's rule (plan_storage_driver): the classic store has no 'stargz' and would refuse to start."""
    write_daemon_json(tmp_path / "p", '{"features": {"containerd-snapshotter": true}, "storage-driver": "stargz"}\n')
    w = make_window("--profile", str(tmp_path / "p"))
    combo = find(w, "snapshotterChoice")
    assert combo.currentText() == "stargz" and combo.isEnabled()
    find(w, "useContainerdCheckbox").setChecked(False)
    assert "storage-driver" not in editor_data(w)
    confirmations.answer = False
    find(w, "applyRestartButton").click()
    text = confirmations.asked[-1].as_text()
    assert "'storage-driver: stargz' is removed from daemon.json" in text

    find(w, "useContainerdCheckbox").setChecked(True)
    assert editor_data(w)["storage-driver"] == "stargz"  # ticking back restores the text as it was
    choose(combo, "native")
    find(w, "applyRestartButton").click()
    assert "'storage-driver' is set to 'native' in daemon.json (it was 'stargz')" in confirmations.asked[-1].as_text()


def test_switching_to_containerd_drops_overlay2_like_the_cli(make_window, tmp_path):
    write_daemon_json(tmp_path / "p", '{"storage-driver": "overlay2"}\n')
    w = make_window("--profile", str(tmp_path / "p"))
    find(w, "useContainerdCheckbox").setChecked(True)
    assert "storage-driver" not in editor_data(w)
    assert find(w, "snapshotterChoice").currentText() == "overlayfs"
    assert "removed from daemon.json" in w.draft.storage_driver_note()


def test_wasm_runtime_listed_and_known_issue_when_classic_is_chosen(make_window, tmp_path, confirmations):
    config = {"features": {"containerd-snapshotter": True}, "runtimes": {WASMEDGE: {"runtimeType": WASMEDGE}}}
    write_daemon_json(tmp_path / "p", json.dumps(config))
    w = make_window("--profile", str(tmp_path / "p"))
    label = find(w, "wasmRuntimesLabel")
    assert WASMEDGE in label.text() and "in daemon.json" in label.text()
    assert w.findChild(QWidget, "knownIssue-wasm-needs-containerd") is None

    find(w, "useContainerdCheckbox").setChecked(False)
    card = find(w, "knownIssue-wasm-needs-containerd")
    assert card.accessibleName().startswith("Warning")
    assert "do not run on the classic store" in label.text()
    confirmations.answer = False
    find(w, "applyRestartButton").click()
    assert "wasm-needs-containerd" in confirmations.asked[-1].as_text()

    find(w, "useContainerdCheckbox").setChecked(True)
    assert w.findChild(QWidget, "knownIssue-wasm-needs-containerd") is None


def test_no_wasm_runtime_says_how_to_add_one(make_window, tmp_path):
    w = make_window("--profile", str(tmp_path / "p"))
    assert "None configured" in find(w, "wasmRuntimesLabel").text()


def test_multi_platform_check_needs_a_running_engine(make_window, tmp_path):
    w = make_window("--profile", str(tmp_path / "p"))
    button = find(w, "multiPlatformCheckButton")
    assert not button.isEnabled() and "Start the engine" in button.toolTip()
    assert "Not checked yet" in find(w, "multiPlatformResult").text()


def test_both_stores_read_off_thread_and_the_sentence_follows_the_checkbox(make_window, tmp_path, qtbot, monkeypatch):
    """Engine stopped: both stores come from disk. Ticking the box rewords; it does not read the disk again."""
    import backend.inspect

    calls = []
    real = backend.inspect.inspect_stores

    def counting(*args, **kwargs):
        calls.append(kwargs.get("use_engine"))
        return real(*args, **kwargs)

    monkeypatch.setattr(backend.inspect, "inspect_stores", counting)
    data_root = Profile.from_dir(tmp_path / "p").managed_data_root  # stores as Engine 26 lays them out
    make_classic(data_root, ["alpine:3.20", "ex/web:v1"], untagged=1)
    make_containerd(data_root / "containerd" / "daemon", ["busybox:latest"])
    make_container(data_root, "a" * 64, "web-1", "ex/web:v1", "overlay2")
    progress = []
    w = make_window("--profile", str(tmp_path / "p"), settle=False)
    w.tasks.impactProgressed.connect(lambda stage, sentence: progress.append((stage, find(w, "switchImpactProgress").text())))
    qtbot.waitUntil(w.is_settled, timeout=30_000)
    impact = find(w, "switchImpact")
    assert calls == [False], "the engine is stopped: both stores are read from disk, once"
    assert progress and all(shown for _, shown in progress), "every step was shown while reading"
    assert {"classic", "containerd", "done"} <= {stage for stage, _ in progress}
    assert find(w, "switchImpactProgressRow").isHidden()
    assert "Classic store</b> (configured)" in impact.text() and "containerd store</b>" in impact.text()
    assert "The engine already uses the classic store" in impact.text()
    assert "3 images · 1 container · " in impact.text() and "1 image · 0 containers · " in impact.text()

    find(w, "useContainerdCheckbox").setChecked(True)
    assert "3 images and 1 container (" in impact.text()
    assert "in the classic store will be hidden, not deleted. The containerd store holds 1 image (" in impact.text()
    assert "→ shown after the switch" in impact.text()
    find(w, "useContainerdCheckbox").setChecked(False)
    assert "The engine already uses the classic store" in impact.text()
    qtbot.wait(50)
    assert calls == [False], "a checkbox flip must not read the stores again"


def test_the_reading_progress_shows_only_when_reading_takes_a_while(make_window, tmp_path, qtbot):
    """Small stores are read in milliseconds and must not flash a progress line; big ones show the step."""
    w = make_window("--profile", str(tmp_path / "p"))
    page, row = w.experimental, find(w, "switchImpactProgressRow")
    page.set_impact_progress("Measuring the classic store on disk… 5,000 files")
    assert row.isHidden(), "not at once"
    qtbot.waitUntil(lambda: not row.isHidden(), timeout=2_000)
    assert find(w, "switchImpactProgress").text() == "Measuring the classic store on disk… 5,000 files"
    page.set_impact_progress(None)
    assert row.isHidden()
    page.set_impact_progress("Reading the containers…")
    page.set_impact_progress(None)
    qtbot.wait(400)
    assert row.isHidden(), "a read that ended before the delay never shows the line"
