"""Run by tests/system/test_package_e2e.py as the ordinary user, in its own pytest, on the installed package.

Not collected by the project's pytest (no ``test_`` prefix): it needs the user's uid, so the
parent copies it to a directory that user owns and runs pytest there with pytest-qt, the
package's code first on sys.path. The window switches the system engine to the containerd
store and back through Apply & restart, the privileged helper and polkit (no dialog: the
example rule allows the user's group; ``gui.confirm.ask`` answers the confirmation).
"""

from __future__ import annotations

import gui
from PySide6.QtWidgets import QCheckBox, QLabel, QPushButton


def test_the_window_switches_the_system_engine(qtbot, monkeypatch):
    from gui.app import create_window

    assert gui.__file__.startswith("/usr/lib/storeswitch/site/"), gui.__file__  # the installed code
    monkeypatch.setattr("gui.confirm.ask", lambda parent, confirmation: True)
    window = create_window(["--target", "system"])
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.is_settled, timeout=60_000)
    box = window.findChild(QCheckBox, "useContainerdCheckbox")
    live = window.findChild(QLabel, "liveStoreLabel")
    button = window.findChild(QPushButton, "applyRestartButton")
    for want in (True, False):
        assert box.isChecked() is not want
        box.click()
        assert box.isChecked() is want
        with qtbot.waitSignal(window.applyFinished, timeout=180_000) as blocker:
            button.click()
        ok, message = blocker.args
        assert ok, message
        store = "containerd store" if want else "classic store"
        qtbot.waitUntil(lambda: store in live.text(), timeout=60_000)
        qtbot.waitUntil(window.is_settled, timeout=60_000)
    print("GUI-SWITCHED-BOTH-WAYS")
