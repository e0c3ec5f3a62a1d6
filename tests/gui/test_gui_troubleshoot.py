"""The Troubleshoot tab without an engine: the diagnostics report, copy, the support bundle, verify, recovery.

No dockerd runs here (the managed engine is stopped, a real state the tab must handle: both stores
are read from disk). Where the bundle goes is answered through the ``save_as`` fixture (the
``gui.confirm.choose_save_path`` seam), so no file dialog opens. The restart and the verification
against a running engine are in test_gui_features_engine.py.
"""

from __future__ import annotations

import base64
import json
import zipfile

from PySide6.QtWidgets import QApplication

from backend.journal import JournalEntry, SwitchJournal
from backend.profile import Profile
from tests.gui.conftest import find

SECRET = "hunter2-very-secret"


def show_troubleshoot(w, qtbot):
    w.show_tab("troubleshoot")
    view = find(w, "diagnosticsView")
    qtbot.waitUntil(lambda: "diagnostics" in view.toPlainText() and w.is_settled(), timeout=30_000)
    return view


def test_the_report_is_gathered_when_the_tab_is_shown_and_secrets_never_show(make_window, tmp_path, qtbot):
    profile = Profile.from_dir(tmp_path / "p")
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    profile.managed_config_path.write_text(json.dumps({"proxies": {"http-proxy": f"http://me:{SECRET}@proxy:3128"}}))
    w = make_window("--profile", str(tmp_path / "p"))
    view = find(w, "diagnosticsView")
    assert view.toPlainText() == "", "the report is gathered on demand, not at start"
    show_troubleshoot(w, qtbot)
    text = view.toPlainText()
    assert "target:" in text and "classic store:" in text and "containerd store:" in text
    assert "not running" in text and "both stores read from disk" in text
    assert SECRET not in text
    assert find(w, "copyDiagnosticsButton").isEnabled()
    assert "Gathered at" in find(w, "diagnosticsState").text()

    find(w, "copyDiagnosticsButton").click()
    assert QApplication.clipboard().text() == text
    assert "Copied the report" in find(w, "diagnosticsState").text()


def test_export_writes_a_redacted_bundle_where_the_user_chose(make_window, tmp_path, qtbot, save_as):
    profile = Profile.from_dir(tmp_path / "p")
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    profile.managed_config_path.write_text(json.dumps({"registry-mirrors": [f"https://user:{SECRET}@mirror.example"]}))
    w = make_window("--profile", str(tmp_path / "p"))
    show_troubleshoot(w, qtbot)
    save_as.answer = tmp_path / "out" / "bundle.zip"
    (tmp_path / "out").mkdir()
    with qtbot.waitSignal(w.diagnostics.bundleWritten, timeout=30_000) as written:
        find(w, "exportBundleButton").click()
    title, suggested = save_as.asked[-1]
    assert title == "Export a support bundle" and suggested.name.startswith("storeswitch-diagnostics-") and suggested.suffix == ".zip"
    assert written.args[0]["path"] == str(save_as.answer)
    result = find(w, "exportBundleResult").text()
    assert "Saved bundle.zip" in result and str(tmp_path / "out") in result and "secrets removed" in result
    with zipfile.ZipFile(save_as.answer) as zf:
        names = {n.rsplit("/", 1)[-1] for n in zf.namelist()}
        assert {"report.json", "report.txt", "daemon.json", "MANIFEST.json"} <= names
        for name in zf.namelist():
            assert SECRET.encode() not in zf.read(name), f"the secret reached {name}"
    assert find(w, "exportBundleButton").isEnabled()


def test_export_cancelled_or_unwritable_says_so(make_window, tmp_path, qtbot, save_as):
    w = make_window("--profile", str(tmp_path / "p"))
    w.show_tab("troubleshoot")
    save_as.answer = None
    find(w, "exportBundleButton").click()
    assert "Nothing was exported: you cancelled." in find(w, "exportBundleResult").text()

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    save_as.answer = blocker / "bundle.zip"
    find(w, "exportBundleButton").click()
    qtbot.waitUntil(lambda: "was not written" in find(w, "exportBundleResult").text(), timeout=30_000)
    result = find(w, "exportBundleResult").text()
    assert str(blocker / "bundle.zip") in result and "choose a folder you can write to" in result
    assert "bug in storeswitch" not in result
    assert find(w, "exportBundleButton").isEnabled()


