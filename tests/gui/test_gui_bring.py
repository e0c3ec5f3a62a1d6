"""Bring images along, in the window, against a real dockerd (issue 15: choosing, the total, progress, cancel).

The list (``bringImagesList``) is the real engine's classic store; ticking rows changes the total
(``bringTotalLabel``); Apply & restart carries the ticked images into the switch, whose bytes show in
``bringProgress``; ``bringCancelButton`` during the export ends the switch with nothing changed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QProgressBar

from backend.inspect.model import human_bytes
from tests.engine.bring_support import MB, import_random_image
from tests.gui.conftest import find

SWITCH_MS = 180_000


def rows(lst: QListWidget) -> dict[str, object]:
    return {lst.item(i).data(Qt.ItemDataRole.UserRole): lst.item(i) for i in range(lst.count())}


def window_with_images(managed, engine_profile, make_window, qtbot, sizes: dict[str, int]):
    with managed.client() as c:
        for name, size in sizes.items():
            import_random_image(c, *name.split(":"), size)
    w = make_window("--profile", str(engine_profile.config_dir.parent), "--tab", "experimental")
    lst = find(w, "bringImagesList", QListWidget)
    qtbot.waitUntil(lambda: lst.count() == len(sizes), timeout=30_000)
    return w, lst


def test_choose_total_apply_and_progress(managed, engine_profile, make_window, confirmations, qtbot):
    w, lst = window_with_images(managed, engine_profile, make_window, qtbot, {"ssw/gbig:v1": 40 * MB, "ssw/gsmall:v1": 2 * MB})
    total = find(w, "bringTotalLabel")
    items = rows(lst)
    assert list(items) == ["ssw/gbig:v1", "ssw/gsmall:v1"]  # largest first
    assert "linux/" in items["ssw/gbig:v1"].text() and "MB" in items["ssw/gbig:v1"].text()
    assert total.text().startswith("None chosen (2 images here)")

    items["ssw/gbig:v1"].setCheckState(Qt.CheckState.Checked)
    items["ssw/gsmall:v1"].setCheckState(Qt.CheckState.Checked)
    both = sum(img.size for img in w.bring.images)
    assert total.text().startswith(f"2 of 2 images chosen, {human_bytes(both)}") and "containerd store" in total.text()
    items["ssw/gsmall:v1"].setCheckState(Qt.CheckState.Unchecked)
    big = next(img.size for img in w.bring.images if img.name == "ssw/gbig:v1")
    assert total.text().startswith(f"1 of 2 images chosen, {human_bytes(big)}")

    moved: list = []
    w.bring.bytesMoved.connect(lambda phase, done, expected: moved.append((phase, done, expected)))
    progress = find(w, "bringProgress", QProgressBar)
    seen_visible = []
    w.bring.bytesMoved.connect(lambda *_: seen_visible.append(progress.isVisibleTo(w)))
    find(w, "useContainerdCheckbox").setChecked(True)
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
        assert progress.isVisibleTo(w) and find(w, "bringCancelButton").isVisibleTo(w)
    assert done.args[0] is True, done.args[1]
    assert any("Brings 1 image along" in line and "ssw/gbig:v1" in line for line in confirmations.asked[-1].consequences)
    assert "brought ssw/gbig:v1 along (verified)" in done.args[1]
    exported = [m for m in moved if m[0] == "export"]
    imported = [m for m in moved if m[0] == "import"]
    assert exported and imported and all(seen_visible)
    assert exported[-1][1] == exported[-1][2] >= 40 * MB and imported[-1][1] == imported[-1][2] == exported[-1][1]
    assert not progress.isVisibleTo(w) and not find(w, "bringCancelButton").isVisibleTo(w)
    with managed.client() as c:
        tags = {t for img in c.images() for t in (img.get("RepoTags") or [])}
    assert "ssw/gbig:v1" in tags and "ssw/gsmall:v1" not in tags
    qtbot.waitUntil(lambda: list(rows(lst)) == ["ssw/gbig:v1"], timeout=30_000)  # the list is the new store's now


def test_cancel_during_the_export_changes_nothing(managed, engine_profile, make_window, confirmations, qtbot):
    w, lst = window_with_images(managed, engine_profile, make_window, qtbot, {"ssw/gcancel:v1": 150 * MB})
    rows(lst)["ssw/gcancel:v1"].setCheckState(Qt.CheckState.Checked)
    config = managed.config_path.read_bytes()
    pid = engine_profile.managed_pidfile.read_text()
    cancel = find(w, "bringCancelButton")
    clicked = []

    def first_bytes(phase, _done, _expected):
        if phase == "export" and not clicked:
            clicked.append(True)
            cancel.click()

    w.bring.bytesMoved.connect(first_bytes)
    find(w, "useContainerdCheckbox").setChecked(True)
    with qtbot.waitSignal(w.applyFinished, timeout=SWITCH_MS) as done:
        find(w, "applyRestartButton").click()
    assert clicked and done.args[0] is False
    assert "nothing was changed" in done.args[1]
    assert managed.config_path.read_bytes() == config
    assert engine_profile.managed_pidfile.read_text() == pid
    assert not engine_profile.journal_path.exists() and not list((engine_profile.state_dir / "bring").glob("*"))
    with managed.client() as c:
        assert c.info()["Driver"] == "overlay2"
