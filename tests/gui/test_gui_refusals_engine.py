"""The new refusals of issue 13 in the window, against a real dockerd.

daemon.json already holds an edit the running engine never started with (here a harmless
``"debug": true`` made outside storeswitch): Apply is refused before the engine is touched, the
red result says why and that nothing changed; applying again asks "switch anyway?" with that
reason among the consequences (the GUI's ``--force``), and then switches. A damaged journal is
shown on the Troubleshoot tab instead of breaking the window.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from backend.stores import Store, live_store
from tests.gui.test_gui_apply_engine import SWITCH_MS, find, profile_root


def test_an_edit_the_engine_never_started_with_needs_a_decision(managed, engine_profile, make_window, confirmations, qtbot):
    managed.config_path.write_text('{\n    "debug": true\n}\n')  # after the engine started: it never ran with it
    before = managed.config_path.read_bytes()
    w = make_window("--profile", profile_root(engine_profile))
    find(w, "useContainerdCheckbox").setChecked(True)
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
    assert done.args[0] is False
    result = find(w, "applyResult").text()
    assert "Not applied: this needs your decision first. Nothing was changed." in result
    assert "'debug' added" in result and "Apply again to be asked whether to switch anyway" in result
    assert managed.config_path.read_bytes() == before
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC

    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
    assert done.args[0] is True, find(w, "applyResult").text()
    assert any(c.startswith("Switching anyway, although:") for c in confirmations.asked[-1].consequences)
    with managed.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert managed.config_path.read_bytes() == b'{\n    "debug": true,\n    "features": {\n        "containerd-snapshotter": true\n    }\n}\n'


def test_a_damaged_journal_is_shown_on_the_troubleshoot_tab(managed, engine_profile, make_window, qtbot):
    engine_profile.journal_path.parent.mkdir(parents=True, exist_ok=True)
    engine_profile.journal_path.write_text("{ damaged")
    w = make_window("--profile", profile_root(engine_profile), "--tab", "troubleshoot")
    qtbot.waitUntil(w.is_settled, timeout=60_000)
    shown = find(w, "troubleshootRecovered", QLabel).text()
    assert "the switch journal cannot be read" in shown and "support bundle" in shown
