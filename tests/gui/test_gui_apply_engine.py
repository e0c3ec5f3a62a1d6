"""Apply & restart against a real dockerd: the switch, the refusal, and a window that never freezes.

Each test starts one isolated engine (the ``managed`` fixture, classic store) and drives the
window the way a user would: tick, Apply (the confirmation seam answers yes), wait for
``applyFinished``. The responsiveness figure is measured during a real switch by a 5 ms QTimer on
the GUI thread; the longest gap between its ticks is the longest event-loop stall. It is printed,
not asserted (timings belong in benchmarks); what is asserted is that the timer kept ticking
while the switch ran.
"""

from __future__ import annotations

import json
import re
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from backend.stores import Store, live_store
from tests.conftest import tiny_tar

SWITCH_MS = 180_000


def find(window, name, kind=QWidget):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def profile_root(profile) -> str:
    return str(profile.config_dir.parent)


class StallMeter:
    """A 5 ms timer on the GUI thread; the longest gap between ticks is the longest stall."""

    def __init__(self, interval_ms: int = 5) -> None:
        self.gaps: list[float] = []
        self._last = time.perf_counter()
        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)

    def _tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self._last)
        self._last = now

    def __enter__(self) -> "StallMeter":
        self._last = time.perf_counter()
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.stop()

    @property
    def longest_ms(self) -> float:
        return max(self.gaps) * 1000 if self.gaps else float("inf")


def test_apply_switches_the_real_engine_while_the_window_keeps_ticking(managed, engine_profile, make_window, confirmations, qtbot):
    with managed.client() as c:
        c.import_image(tiny_tar(b"gui"), "ssw/gui", "v1")
    w = make_window("--profile", profile_root(engine_profile))
    impact, live, box = find(w, "switchImpact"), find(w, "liveStoreLabel"), find(w, "useContainerdCheckbox")
    qtbot.waitUntil(lambda: "1 image · 0 containers" in impact.text(), timeout=30_000)
    assert "The engine already uses the classic store; nothing will be hidden." in impact.text()
    assert "classic store" in live.text() and "Engine running" in find(w, "engineStatus").text()
    assert not box.isChecked()

    box.setChecked(True)
    with StallMeter() as meter, qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
        assert find(w, "applyProgress").isVisibleTo(w)
        assert not find(w, "applyRestartButton").isEnabled() and not box.isEnabled()
    print(f"\nGUI event-loop stall during a real switch to containerd: longest {meter.longest_ms:.1f} ms "
          f"over {len(meter.gaps)} ticks of 5 ms (target < 50 ms)")
    assert done.args[0] is True, find(w, "applyResult").text()
    # Ticking all through the switch: at least half the ticks its length allows (a switch takes well
    # under a second now that the managed engine's containerd outlives dockerd's restart).
    assert len(meter.gaps) > 20 and len(meter.gaps) >= sum(meter.gaps) / 0.005 / 2, \
        "the GUI thread stopped ticking while the switch ran"

    assert [c.title for c in confirmations.asked] == ["Switch to the containerd store?"]
    assert re.search(r"1 image \([\d.]+ [kM]B\) in the classic store will be hidden, not deleted", confirmations.asked[0].as_text())
    steps = [step for step, _ in w.progress_steps]
    core = ["plan", "validate", "save", "stop", "start", "verify", "done"]
    assert [s for s in steps if s in core] == core, steps
    assert any("Stopping the engine" in sentence for _, sentence in w.progress_steps)
    assert "containerd store" in live.text()
    assert "containerd store" in find(w, "applyResult").text()
    with managed.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert json.loads(managed.config_path.read_text())["features"]["containerd-snapshotter"] is True
    assert box.isChecked() and not find(w, "applyRestartButton").isEnabled()
    qtbot.waitUntil(lambda: "runs the <b>containerd store</b>" in find(w, "experimentalStoreState").text(), timeout=30_000)
    qtbot.waitUntil(lambda: "The engine already uses the containerd store" in impact.text(), timeout=30_000)
    assert "The classic store holds 1 image" in impact.text()  # the hidden store, read from disk

    box.setChecked(False)
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
    assert done.args[0] is True, find(w, "applyResult").text()
    assert "classic store" in live.text()
    qtbot.waitUntil(lambda: "The engine already uses the classic store" in impact.text(), timeout=30_000)
    assert "1 image · 0 containers" in impact.text()


