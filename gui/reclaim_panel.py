"""The inactive-store notice and the reclaim action, under "What switching does on this machine".

When the store the engine does not run still holds images, ``hiddenStoreNotice`` says how many
and how many bytes (the figures the window already read for ``switchImpact``: nothing is read
twice) and points at the two ways out: bring images along at the next switch, or reclaim the
space. ``reclaimButton`` beside it opens :class:`gui.reclaim_dialog.ReclaimDialog`. Every backend
call (the dry run, the reclaim with its two restarts) runs off the GUI thread through
:meth:`gui.tasks.BackendTasks.run`; while a reclaim runs, ``tasks.restarting`` is set so that the
window neither applies nor restarts meanwhile. Afterwards the window's status and ``switchImpact``
are read again.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from backend.inspect.model import human_bytes, plural
from gui import confirm
from gui.tasks import BackendTasks, describe_error, throttled
from gui.widgets import label


class ReclaimPanel(QObject):
    reclaimPlanned = Signal(object)
    """The dialog's dry run was read (a ``backend.reclaim.ReclaimPlan``), or an error string."""
    reclaimProgressed = Signal(str, str)
    """A reclaim step began (step id, sentence)."""
    reclaimFinished = Signal(object)
    """A reclaim ended: a ``backend.reclaim.ReclaimResult``, or the error string."""

    def __init__(self, page: Any, tasks: BackendTasks, window: Any) -> None:
        super().__init__(window)
        self.page, self.tasks, self.window = page, tasks, window
        self.row = QWidget()
        self.row.setObjectName("hiddenStoreRow")
        box = QHBoxLayout(self.row)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(12)
        self.notice = label("", name="hiddenStoreNotice")
        self.notice.setAccessibleName("The hidden store")
        box.addWidget(self.notice, 1)
        self.button = QPushButton("Reclaim space…")
        self.button.setObjectName("reclaimButton")
        self.button.setAccessibleName("Reclaim the hidden store's space")
        self.button.setToolTip("Choose images of the hidden store to remove, see the space they free, then remove them")
        box.addWidget(self.button)
        self.row.setVisible(False)
        page.add_after_impact(self.row)
        self.button.clicked.connect(self.open_dialog)
        tasks.impactCounted.connect(self.impact_counted)
        # While a switch or a restart runs, the engine is not free for a reclaim.
        for started in (tasks.switchProgressed, tasks.engineRestartProgressed):
            started.connect(lambda *_: self._engine_free(False))
        for ended in (tasks.switchFinished, tasks.switchFailed, tasks.engineRestarted, tasks.engineRestartFailed):
            ended.connect(lambda *_: self._engine_free(True))
        self.dialog: Any = None
        self.running: list = []
        self.hidden: Any = None

    # --- the notice -------------------------------------------------------------------------
    def impact_counted(self, impact: Any) -> None:
        """Both stores were read for ``switchImpact``: say what the hidden one still holds."""
        current = getattr(impact, "current", None)
        inv = impact.inventories.get(current.other) if current is not None else None
        if inv is None or not inv.readable or not inv.image_count:
            self.hidden = None
            self.row.setVisible(False)
            return
        self.hidden = inv.store
        size = f", {human_bytes(inv.bytes)} on disk" if inv.bytes is not None else ""
        self.notice.setText(
            f"<b>The {inv.store.title} is hidden and still holds {plural(inv.image_count, 'image')}{size}.</b> "
            "Bring the images you need along when you switch, or reclaim the space they take.")
        self.notice.setAccessibleDescription(self.notice.text())
        self.row.setVisible(True)

    def _engine_free(self, free: bool) -> None:
        self.button.setEnabled(free)
        self.button.setToolTip("" if free else "A switch or a restart is running; reclaim when it is done")
        if self.dialog is not None and not self.dialog.running:
            self.dialog.reclaim_button.setEnabled(free and bool(self.dialog.ticked()))

    # --- the dialog -------------------------------------------------------------------------
    def open_dialog(self) -> None:
        from gui.reclaim_dialog import ReclaimDialog

        if self.dialog is None:
            self.dialog = ReclaimDialog(self.window)
            self.dialog.reclaim_button.clicked.connect(self.reclaim)
        self.dialog.show()
        self.dry_run()

    def dry_run(self) -> None:
        target = self.tasks.target

        def job(_progress):
            from backend.reclaim import Selection, plan_with_graph
            from backend.running_containers import running_containers

            plan, graph = plan_with_graph(target, Selection("unused"))
            return plan, graph, running_containers(target)

        def ok(found) -> None:
            plan, graph, self.running = found
            self.dialog.show_plan(plan, graph)
            self.reclaimPlanned.emit(plan)

        def bad(exc: BaseException) -> None:
            self.dialog.show_plan_error(describe_error(exc))
            self.reclaimPlanned.emit(describe_error(exc))

        self.tasks.run(job, self.tasks.current(ok), bad)

    def reclaim(self) -> None:
        dialog = self.dialog
        if self.tasks.engine_busy:
            dialog.show_result("error", "The engine is busy", "A switch or a restart is running; try again when it is done.")
            return
        ids = dialog.ticked()
        if not ids or not confirm.ask(dialog, dialog.confirmation(self.running)):
            return
        target, profile = self.tasks.target, self.tasks.profile
        self.tasks.restarting = True  # the window neither applies nor restarts meanwhile
        dialog.set_running("Starting…")

        def job(progress):
            from backend.reclaim import Reclaim, Selection

            return Reclaim(target, profile).run(Selection("images", ids), throttled(progress))

        def progressed(step: str, sentence: str) -> None:
            dialog.progress.setFormat(sentence)
            self.reclaimProgressed.emit(step, sentence)

        def ok(result) -> None:
            self._done()
            estimate = f"estimated {human_bytes(result.plan.bytes_estimated)}"
            detail = f"Measured on disk before and after ({estimate})."
            if result.failed:
                detail += " Not removed: " + "; ".join(f"{f['name'] or f['id'][:19]}: {f['error']}" for f in result.failed)
            dialog.show_result("warning" if result.failed else "ok",
                               f"Freed {human_bytes(result.bytes_freed)}: {plural(len(result.plan.removing) - len(result.failed), 'image')} "
                               f"removed; the engine is back on the {result.plan.live.title}.", detail)
            self.reclaimFinished.emit(result)

        def bad(exc: BaseException) -> None:
            self._done()
            dialog.show_result("error", "Reclaim did not finish", describe_error(exc))
            self.reclaimFinished.emit(describe_error(exc))

        self.tasks.run(job, ok, bad, progressed)

    def _done(self) -> None:
        """The engine is free again: read the status, both stores, and the hidden store's list anew."""
        self.tasks.restarting = False
        self.window.refresh_status()
        status = getattr(self.window, "status", None)
        if status is not None:
            info = status.engine.info if status.engine.reachable else None
            self.tasks.count_impact(info, status.configured_store)
        self.dry_run()