def test_verify_without_an_engine_says_it_could_not_check(make_window, tmp_path, qtbot):
    w = make_window("--profile", str(tmp_path / "p"))
    with qtbot.waitSignal(w.diagnostics.storeVerified, timeout=30_000) as verified:
        find(w, "verifyStoreButton").click()
    assert verified.args[0].ok is False
    assert "The engine could not be checked." in find(w, "verifyStoreResult").text()
    assert find(w, "verifyStoreButton").isEnabled()


def test_recovery_goes_through_the_target_the_journal_names(make_window, tmp_path, monkeypatch):
    """A switch of Docker Desktop died; the window (on the managed target) restores Desktop's file, not daemon.json."""
    desktop = tmp_path / "desktop"
    desktop.mkdir()
    settings = desktop / "settings-store.json"
    settings.write_text('{"UseContainerdSnapshotter": true}')  # the interrupted switch's new bytes
    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(desktop))
    profile = Profile.from_dir(tmp_path / "p")
    SwitchJournal(profile.journal_path).begin(JournalEntry(
        switch_id="gui1", from_store="classic", to_store="containerd", target="desktop",
        config_path=str(settings), original_config_b64=base64.b64encode(b'{"UseContainerdSnapshotter": false}').decode(),
        new_config_b64=base64.b64encode(b'{"UseContainerdSnapshotter": true}').decode(),
        engine_was_running=False, restart=True, started_at=0.0,
    ))
    w = make_window("--profile", str(tmp_path / "p"), "--target", "managed")
    assert settings.read_text() == '{"UseContainerdSnapshotter": false}'
    assert not profile.managed_config_path.exists()
    assert not profile.journal_path.exists()
    assert "Recovered an interrupted switch" in find(w, "applyResult").text()


def test_a_journal_that_cannot_be_recovered_says_what_to_do(make_window, tmp_path, monkeypatch):
    profile = Profile.from_dir(tmp_path / "p")
    SwitchJournal(profile.journal_path).begin(JournalEntry(
        switch_id="gui2", from_store="classic", to_store="containerd", target="system",
        config_path=str(tmp_path / "old" / "daemon.json"), original_config_b64=base64.b64encode(b"{}").decode(),
        new_config_b64=base64.b64encode(b"{}").decode(), engine_was_running=False, restart=True, started_at=0.0,
    ))
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(tmp_path / "new" / "daemon.json"))
    w = make_window("--profile", str(tmp_path / "p"), "--target", "managed")
    result = find(w, "applyResult").text()
    assert "could not be recovered" in result and "by hand" in result
    assert profile.journal_path.exists(), "the journal is kept for the user to recover by hand"
    assert "by hand" in find(w, "troubleshootRecovered").text()


def test_a_recovered_reclaim_is_called_a_reclaim(make_window, tmp_path, monkeypatch):
    """A reclaim of Docker Desktop's hidden store died before its restart; the window puts Desktop's
    file back and says it recovered a reclaim (not a switch)."""
    from backend.reclaim_journal import ReclaimEntry, ReclaimJournal

    desktop = tmp_path / "desktop"
    desktop.mkdir()
    settings = desktop / "settings-store.json"
    settings.write_text('{"UseContainerdSnapshotter": true}')  # the reclaim had asked for the hidden store
    monkeypatch.setenv("STORESWITCH_DESKTOP_DIR", str(desktop))
    profile = Profile.from_dir(tmp_path / "p")
    ReclaimJournal(profile).write(ReclaimEntry(
        reclaim_id="gui2", target="desktop", config_path=str(settings), live_store="classic",
        hidden_store="containerd", original_config_b64=base64.b64encode(b'{"UseContainerdSnapshotter": false}').decode(),
        hidden_config_b64=base64.b64encode(b'{"UseContainerdSnapshotter": true}').decode(),
        images=[], containers=[], started_at=0.0,
    ), step="planned")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "managed")
    assert settings.read_text() == '{"UseContainerdSnapshotter": false}'
    result = find(w, "applyResult").text()
    assert "Recovered an interrupted reclaim" in result and "interrupted switch" not in result
