"""The screenshots of "Bring images along" (issue 15), at 1280x800 and 900x600 (needs root and the fetched engine).

The scene: an isolated managed engine on the classic store with four images of random bytes. The
window (built in-process, headless) opens on the Experimental tab scrolled to the list; the
containerd box is ticked and two images are chosen (``bring-<size>.png``: the list, its platforms
and sizes, the total). Then Apply & restart runs a real switch bringing them along, and the window
is grabbed while the export streams (``bring-progress-<size>.png``: ``bringProgress`` with its
bytes and ``bringCancelButton``).

    sudo .venv/bin/python docs/screenshots/make_bring_screenshots.py
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
from backend.profile import Profile  # noqa: E402
from backend.stores import Store  # noqa: E402
from backend.switch import SwitchTransaction  # noqa: E402
from backend.targets.managed import ManagedTarget  # noqa: E402
from tests.engine.bring_support import MB, import_random_image  # noqa: E402

SIZES = ("1280x800", "900x600")
IMAGES = {"acme/api:2.3": 180, "acme/db:1.4": 40, "acme/web:1.4": 12, "acme/worker:1.4": 6}
CHOSEN = ("acme/api:2.3", "acme/web:1.4")


def shoot(profile_root: Path, size: str) -> None:
    from PySide6.QtCore import QEventLoop, Qt, QTimer

    from gui import confirm
    from gui.app import application, create_window

    app = application()
    confirm.ask = lambda parent, confirmation: True  # the scene answers the confirmation itself
    window = create_window(["--profile", str(profile_root), "--tab", "experimental", "--size", size])
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.show()

    def wait_for(check, ms: int = 30000) -> None:
        loop, poll = QEventLoop(), QTimer()
        poll.setInterval(20)
        left = [ms // 20]

        def tick() -> None:
            left[0] -= 1
            if check() or left[0] <= 0:
                loop.quit()
        poll.timeout.connect(tick)
        poll.start()
        loop.exec()
        poll.stop()

    wait_for(lambda: window.is_settled() and window.bring.list.count() == len(IMAGES))
    window.findChild(object, "useContainerdCheckbox").setChecked(True)
    for name in CHOSEN:
        window.bring.set_checked(name)
    page = window.experimental
    wait_for(lambda: False, 400)  # layout settles (the known issues for the ticked box arrive too)
    page.ensureWidgetVisible(window.bring.box, 0, 40)
    wait_for(lambda: False, 200)
    window.grab().save(str(HERE / f"bring-{size}.png"), "PNG")

    grabbed: list[bool] = []

    def midway(phase: str, done: int, expected: int) -> None:
        if phase == "export" and done > expected * 0.4 and not grabbed:
            grabbed.append(True)
            page.ensureWidgetVisible(window.bring.progress, 0, 40)
            app.processEvents()
            window.grab().save(str(HERE / f"bring-progress-{size}.png"), "PNG")
    window.bring.bytesMoved.connect(midway)
    done: list[bool] = []
    window.applyFinished.connect(lambda ok, _text: done.append(ok))
    window.findChild(object, "applyRestartButton").click()
    wait_for(lambda: bool(done), 180000)
    window.tasks.wait(30000)
    window.close()
    print(f"bring screenshots at {size}: list, progress {'grabbed' if grabbed else 'MISSED'}; switch ok={done}")


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="ssw-bshots-") as tmp, tempfile.TemporaryDirectory(prefix="ssw-bshots-home-") as home:
        root = Path(tmp)
        os.environ.update(STORESWITCH_PROFILE=str(root), STORESWITCH_ENGINE_DIR=str(default_engine_dir()),
                          DOCKER_CONFIG=str(Path(home) / ".docker"), HOME=home, QT_QPA_PLATFORM="offscreen")
        profile = Profile.from_dir(root)
        target = ManagedTarget(profile)
        try:
            target.start()
            with target.client() as c:
                for name, size in IMAGES.items():
                    import_random_image(c, *name.split(":"), size * MB)
            for size in SIZES:
                shoot(root, size)
                with target.client() as c:  # back to the scene: classic store, nothing brought yet
                    for name in CHOSEN:
                        c.remove_image(name)
                SwitchTransaction(target, profile).run(Store.CLASSIC)
        finally:
            target.stop()  # the engine's run directory (exec-root, socket) goes with it
            shutil.rmtree(profile.run_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
