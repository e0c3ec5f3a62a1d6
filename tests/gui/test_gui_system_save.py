"""The window's save of a change that needs no restart, on the system target: through the transaction.

The system target is pointed at a temporary daemon.json (``STORESWITCH_SYSTEM_CONFIG``) with no
engine behind its socket, as root (``privileged``: it writes the file itself). A change that only
reformats daemon.json is saved without a restart, and that save is a ``SwitchTransaction`` in its
no-restart mode: it takes the switch lock (a concurrent switch makes it fail at once, the file
untouched), writes a journal (seen on disk when the process is killed right after the write, and
recovered by the next command) and a history entry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from filelock import FileLock
from PySide6.QtWidgets import QWidget

from backend.journal import SwitchHistory
from backend.profile import Profile

ROOT = Path(__file__).resolve().parents[2]
SAVED = '{"features": {"containerd-snapshotter": false}, "debug": true}\n'
REFORMATTED = '{\n  "features": {"containerd-snapshotter": false},\n  "debug": true\n}\n'

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="as an ordinary user the system target writes through the helper")


@pytest.fixture
def system_config(tmp_path, monkeypatch) -> Path:
    config = tmp_path / "etc-docker" / "daemon.json"
    config.parent.mkdir()
    config.write_text(SAVED)
    monkeypatch.setenv("STORESWITCH_SYSTEM_CONFIG", str(config))
    return config


def find(window, name, kind=QWidget):
    widget = window.findChild(kind, name)
    assert widget is not None, f"no widget named {name!r}"
    return widget


def test_a_no_restart_save_goes_through_the_transaction(system_config, tmp_path, make_window, qtbot):
    profile = Profile.from_dir(tmp_path / "p")
    w = make_window("--profile", str(tmp_path / "p"), "--target", "system")
    w.draft.set_text(REFORMATTED)
    assert w.apply.accessibleName() == "Apply" and not w.draft.needs_restart

    with qtbot.waitSignal(w.applyFinished, timeout=30_000) as done:
        find(w, "applyRestartButton").click()
    assert done.args[0] is True, done.args[1]
    assert system_config.read_text() == REFORMATTED
    last = SwitchHistory.load(profile.history_path).as_list()[-1]
    assert (last["outcome"], last["target"]) == ("saved", "system") and "formatting only" in last["message"]
    assert not profile.journal_path.exists()  # finished: the journal is cleared

    # A switch in progress elsewhere (its lock held): the save is refused at once and nothing is written.
    w.draft.set_text(SAVED)
    with FileLock(str(profile.lock_path), timeout=0):
        with qtbot.waitSignal(w.applyFinished, timeout=30_000) as refused:
            find(w, "applyRestartButton").click()
    assert refused.args[0] is False and "Another switch is in progress" in refused.args[1]
    assert system_config.read_text() == REFORMATTED


SAVE_AND_DIE = """
import sys
from PySide6.QtWidgets import QApplication
from gui.app import create_window

window = create_window(sys.argv[1:])
app = QApplication.instance()
while not window.is_settled():
    app.processEvents()
window.draft.set_text({text!r})
window.apply_changes()
while True:  # killed by the fault hook right after the journal records config-written
    app.processEvents()
"""


def test_the_save_is_journaled_and_a_killed_save_is_recovered(system_config, tmp_path):
    """Killed right after the write (the fault hook): the journal on disk names the system target,
    and the next command finishes the save and records it in the history."""
    profile_dir = tmp_path / "p"
    env = {**os.environ, "STORESWITCH_FAULT_KILL_AFTER": "config-written", "PYTHONPATH": str(ROOT)}
    script = SAVE_AND_DIE.format(text=REFORMATTED)
    proc = subprocess.run([sys.executable, "-c", script, "--profile", str(profile_dir), "--target", "system"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr  # SIGKILL, as the hook does
    profile = Profile.from_dir(profile_dir)
    journal = json.loads(profile.journal_path.read_text())
    assert (journal["target"], journal["step"], journal["restart"]) == ("system", "config-written", False)
    assert system_config.read_text() == REFORMATTED

    env.pop("STORESWITCH_FAULT_KILL_AFTER")
    status = subprocess.run([sys.executable, "-m", "backend.cli", "--profile", str(profile_dir), "--target", "system",
                             "status"], env=env, capture_output=True, text=True, timeout=120)
    assert status.returncode == 0, status.stderr
    assert not profile.journal_path.exists()
    assert SwitchHistory.load(profile.history_path).as_list()[-1]["outcome"] in ("recovered", "saved")
    assert system_config.read_text() == REFORMATTED
