"""The screenshots of the hidden store's notice and the reclaim dialog (issue 15), at 1280x800 and 900x600.

The scene: an isolated managed engine on the classic store whose hidden containerd store holds
four images (loaded through the engine, no registry), one used by a container. Pictures:

* ``reclaim-notice-<size>.png``: the Experimental tab scrolled to "What switching does on this
  machine", with ``hiddenStoreNotice`` and ``reclaimButton``;
* ``reclaim-dialog-<size>.png``: the window with ``reclaimDialog`` over it after its dry run
  (the list with checkboxes, the used image kept, the total);
* ``reclaim-result-<size>.png``: the same after a reclaim of two images (the bytes freed).

    sudo .venv/bin/python docs/screenshots/make_reclaim_screenshots.py
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from backend.engine.install import default_engine_dir  # noqa: E402
from backend.engine.managed import ManagedEngine  # noqa: E402
from backend.profile import Profile  # noqa: E402
from backend.stores import Store  # noqa: E402
from backend.switch import SwitchTransaction  # noqa: E402
from backend.targets.managed import ManagedTarget  # noqa: E402
from tests.layered_images import layer, save_archive  # noqa: E402

SIZES = ("1280x800", "900x600")
MB = 1_000_000


def scene(profile: Profile) -> ManagedTarget:
    target = ManagedTarget(profile)
    target.start()
    tx = SwitchTransaction(target, profile)
    tx.run(Store.CONTAINERD)
    base = layer(6 * MB)
    with target.client() as c:
        c.load_images(save_archive({
            "acme/web:1.3": [base, layer(4 * MB)], "acme/web:1.4": [base, layer(4 * MB)],
            "acme/worker:0.9": [layer(9 * MB)], "acme/db:15": [layer(3 * MB)],
        }))
        c.create_container("acme/db:15", "db-1")
    tx.run(Store.CLASSIC)
    return target


def grab(window, dialog, out: Path) -> None:
    """The window, with the dialog drawn over its middle in a plain frame and title bar (offscreen
    windows have no window manager to draw them)."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QPainter

    picture = window.grab()
    if dialog is not None:
        painter = QPainter(picture)
        shot = dialog.grab()
        bar = 30
        x, y = (picture.width() - shot.width()) // 2, (picture.height() - shot.height() - bar) // 2
        painter.fillRect(QRect(x - 1, y - 1, shot.width() + 2, shot.height() + bar + 2), QColor("#8A8F98"))
        painter.fillRect(QRect(x, y, shot.width(), bar), QColor("#E4E6EA"))
        painter.setPen(QColor("#1F2328"))
        painter.drawText(QRect(x, y, shot.width(), bar), Qt.AlignmentFlag.AlignCenter, dialog.windowTitle())
        painter.drawPixmap(x, y + bar, shot)
        painter.end()
    picture.save(str(out))


def shoot(profile: Profile, size: str, reclaim: bool) -> None:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from gui import confirm
    from gui.app import create_window

    app = QApplication.instance() or QApplication([])
    confirm.ask = lambda parent, confirmation: True  # the picture, not the question
    window = create_window(["--profile", str(profile.config_dir.parent), "--tab", "experimental", "--size", size])
    window.show()

    def wait(until, seconds: float = 120) -> None:
        loop, timer = QEventLoop(), QTimer()
        timer.timeout.connect(lambda: loop.quit() if until() else None)
        timer.start(50)
        QTimer.singleShot(int(seconds * 1000), loop.quit)
        loop.exec()
        timer.stop()

    wait(lambda: window.is_settled() and not window.reclaim.row.isHidden())
    window.experimental.ensureWidgetVisible(window.reclaim.row, 0, 160)
    app.processEvents()
    grab(window, None, HERE / f"reclaim-notice-{size}.png")
    planned: list = []
    window.reclaim.reclaimPlanned.connect(planned.append)
    window.reclaim.open_dialog()
    wait(lambda: bool(planned))
    dialog = window.reclaim.dialog
    dialog.resize(min(640, window.width() - 80), min(440, window.height() - 80))
    app.processEvents()
    grab(window, dialog, HERE / f"reclaim-dialog-{size}.png")
    if reclaim:
        done: list = []
        window.reclaim.reclaimFinished.connect(done.append)
        lst = dialog.list
        for n in range(lst.count()):  # keep acme/web:1.3, so only what web:1.4 alone holds goes of the web pair
            if lst.item(n).text().startswith("acme/web:1.3"):
                from PySide6.QtCore import Qt

                lst.item(n).setCheckState(Qt.CheckState.Unchecked)
        seen = len(planned)
        dialog.reclaim_button.click()
        wait(lambda: bool(done) and len(planned) > seen, 300)  # reclaimed, and the list read again
        app.processEvents()
        grab(window, dialog, HERE / f"reclaim-result-{size}.png")
    dialog.close()
    window.tasks.wait(60_000)
    window.close()


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="ssw-shots-"))
    home = Path(tempfile.mkdtemp(prefix="ssw-shots-home-"))
    profile = Profile.from_dir(root)
    os.environ.update(STORESWITCH_PROFILE=str(root), STORESWITCH_ENGINE_DIR=str(default_engine_dir()),
                      DOCKER_CONFIG=str(home / ".docker"), HOME=str(home), QT_QPA_PLATFORM="offscreen",
                      STORESWITCH_POLICY=str(home / "no-policy.toml"))
    target = None
    try:
        for size in SIZES:  # a fresh scene per size: the result picture removes images
            target = scene(profile)
            shoot(profile, size, reclaim=True)
            ManagedEngine(profile).stop()  # dockerd and its containerd
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
    finally:
        if target is not None:
            ManagedEngine(profile).stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(profile.run_dir, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
