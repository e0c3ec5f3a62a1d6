"""The hidden store's notice and the reclaim dialog (issue 15, parts 2 and 3), driven as a user would.

Without an engine: a synthetic hidden store (the engine stopped) shows the notice and the dry run's
list; the real run is refused with the reason, and nothing changes. With a real engine: the
containerd store filled through the engine is reclaimed from the dialog, the total follows the
ticks, the confirmation says running containers stop twice, and the bytes freed are shown.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QListWidget

from backend.stores import Store, live_store
from tests.gui.conftest import find
from tests.layered_images import layer, save_archive
from tests.synthetic_stores import make_classic

RUN_MS = 180_000
SHORT_MS = 20_000


def open_dialog(w, qtbot) -> QDialog:
    with qtbot.waitSignal(w.reclaim.reclaimPlanned, timeout=RUN_MS) as planned:
        find(w, "reclaimButton").click()
    assert not isinstance(planned.args[0], str), planned.args[0]
    return find(w, "reclaimDialog", QDialog)


def rows(dialog) -> dict[str, object]:
    lst = dialog.findChild(QListWidget, "reclaimList")
    return {lst.item(n).text().split()[0]: lst.item(n) for n in range(lst.count())}


def test_notice_and_dry_run_with_the_engine_stopped(profile, make_window, qtbot, confirmations):
    """A classic store left hidden (daemon.json asks for containerd, engine stopped): notice, list, total."""
    from backend.targets.managed import ManagedTarget

    target = ManagedTarget(profile)
    target.config_path.parent.mkdir(parents=True, exist_ok=True)
    target.config_path.write_text('{"features": {"containerd-snapshotter": true}}\n')
    make_classic(profile.managed_data_root, ["web:1", "web:2", "db:9"])
    w = make_window("--profile", str(profile.config_dir.parent), "--target", "managed")
    notice = find(w, "hiddenStoreNotice")
    qtbot.waitUntil(lambda: not w.reclaim.row.isHidden(), timeout=SHORT_MS)
    assert "classic store is hidden and still holds 3 images" in notice.text()
    assert "Bring" in notice.text() and "reclaim" in notice.text()

    dialog = open_dialog(w, qtbot)
    items = rows(dialog)
    assert set(items) == {"web:1", "web:2", "db:9"}
    assert all(i.checkState() == Qt.CheckState.Checked for i in items.values())
    total = find(w, "reclaimTotalLabel")
    everything = dialog.graph.freed(set(dialog.ticked()))
    with qtbot.waitSignal(dialog.selectionChanged) as changed:
        items["db:9"].setCheckState(Qt.CheckState.Unchecked)
    assert changed.args[0] < everything and "2 images" in total.text()

    # While a switch or a restart runs, neither the button nor the dialog's Reclaim can start one.
    w.tasks.engineRestartProgressed.emit("stop", "Stopping the engine…")
    assert not find(w, "reclaimButton").isEnabled() and not find(w, "reclaimConfirmButton").isEnabled()
    w.tasks.engineRestartFailed.emit("no engine")
    assert find(w, "reclaimButton").isEnabled() and find(w, "reclaimConfirmButton").isEnabled()

    # The real run needs the engine: refused with the next step, the config untouched.
    before = target.config_path.read_bytes()
    with qtbot.waitSignal(w.reclaim.reclaimFinished, timeout=RUN_MS) as finished:
        find(w, "reclaimConfirmButton").click()
    assert isinstance(finished.args[0], str) and "storeswitch engine start" in finished.args[0]
    assert "stop twice" in confirmations.asked[0].as_text()
    assert "Reclaim did not finish" in find(w, "reclaimResult").text()
    assert target.config_path.read_bytes() == before


@pytest.mark.engine
def test_reclaim_from_the_dialog_on_a_real_engine(managed, engine_profile, make_window, qtbot, confirmations):
    from backend.switch import SwitchTransaction

    tx = SwitchTransaction(managed, engine_profile)
    tx.run(Store.CONTAINERD)
    with managed.client() as c:
        c.load_images(save_archive({"gone-a:v1": [layer(1_500_000)], "stays:v1": [layer(1_000_000)],
                                    "used:v1": [layer(500_000)]}))
        c.create_container("used:v1", "keeper")
    tx.run(Store.CLASSIC)

    w = make_window("--profile", str(engine_profile.config_dir.parent))
    notice = find(w, "hiddenStoreNotice")
    qtbot.waitUntil(lambda: not w.reclaim.row.isHidden(), timeout=SHORT_MS)
    assert "containerd store is hidden and still holds 3 images" in notice.text()
    dialog = open_dialog(w, qtbot)
    items = rows(dialog)
    assert not items["used:v1"].flags() & Qt.ItemFlag.ItemIsEnabled and "keeper" in items["used:v1"].text()
    items["stays:v1"].setCheckState(Qt.CheckState.Unchecked)
    estimate = dialog.graph.freed(set(dialog.ticked()))
    assert "1 image" in find(w, "reclaimTotalLabel").text()

    with qtbot.waitSignal(w.reclaim.reclaimFinished, timeout=RUN_MS) as finished:
        find(w, "reclaimConfirmButton").click()
    result = finished.args[0]
    assert not isinstance(result, str), result
    assert abs(result.bytes_freed - estimate) <= 0.01 * estimate
    assert "stop twice" in confirmations.asked[0].as_text()
    assert "Freed" in find(w, "reclaimResult").text() and "back on the classic store" in find(w, "reclaimResult").text()
    with managed.client() as c:
        assert live_store(c.info()) is Store.CLASSIC
    qtbot.waitUntil(lambda: set(rows(dialog)) == {"stays:v1", "used:v1"}, timeout=RUN_MS)  # the list read again
    qtbot.waitUntil(lambda: "holds 2 images" in notice.text(), timeout=RUN_MS)
