"""The reclaim dialog: the hidden store's images with checkboxes, the bytes they free, confirm, progress, result.

``reclaimDialog`` opens on a dry run (``backend.reclaim.plan_reclaim``, read from disk off the GUI
thread: no restart): one checkable row per image in ``reclaimList`` (ticked: no container uses
it; an image a container uses is shown unticked and disabled, with the container's name), and
``reclaimTotalLabel`` with the bytes the ticked images free: recomputed from the store graph the
dry run read (shared layers counted once, only what no kept image needs), so ticking is instant.
**Reclaim** asks through ``gui.confirm.ask`` (running containers stop twice), then runs
``backend.reclaim.Reclaim`` off the GUI thread; ``reclaimProgress`` shows each step and
``reclaimResult`` the bytes freed as measured on disk, or the failure and which store the engine
runs. The dialog is window-modal but shown with ``show()``, never ``exec()``: tests drive it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QListWidget, QListWidgetItem, QProgressBar, QVBoxLayout, QWidget

from backend.inspect.model import human_bytes, plural
from gui import confirm
from gui.widgets import label, result_html

ID_ROLE = Qt.ItemDataRole.UserRole


class ReclaimDialog(QDialog):
    selectionChanged = Signal(int)
    """The ticked images changed; the bytes they would free."""

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setObjectName("reclaimDialog")
        self.setWindowTitle("Reclaim the hidden store's space")
        self.setAccessibleName("Reclaim the hidden store's space")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.resize(620, 460)
        box = QVBoxLayout(self)
        box.setSpacing(10)
        self.intro = label("Reading the hidden store from disk…", name="reclaimIntro")
        box.addWidget(self.intro)
        self.list = QListWidget()
        self.list.setObjectName("reclaimList")
        self.list.setAccessibleName("Images of the hidden store")
        box.addWidget(self.list, 1)
        self.total = label("", name="reclaimTotalLabel")
        self.total.setAccessibleName("Space freed")
        box.addWidget(self.total)
        self.progress = QProgressBar()
        self.progress.setObjectName("reclaimProgress")
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(True)
        self.progress.setVisible(False)
        box.addWidget(self.progress)
        self.result = label("", name="reclaimResult")
        self.result.setAccessibleName("Reclaim result")
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result.setVisible(False)
        box.addWidget(self.result)
        self.buttons = QDialogButtonBox()
        self.reclaim_button = self.buttons.addButton("Reclaim…", QDialogButtonBox.ButtonRole.AcceptRole)
        self.reclaim_button.setObjectName("reclaimConfirmButton")
        self.reclaim_button.setAccessibleName("Reclaim the ticked images")
        self.reclaim_button.setEnabled(False)
        self.close_button = self.buttons.addButton("Close", QDialogButtonBox.ButtonRole.RejectRole)
        self.close_button.setObjectName("reclaimCloseButton")
        self.buttons.rejected.connect(self.reject)
        box.addWidget(self.buttons)
        self.graph: Any = None
        self.plan: Any = None
        self.running = False
        self.list.itemChanged.connect(lambda _item: self._update_total())

    # --- the dry run ----------------------------------------------------------------------
    def show_plan(self, plan: Any, graph: Any) -> None:
        """Fill the list from a dry run: ticked what it would remove, disabled what a container uses."""
        self.plan, self.graph = plan, graph
        self.list.blockSignals(True)
        self.list.clear()
        for image in plan.images:
            in_use = image.reason.startswith("in use") or image.reason.startswith("parent of")
            text = f"{image.name or '<untagged>'}   {image.id.removeprefix('sha256:')[:12]}   {human_bytes(image.bytes)}"
            if in_use:
                text += f"   (kept: {image.reason})"
            item = QListWidgetItem(text)
            item.setData(ID_ROLE, image.id)
            flags = Qt.ItemFlag.ItemIsUserCheckable | (Qt.ItemFlag.NoItemFlags if in_use else Qt.ItemFlag.ItemIsEnabled)
            item.setFlags(flags)
            item.setCheckState(Qt.CheckState.Checked if image.removed else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        self.list.blockSignals(False)
        store = plan.hidden.title
        self.intro.setText(
            f"The <b>{store}</b> is hidden (the engine runs the {plan.live.title}). Tick the images to remove; "
            "only the space no kept image shares is freed. Reclaim restarts the engine on the hidden store "
            "and back, so running containers stop twice.")
        if not plan.images:
            self.intro.setText(f"The {store} holds no images: there is nothing to reclaim.")
        self._update_total()

    def show_plan_error(self, message: str) -> None:
        self.intro.setText(result_html("error", "The hidden store could not be read", message))

    def ticked(self) -> list[str]:
        return [self.list.item(n).data(ID_ROLE) for n in range(self.list.count())
                if self.list.item(n).checkState() == Qt.CheckState.Checked]

    def _update_total(self) -> None:
        ids = set(self.ticked())
        freed = self.graph.freed(ids) if self.graph is not None else 0
        self.total.setText(f"Reclaim would remove <b>{plural(len(ids), 'image')}</b> and free about <b>{human_bytes(freed)}</b>.")
        self.total.setAccessibleDescription(self.total.text())
        self.reclaim_button.setEnabled(bool(ids) and not self.running)
        self.selectionChanged.emit(freed)

    # --- the run --------------------------------------------------------------------------
    def confirmation(self, running: list) -> confirm.Confirmation:
        from backend.reclaim import confirmation_lines

        ids = set(self.ticked())
        plan = self.plan
        estimate = self.graph.freed(ids)
        chosen = [replace(i, removed=True) for i in plan.images if i.id in ids]
        shown = replace(plan, images=chosen, containers=[], bytes_estimated=estimate, kept_in_use=[])
        return confirm.Confirmation(
            "Reclaim the hidden store's space",
            f"Remove {plural(len(ids), 'image')} from the {plan.hidden.title} and free about {human_bytes(estimate)}?",
            confirmation_lines(shown, running), accept_label="Reclaim (restarts twice)")

    def set_running(self, sentence: str) -> None:
        self.running = True
        self.list.setEnabled(False)
        self.reclaim_button.setEnabled(False)
        self.close_button.setEnabled(False)
        self.progress.setVisible(True)
        self.progress.setFormat(sentence)
        self.result.setVisible(False)

    def show_result(self, kind: str, headline: str, detail: str = "") -> None:
        self.running = False
        self.progress.setVisible(False)
        self.close_button.setEnabled(True)
        self.list.setEnabled(True)
        self.result.setText(result_html(kind, headline, detail))
        self.result.setAccessibleDescription(f"{headline} {detail}".strip())
        self.result.setVisible(True)
