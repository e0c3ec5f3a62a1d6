"""Render the Apply confirmation over the window into a PNG (make_screenshots.py runs it per size).

    python docs/screenshots/confirmation_shot.py OUT.png WxH storeswitch-gui-arguments...

The window is built as ``create_window`` builds it (the QA entry point), its first checks are
waited for, and "Restart to apply" is pressed (the scene's daemon.json asks for the containerd
store while the engine runs the classic one). ``gui.confirm.ask`` is the seam: here it lays the
real :class:`gui.confirm_dialog.ConfirmDialog` out off screen, paints it centred over the dimmed
window, saves the picture and answers "cancel", so nothing is switched.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str]) -> int:
    out, size, args = Path(argv[0]), argv[1], argv[2:]
    from PySide6.QtCore import QPoint, Qt
    from PySide6.QtGui import QColor, QPainter
    from PySide6.QtWidgets import QApplication

    import gui.confirm
    from gui.app import create_window
    from gui.confirm_dialog import ConfirmDialog

    window = create_window(args + ["--size", size])
    app = QApplication.instance()
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.show()
    deadline = time.monotonic() + 60
    while not (window.is_settled() and window.checks.facts_probed and window.impact.impact is not None):
        app.processEvents()
        if time.monotonic() > deadline:
            print("confirmation_shot: the window did not settle in 60 s", file=sys.stderr)
            return 1
        time.sleep(0.01)
    saved = []

    def render(parent, confirmation) -> bool:
        dialog = ConfirmDialog(parent, confirmation)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        dialog.show()
        app.processEvents()
        picture = parent.grab().toImage()
        painter = QPainter(picture)
        painter.fillRect(picture.rect(), QColor(23, 25, 30, 110))
        shot = dialog.grab()
        painter.drawPixmap(QPoint((picture.width() - shot.width()) // 2, (picture.height() - shot.height()) // 2), shot)
        painter.end()
        saved.append(picture.save(str(out), "PNG"))
        dialog.close()
        return False

    gui.confirm.ask = render
    window.restart_to_apply()
    window.close()
    if not saved or not saved[0]:
        print("confirmation_shot: no confirmation was asked (is a restart pending?)", file=sys.stderr)
        return 1
    print("saved", out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