def test_refused_switch_shows_the_reason_and_a_fixed_config_then_applies(managed, engine_profile, make_window, confirmations, qtbot):
    """An unknown key in daemon.json: dockerd --validate refuses it before the engine is touched."""
    managed.config_path.write_text('{\n  "no-such-option": true\n}\n')  # the engine keeps its start config
    before = managed.config_path.read_bytes()
    w = make_window("--profile", profile_root(engine_profile))
    box, apply, editor = find(w, "useContainerdCheckbox"), find(w, "applyRestartButton"), find(w, "daemonJsonEditor")
    box.setChecked(True)
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        apply.click()
    assert done.args[0] is False
    result = find(w, "applyResult").text()
    assert "no-such-option" in result and "don't match any configuration option" in result
    assert "The engine runs the classic store, as before." in result
    assert managed.config_path.read_bytes() == before
    assert "classic store" in find(w, "liveStoreLabel").text()
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
    assert box.isChecked() and apply.isEnabled(), "the user's choice is kept after a refusal"

    fixed = '{\n  "log-level": "warn",\n  "features": {"containerd-snapshotter": true}\n}\n'
    editor.setPlainText(fixed)
    assert box.isChecked()
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        apply.click()
    assert done.args[0] is True, find(w, "applyResult").text()
    assert managed.config_path.read_text() == fixed  # the editor's text, byte for byte
    assert "containerd store" in find(w, "liveStoreLabel").text()

    editor.setPlainText(fixed.replace('"warn"', '"info"'))  # another key only: a restart, same store
    assert apply.accessibleName() == "Apply & restart"
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        apply.click()
    assert done.args[0] is True, find(w, "applyResult").text()
    assert confirmations.asked[-1].title == "Restart the engine?"
    assert "Restarted the engine on the containerd store" in find(w, "applyResult").text()
    assert json.loads(managed.config_path.read_text())["log-level"] == "info"


def test_start_engine_from_the_general_tab(engine_profile, make_window, qtbot):
    """No engine running: the General tab says so and its button starts the managed engine."""
    w = make_window("--profile", profile_root(engine_profile))
    assert find(w, "engineStatus").text() == "Engine stopped"
    button = find(w, "startEngineButton")
    assert button.isVisibleTo(w)
    assert "storeswitch engine start" in find(w, "engineNotice").text.text()
    with qtbot.waitSignal(w.statusRefreshed, timeout=SWITCH_MS, check_params_cb=lambda s: s.engine.reachable):
        button.click()
    assert find(w, "engineStatus").text() == "Engine running"
    assert "classic store" in find(w, "liveStoreLabel").text()
    assert "The engine started" in find(w, "applyResult").text()


def test_restart_pending_offers_restart_to_apply_which_switches_safely(managed, engine_profile, make_window, confirmations, qtbot):
    """daemon.json asks for containerd while the engine runs classic: the notice's action is there,
    enabled, and runs the journaled switch (the history records it) to the store the file names."""
    from backend.journal import SwitchHistory

    config = engine_profile.managed_config_path
    config.write_text('{"features": {"containerd-snapshotter": true}}\n')
    w = make_window("--profile", profile_root(engine_profile))
    notice, action = find(w, "engineNotice"), find(w, "restartToApplyButton")
    assert "Restart pending" in notice.text.text() and "Restart to apply" in notice.text.text()
    assert action.isVisibleTo(w) and action.isEnabled()
    assert not find(w, "applyRestartButton").isEnabled()  # nothing edited: Apply has nothing to do

    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        action.click()
    assert done.args[0] is True, done.args[1]
    assert confirmations.asked and "containerd" in confirmations.asked[-1].title
    with managed.client() as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert SwitchHistory.load(engine_profile.history_path).as_list()[-1]["outcome"] == "switched"
    qtbot.waitUntil(lambda: not find(w, "restartToApplyButton").isVisibleTo(w), timeout=30_000)
