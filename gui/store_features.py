"""What the containerd store enables, on the Experimental tab: snapshotter choice, multi-platform check, Wasm.

* **Snapshotter** (:class:`gui.snapshotter_choice.SnapshotterChoice`, ``snapshotterChoice``):
  enabled only while the draft asks for the containerd store (and the target's file is a
  daemon.json: Docker Desktop chooses its own). A name picked or typed becomes ``storage-driver``
  in the draft, so the Docker Engine tab's editor shows it; a ``storage-driver`` typed in the
  editor shows up here. A name containerd could not have (spaces, slashes) blocks Apply instead of
  being written. Availability comes from ``backend.snapshotters.snapshotter_report``, off the GUI
  thread (it may run ``ctr``), once per engine state and again for a name typed by an expert.
* **Multi-platform images** (``multiPlatformCheckButton``, ``multiPlatformResult``):
  ``backend.multiplatform.run_check`` off the GUI thread; the result reads "multi-platform
  images: supported / not supported on the current store".
* **Wasm runtimes** (``wasmRuntimesLabel``): those in the draft's daemon.json ``runtimes`` and those
  the engine reports (``/info`` ``Runtimes``), by ``backend.stores.wasm_runtimes``; the known issue
  ``wasm-needs-containerd`` itself is the known-issues list's, driven by the draft.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from backend.daemon_config import STORAGE_DRIVER_KEY, plan_storage_driver
from backend.errors import ConfigError
from backend.stores import CLASSIC_GRAPH_DRIVERS, DEFAULT_SNAPSHOTTER, Store, wasm_runtimes
from gui import theme
from gui.draft import SettingsDraft
from gui.pages.experimental import ExperimentalPage
from gui.snapshotter_choice import SnapshotterChoice
from gui.tasks import BackendTasks, describe_error
from gui.widgets import escape

TYPING_PAUSE_MS = 400  # a typed name is looked up once the user pauses


class StoreFeatures(QObject):
    snapshottersReported = Signal(object)
    """This engine's snapshotters were looked up (a ``backend.snapshotters.SnapshotterReport``)."""
    multiPlatformChecked = Signal(object)
    """The multi-platform check finished: a ``MultiPlatformResult``, or an error string."""

    def __init__(self, page: ExperimentalPage, draft: SettingsDraft, tasks: BackendTasks, parent: QObject) -> None:
        super().__init__(parent)
        self.page, self.draft, self.tasks = page, draft, tasks
        self.choice = SnapshotterChoice()
        page.add_store_option(self.choice)
        self.status: Any = None
        self.report: Any = None
        self._report_key: tuple | None = None
        self._reporting = False
        self._again = False
        self._extra: tuple[str, ...] = ()
        self._shown: str | None = None  # the draft's value the combo last showed
        self._busy = False
        self.desktop = not tasks.target.chooses_snapshotter
        self.last_check: Any = None
        self._lookup = QTimer(self)
        self._lookup.setSingleShot(True)
        self._lookup.setInterval(TYPING_PAUSE_MS)
        self._lookup.timeout.connect(self.request_report)
        self.choice.nameEdited.connect(self._name_edited)
        page.multiplatform.button.clicked.connect(self.check_multiplatform)
        draft.changed.connect(self.draft_changed)
        self.draft_changed()

    # --- the engine and the target ------------------------------------------------------
    def set_target(self, target: Any) -> None:
        """Another target: what was learned is about the old engine."""
        self.desktop = not target.chooses_snapshotter
        self.status, self.report, self._report_key = None, None, None
        self._reporting = self._again = False
        self.last_check = None
        self.choice.set_report(None)
        self.page.multiplatform.show_result("info", "Not checked yet.")
        self.page.set_engine_running(False)
        self.draft_changed()

    def engine_changed(self, status: Any) -> None:
        """A new status: look the snapshotters up again when the engine's state changed."""
        self.status = status
        e = status.engine
        key = (status.target, e.reachable, status.live_store, e.driver, e.installed)
        if key != self._report_key:
            self._report_key = key
            self.request_report()
        self.page.set_engine_running(e.reachable)
        last = self.last_check
        if last is not None and e.reachable and status.live_store is not None and last.store is not status.live_store:
            self.page.multiplatform.show_result(
                "info", f"Last checked on the {last.store.title}: {last.phrase.replace('the current store', 'it')}.",
                f"The engine now runs the {status.live_store.title}: check again.")
            self.last_check = None
        self._show_wasm()

    def request_report(self) -> None:
        if self._reporting:
            self._again = True
            return
        self._reporting = True
        target = self.tasks.target
        info = self.status.engine.info if self.status is not None and self.status.engine.reachable else None
        extra = self._extra

        def job(_progress):
            from backend.snapshotters import snapshotter_report

            return snapshotter_report(target, info, extra)

        self.tasks.run(job, self.tasks.current(self._reported), self._report_failed)

    def _reported(self, report: Any) -> None:
        self._reporting = False
        self.report = report
        self.choice.set_report(report)
        self.snapshottersReported.emit(report)
        if self._again:
            self._again = False
            self.request_report()

    def _report_failed(self, exc: BaseException) -> None:
        self._reporting = False
        self.choice.status.setText(f'<span style="color:{theme.MUTED}">Availability unknown: {escape(describe_error(exc))}</span>')

    # --- the snapshotter and the draft --------------------------------------------------
    def _name_edited(self, name: str) -> None:
        if not self.choice.combo.isEnabled():
            return
        problem = self.draft.snapshotter_problem(name)  # the model's rule: a bad name blocks Apply
        self.choice.set_problem(problem)  # (before the draft changes: its signal reads it)
        if problem is None:
            self._shown = name or DEFAULT_SNAPSHOTTER
        self.draft.choose_snapshotter(name)
        if problem:
            return
        if name and self.report is not None and self.report.get(name) is None:
            self._extra = (name,)
            self._lookup.start()

    def draft_changed(self) -> None:
        d = self.draft
        value = self._value_for_containerd()
        if self.choice.problem and STORAGE_DRIVER_KEY not in d.option_problems:
            self.choice.set_problem(None)  # Discard, or the draft was reloaded: show the draft again
            self._shown = None
        if value != self._shown:
            self._shown = value
            self.choice.show_name(value)
        self.choice.set_usable(*self._usable())
        self._show_wasm()

    def _value_for_containerd(self) -> str:
        """The name the combo shows: the draft's snapshotter, or (classic) the one containerd would use."""
        d = self.draft
        if d.store is Store.CONTAINERD:
            return d.snapshotter
        data = d.data if d.data is not None else d.saved_data
        try:
            after = plan_storage_driver(data or {}, Store.CONTAINERD).after
        except ConfigError:
            after = None
        return after if isinstance(after, str) else DEFAULT_SNAPSHOTTER

    def _usable(self) -> tuple[bool, str]:
        d = self.draft
        if self.page.locked_by:
            return False, "Set by your administrator."
        if self.desktop:
            return False, "Docker Desktop chooses its own snapshotter."
        if d.data is None:
            return False, "Fix daemon.json (Docker Engine tab) to choose a snapshotter."
        if d.store is not Store.CONTAINERD:
            driver = d.storage_driver
            if driver and driver not in CLASSIC_GRAPH_DRIVERS:
                return False, (f"daemon.json sets storage-driver to '{driver}', which the classic store does not have "
                               "(it would refuse to start): tick the box above, or remove that key.")
            return False, "Used by the containerd store: tick the box above to choose one."
        if self._busy:
            return False, "Applying…"
        return True, ""

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.choice.set_usable(*self._usable())

    # --- multi-platform -----------------------------------------------------------------
    def check_multiplatform(self) -> None:
        row = self.page.multiplatform
        if row.running:
            return
        row.set_running("Loading a two-platform test image into the live store…", "Checking…")
        target = self.tasks.target

        def job(_progress):
            from backend.multiplatform import run_check

            return run_check(target)

        self.tasks.run(job, self._checked, self._check_failed)

    def _checked(self, result: Any) -> None:
        self.last_check = result
        detail = result.reason[:1].upper() + result.reason[1:] + "."
        if result.leftover:
            detail += f" The test image {result.leftover} could not be removed: remove it with `docker rmi {result.leftover}`."
        else:
            detail += " The test image was removed."
        self.page.multiplatform.finish("ok" if result.supported else "warning", result.phrase, detail, "Check")
        self.page.set_engine_running(self.status.engine.reachable if self.status is not None else True)
        self.multiPlatformChecked.emit(result)

    def _check_failed(self, exc: BaseException) -> None:
        message = describe_error(exc)
        self.page.multiplatform.finish("error", "The check could not run.", message[:1].upper() + message[1:], "Check")
        self.multiPlatformChecked.emit(message)

    # --- Wasm -------------------------------------------------------------------------------
    def _show_wasm(self) -> None:
        d = self.draft
        data = d.data if d.data is not None else d.saved_data or {}
        configured = wasm_runtimes(data.get("runtimes"))
        engine = self.status.engine if self.status is not None else None
        live = list(engine.wasm_runtimes) if engine is not None and engine.reachable else []
        names = sorted({*configured, *live})
        if not names:
            self.page.set_wasm(
                "None configured. To run Wasm containers, add a Wasm runtime (for example "
                "<code>io.containerd.wasmedge.v1</code>) under <code>runtimes</code> in daemon.json; "
                "they run on the containerd store only.")
            return
        parts = []
        for name in names:
            where = [w for w, on in (("in daemon.json", name in configured), ("reported by the engine", name in live)) if on]
            parts.append(f"<b>{escape(name)}</b> <span style='color:{theme.MUTED}'>({', '.join(where)})</span>")
        if d.store is Store.CLASSIC:
            tail = (f"<br><span style='color:{theme.WARN}'>Wasm containers do not run on the classic store: "
                    "see the known issue above.</span>")
        else:
            tail = f"<br><span style='color:{theme.MUTED}'>Wasm containers run on the containerd store.</span>"
        self.page.set_wasm("<br>".join(parts) + tail)
