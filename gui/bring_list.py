"""Bring images along: the current store's images to copy into the other store at the next switch.

On the Experimental tab, under "What switching does on this machine": one checkable row per tagged
image of the store the engine runs (``bringImagesList``: name, platforms, size, largest first), the
total of what is ticked (``bringTotalLabel``), and while Apply & restart runs the bytes exported
and imported (``bringProgress``) with a Cancel (``bringCancelButton``) that ends the switch safely:
during the export nothing changes; during the import it is undone, so both stores stay as they
were (:mod:`backend.bring`). The listing is read off the GUI thread (:mod:`gui.tasks`), again
whenever the engine's store changes and after every switch; nothing is ticked by default, so a
switch still copies nothing unless the user asks.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QVBoxLayout, QWidget

from backend.inspect.model import human_bytes
from backend.stores import Store
from gui.widgets import label

INTRO = ("Tick images of the current store to copy them into the other store when you Apply & restart "
         "(through the engine's own save and load; the current store keeps them). Nothing is copied unless you tick it.")


LIST_EMPTY_HEIGHT = 48
LIST_ROWS_SHOWN = 6  # more images scroll inside the list


class BringList(QObject):
    """The list, its total, progress and cancel; :meth:`request` is what Apply hands to the switch."""

    bytesMoved = Signal(str, object, object)
    """(phase "export" / "import", bytes done, bytes expected), from the switch's worker thread."""
    imagesListed = Signal(object)
    """The current store's images were listed (a list of ``ImageChoice``), or could not be (an error string)."""

    def __init__(self, page: Any, tasks: Any, window: Any) -> None:
        super().__init__(window)
        self.page, self.tasks, self.window = page, tasks, window
        self.store: Store | None = None
        self.images: list = []
        self._key: tuple | None = None
        self._listing = False
        self.running = False  # a switch with images to bring is under way
        self.box = QWidget()
        self.box.setObjectName("bringImagesBox")
        col = QVBoxLayout(self.box)
        col.setContentsMargins(0, 4, 0, 0)
        col.setSpacing(6)
        col.addWidget(label("<b>Bring images along</b>", name="bringImagesTitle"))
        col.addWidget(label(INTRO, "help", name="bringImagesHelp"))
        self.list = QListWidget()
        self.list.setObjectName("bringImagesList")
        self.list.setAccessibleName("Images to bring along to the other store")
        self.list.setFixedHeight(LIST_EMPTY_HEIGHT)
        self.list.itemChanged.connect(lambda _item: self._update_total())
        col.addWidget(self.list)
        self.total = label("", "help", name="bringTotalLabel")
        self.total.setAccessibleName("Images chosen to bring along")
        col.addWidget(self.total)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        self.progress = QProgressBar()
        self.progress.setObjectName("bringProgress")
        self.progress.setAccessibleName("Bringing images along")
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        row.addWidget(self.progress, 1)
        self.cancel = QPushButton("Cancel")
        self.cancel.setObjectName("bringCancelButton")
        self.cancel.setAccessibleName("Cancel the switch and the copy")
        self.cancel.setToolTip("Before the engine stops: nothing changes. During the import: the copy is undone.")
        self.cancel.setVisible(False)
        self.cancel.clicked.connect(self.cancel_switch)
        row.addWidget(self.cancel)
        col.addLayout(row)
        page.add_switch_option(self.box)
        self.bytesMoved.connect(self._bytes_moved)
        tasks.switchProgressed.connect(self._step)
        tasks.switchFinished.connect(lambda _outcome: self._done())
        tasks.switchFailed.connect(lambda _failure: self._done())
        self._show_message("The current store's images are listed once the engine runs.")
        window.statusRefreshed.connect(self.status_changed)
        if getattr(window, "status", None) is not None:  # a page built after the first status probe
            self.status_changed(window.status)

    # --- listing ------------------------------------------------------------------------
    def status_changed(self, status: Any) -> None:
        """A status probe answered: list the images again when the engine's store changed."""
        running = bool(status.engine.reachable)
        key = (status.live_store if running else None, running)
        if key == self._key:
            return
        self._key = key
        if not running:
            self.store, self.images = None, []
            self._show_message("The engine is not running: start it to choose images to bring along.")
            return
        self.reload()

    def reload(self) -> None:
        if self._listing:
            return
        self._listing = True
        target = self.tasks.target

        def job(_progress):
            from backend.bring_images import list_live

            return list_live(target)

        def failed(exc: BaseException) -> None:
            self._listing = False
            self._show_message(f"The images could not be listed: {exc}")
            self.imagesListed.emit(str(exc))

        self.tasks.run(job, self._listed, failed)

    def _listed(self, answer: tuple) -> None:
        self._listing = False
        store, images = answer
        chosen = set(self.chosen_names())
        self.store, self.images = store, images
        self.list.blockSignals(True)
        self.list.clear()
        for img in images:
            plats = ", ".join(img.platforms) if img.platforms else "platforms not known"
            item = QListWidgetItem(f"{img.name}    {plats}    {human_bytes(img.size)}")
            item.setData(Qt.ItemDataRole.UserRole, img.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if img.name in chosen else Qt.CheckState.Unchecked)
            item.setToolTip(f"{', '.join(img.tags)}\n{img.id}")
            self.list.addItem(item)
        self.list.blockSignals(False)
        self.list.setEnabled(bool(images))
        self._fit()
        self._update_total()
        self.imagesListed.emit(images)

    def _fit(self) -> None:
        """As tall as its rows (up to :data:`LIST_ROWS_SHOWN`), so a short list leaves no empty box."""
        rows = min(self.list.count(), LIST_ROWS_SHOWN)
        height = rows * max(self.list.sizeHintForRow(0), 1) + 2 * self.list.frameWidth() + 4 if rows else LIST_EMPTY_HEIGHT
        self.list.setFixedHeight(max(height, LIST_EMPTY_HEIGHT))

    def _show_message(self, text: str) -> None:
        self.list.clear()
        self._fit()
        self.list.setEnabled(False)
        self.total.setText(text)
        self.total.setAccessibleDescription(text)

    # --- choosing -----------------------------------------------------------------------
    def set_checked(self, name: str, checked: bool = True) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) == name:
                item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)

    def chosen_names(self) -> list[str]:
        return [self.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.list.count())
                if self.list.item(i).checkState() == Qt.CheckState.Checked]

    def chosen_bytes(self) -> int:
        names = set(self.chosen_names())
        return sum(img.size for img in self.images if img.name in names)

    def _update_total(self) -> None:
        if not self.images:
            text = f"The {self.store.title} holds no tagged image." if self.store else self.total.text()
        else:
            n = len(self.chosen_names())
            other = self.store.other.title if self.store else "other store"
            text = (f"{n} of {len(self.images)} images chosen, {human_bytes(self.chosen_bytes())} to copy into the {other}."
                    if n else f"None chosen ({len(self.images)} images here): a switch copies nothing.")
        self.total.setText(text)
        self.total.setAccessibleDescription(text)

    def request(self, to: Store | None) -> Any:
        """The ``BringRequest`` for a switch to *to*, or None (nothing ticked, or no switch of store)."""
        names = self.chosen_names()
        if not names or to is None or self.store is None or to is self.store:
            return None
        from backend.bring import BringRequest

        return BringRequest(names, on_bytes=self.bytesMoved.emit)

    def note(self) -> str:
        names = self.chosen_names()
        return (f"Brings {len(names)} image{'s' if len(names) != 1 else ''} along ({human_bytes(self.chosen_bytes())}): "
                f"{', '.join(names)}. The {self.store.title if self.store else 'current store'} keeps them.")

    # --- while the switch runs ------------------------------------------------------------
    def started(self) -> None:
        self.running = True
        self.progress.setValue(0)
        self.progress.setFormat("Waiting for the switch…")
        self.progress.setVisible(True)
        self.cancel.setVisible(True)
        self.cancel.setEnabled(True)
        self.list.setEnabled(False)

    def _bytes_moved(self, phase: str, done: int, total: int) -> None:
        verb = "Exporting" if phase == "export" else "Importing"
        self.progress.setValue(int(1000 * done / total) if total else 0)
        text = f"{verb}: {human_bytes(done)} of {human_bytes(total)}"
        self.progress.setFormat(text)
        self.progress.setAccessibleDescription(text)

    def _step(self, step: str, sentence: str) -> None:
        if self.running and step in ("stop", "start", "verify"):
            self.progress.setFormat(sentence.replace("%", "%%"))

    def cancel_switch(self) -> None:
        self.cancel.setEnabled(False)
        self.progress.setFormat("Cancelling…")
        self.tasks.cancel_apply()

    def _done(self) -> None:
        if not self.running:
            return
        self.running = False
        self.progress.setVisible(False)
        self.cancel.setVisible(False)
        self._key = None  # list the (new) current store again at the next status
        self.list.setEnabled(bool(self.images))
