"""``SettingsWindow``: sections on the left, a titled page on the right, the Apply bar at the bottom.

The window holds no domain logic. It wires the pages to one :class:`gui.draft.SettingsDraft`,
sends slow work to :class:`gui.tasks.BackendTasks`, asks confirmations through
:func:`gui.confirm.ask`, and shows what came back: the status line (engine state, live store,
"restart pending"), a progress line naming each step while Apply runs, and a result line after.

Sections: the pages live in a ``QTabWidget`` (``settingsTabs``, the automation contract) whose
tab bar is hidden; a list on the left (``settingsSections``) is its view, as in Docker Desktop.
Keyboard: Tab moves through every control; Up/Down in the section list, Alt+1..5 or
Ctrl+PgUp/PgDown change section; Ctrl+Enter applies.

Startup: built with ``lazy=True`` (``storeswitch-gui`` itself), the window builds only the page it
opens on, paints, and builds the other four right after its first paint (or as soon as anything
needs them: another section chosen, ``complete_startup()``); the first engine checks start once
every page exists. The hidden pages are most of the window's ~250 widgets, and each one costs
first paint its construction and its share of the stylesheet. Built without it (``create_window``,
the QA entry point), every page and objectName exists when the constructor returns.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from backend.profile import Profile
from backend.stores import Store
from backend.targets.base import Target
from gui import theme
from gui.draft import SettingsDraft
from gui.issue_checks import IssueChecks
from gui.sections import PAGE_NAMES, SECTIONS, tab_index, tab_names  # noqa: F401 (tab_names: importable from here as before)
from gui.status_text import CHECKING, EngineSummary, phrase_for, store_name, summarize
from gui.tasks import BackendTasks
from gui.widgets import ElidedLabel, SettingsPage, StatusDot, escape
from gui.window_target import TargetSwitching

if TYPE_CHECKING:  # the pages' modules load when their page is built (see _make_page), the
    # dialogs' and Apply's wording when first used: first paint needs none of them
    from PySide6.QtGui import QCloseEvent

    from gui import confirm
    from gui.diagnostics_panel import DiagnosticsPanel
    from gui.pages.docker_engine import DockerEnginePage
    from gui.pages.experimental import ExperimentalPage
    from gui.pages.general import GeneralPage
    from gui.pages.kubernetes import KubernetesPage
    from gui.pages.troubleshoot import TroubleshootPage
    from gui.store_features import StoreFeatures
    from gui.task_results import ApplyFailure, ApplyOutcome, ApplyRequest, StatusReport, StoreImpact

SWITCH_STEPS = ("plan", "validate", "save", "stop", "start", "verify", "done")
REFRESH_MS = 15000
LAZY_FALLBACK_MS = 300  # a lazy window not painted by then (minimized, say) builds its other pages anyway


_ICON: QIcon | None = None


def app_icon() -> QIcon:
    """The window's icon, from the ``resources`` package's folder.

    Its ``__file__`` rather than ``importlib.resources``, whose import alone costs first paint ~3 ms:
    ``resources`` is a plain package installed as files (QIcon needs a path on disk anyway).
    """
    global _ICON
    if _ICON is None:
        import resources

        _ICON = QIcon(str(Path(resources.__file__).with_name("storeswitch.svg")))
    return _ICON


class SettingsWindow(TargetSwitching, QWidget):
    statusRefreshed = Signal(object)
    """The status line shows a new engine reading (a backend ``Status``)."""
    applyFinished = Signal(bool, str)
    """Apply ended: (succeeded, the message shown in the result line)."""
    knownIssuesUpdated = Signal()
    """The known-issues list was rebuilt for the current draft."""

    def __init__(self, target: Target, profile: Profile, *, dockerd: str | None = None, choice: str = "auto",
                 detection=None, tab: str | None = None, lazy: bool = False) -> None:
        """*choice* is the target as chosen (``auto`` or a name) for the General tab; *detection*,
        when given, is a :class:`gui.app.Detection` of the real target still being detected off
        the GUI thread (``auto`` with a slow socket): *target* is then a stand-in, and nothing is
        edited or probed until the real one arrives. *tab* is the page shown first (a name as
        :meth:`show_tab` takes it; ``ValueError`` when there is none); with *lazy*, only that page
        is built now and the others after the first paint (see the module docstring)."""
        first = tab_index(tab) if tab else 0
        theme.apply_app_font()  # before any widget of the window exists
        super().__init__()
        self.setObjectName("settingsWindow")
        theme.apply_theme(self)  # before the children exist: each is polished once, when first shown
        self.setWindowTitle("storeswitch — Settings")
        self.setAccessibleName("storeswitch settings")
        self.setWindowIcon(app_icon())
        self.resize(1100, 740)
        self.setMinimumSize(QSize(760, 520))
        self.target, self.profile = target, profile
        self.status = None
        self.ready = False  # the first status probe (and recovery) finished
        self.progress_steps: list[tuple[str, str]] = []
        self._impact: StoreImpact | None = None
        self._impact_in_flight = False
        self._impact_key: tuple | None = None
        self.detection = detection
        self.detecting = detection is not None
        self._shown_issues: list[tuple[str, str]] | None = None
        self._close_after_apply = False
        self._status_in_flight = False
        self.live: Store | None = None  # the store the engine runs, as last learned (status or switch)
        self.live_driver: str | None = None

        self.draft = SettingsDraft(target.config_path, profile.settings_path, self, read_config=target.read_config,
                                   saves_without_restart=target.saves_without_restart)
        from backend.kubernetes_setting import kubernetes_setting  # here: not on the import path of first paint's modules

        self.draft.kubernetes_source = kubernetes_setting(target, profile.settings_path)
        self.draft.load()
        self.tasks = BackendTasks(target, profile, self, dockerd=dockerd)
        self.checks = IssueChecks()

        self._choice = choice
        self.general: GeneralPage | None = None  # each None only until built (lazy: after the first paint)
        self.docker_engine: DockerEnginePage | None = None
        self.kubernetes: KubernetesPage | None = None
        self.experimental: ExperimentalPage | None = None
        self.troubleshoot: TroubleshootPage | None = None
        self.features: StoreFeatures | None = None
        self.diagnostics: DiagnosticsPanel | None = None
        self._built: list[SettingsPage | None] = [None] * len(SECTIONS)
        for index in ([first] if lazy else range(len(SECTIONS))):
            self._make_page(index)
        self.complete = not lazy
        self._build()
        self._connect()
        self.tabs.setCurrentIndex(first)
        self._show_summary(CHECKING)
        self._sync_pages()
        if lazy:
            self._painted = False
            QTimer.singleShot(LAZY_FALLBACK_MS, self, self.complete_startup)  # (cancelled if the window goes)
        else:
            self._add_shortcuts()
            QTimer.singleShot(1, self._start)  # a timer, not a posted call: the first paint comes first

    @property
    def pages(self) -> list[SettingsPage]:
        """The pages built so far, in section order (all five once :attr:`complete`)."""
        return [page for page in self._built if page is not None]

    def _make_page(self, index: int) -> SettingsPage:
        """Build the page of section *index*, with what works on it, and wire it to the window."""
        draft, tasks = self.draft, self.tasks
        if index == 0:
            from gui.pages.general import GeneralPage

            page = self.general = GeneralPage(self.target, self.profile, self._choice)
            page.startEngineRequested.connect(self._start_engine)
            page.restartToApplyRequested.connect(self.restart_to_apply)
            page.target_choice.targetChosen.connect(self.choose_target)
            tasks.targetsListed.connect(page.target_choice.set_options)
        elif index == 1:
            from gui.pages.docker_engine import DockerEnginePage

            page = self.docker_engine = DockerEnginePage(draft)
        elif index == 2:
            from gui.pages.kubernetes import KubernetesPage

            page = self.kubernetes = KubernetesPage(draft)
            page.show_channel(getattr(self.status, "desktop", None))
        elif index == 3:
            from gui.pages.experimental import ExperimentalPage
            from gui.store_features import StoreFeatures

            page = self.experimental = ExperimentalPage(draft)
            self.features = StoreFeatures(page, draft, tasks, self)
            from gui.policy_lock import PolicyLock

            self.policy_lock = PolicyLock(page, draft, self.profile, self.features, self)
        else:
            from gui.diagnostics_panel import DiagnosticsPanel
            from gui.pages.troubleshoot import TroubleshootPage

            page = self.troubleshoot = TroubleshootPage()
            self.diagnostics = DiagnosticsPanel(page, tasks, self)
            page.refreshRequested.connect(self.refresh_status)
            page.restartRequested.connect(self.restart_engine)
        self._built[index] = page
        return page

    def _add_shortcuts(self) -> None:
        """Alt+1..5, Ctrl+PgUp/PgDown and Ctrl+Enter (a lazy window's come with its other pages)."""
        from PySide6.QtGui import QKeySequence, QShortcut

        for i in range(len(SECTIONS)):
            QShortcut(QKeySequence(f"Alt+{i + 1}"), self, activated=lambda i=i: self._go_to(i))
        QShortcut(QKeySequence("Ctrl+PgDown"), self, activated=lambda: self._step_section(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, activated=lambda: self._step_section(-1))
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self.apply_changes)

    def _sync_pages(self) -> None:
        """Show the window's state on the pages built so far (at start, and once the rest exist)."""
        if self.detecting:
            if self.general is not None:
                self.general.set_target(self.target, detecting=True)
            self._set_busy(True)
        self._draft_changed()

    def complete_startup(self) -> None:
        """Build the pages a lazy window left for after its first paint, then start the first checks.

        Does nothing once done; a window built without ``lazy`` is complete from the start.
        """
        if self.complete:
            return
        current = self.tabs.currentIndex()
        self.tabs.blockSignals(True)
        try:
            for index, title in enumerate(SECTIONS):
                if self._built[index] is None:
                    placeholder = self.tabs.widget(index)
                    self.tabs.removeTab(index)
                    self.tabs.insertTab(index, self._make_page(index), title)
                    placeholder.setParent(None)  # gone now (Python held the last reference), not at the next turn
            self.tabs.setCurrentIndex(current)
        finally:
            self.tabs.blockSignals(False)
        self.complete = True
        self._add_shortcuts()
        self._sync_pages()
        QTimer.singleShot(1, self._start)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """A lazy window builds the rest once its first frame is on screen (the event loop's next turn)."""
        super().paintEvent(event)
        if not self.complete and not self._painted:
            self._painted = True
            QTimer.singleShot(0, self, self.complete_startup)

    # --- layout -------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        main = QHBoxLayout()
        main.setSpacing(0)
        root.addLayout(main, 1)

        sidebar = QFrame()
        sidebar.setObjectName("sidebar")
        sidebar.setFixedWidth(212)
        side = QVBoxLayout(sidebar)
        side.setContentsMargins(14, 18, 14, 14)
        side.setSpacing(12)
        brand = QHBoxLayout()
        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(28, 28))
        icon.setAccessibleName("storeswitch icon")
        brand.addWidget(icon)
        name = QLabel("storeswitch")
        name.setObjectName("appName")
        brand.addWidget(name, 1)
        side.addLayout(brand)
        self.sections = QListWidget()
        self.sections.setObjectName("settingsSections")
        self.sections.setAccessibleName("Settings sections")
        self.sections.addItems(SECTIONS)
        self.sections.setFrameShape(QFrame.Shape.NoFrame)
        self.sections.setStyleSheet("QListWidget { border: 0px; background: transparent; }")
        self.sections.setAttribute(Qt.WidgetAttribute.WA_MacShowFocusRect, False)
        self.sections.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.sections.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for i, title in enumerate(SECTIONS):
            self.sections.item(i).setToolTip(f"{title} (Alt+{i + 1})")
        side.addWidget(self.sections, 1)
        main.addWidget(sidebar)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("settingsTabs")
        self.tabs.setAccessibleName("Settings pages")
        self.tabs.setDocumentMode(True)
        self.tabs.tabBar().setVisible(False)
        self.tabs.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the section list is the keyboard's way in
        self.tabs.tabBar().setFocusPolicy(Qt.FocusPolicy.NoFocus)
        for index, (page, title) in enumerate(zip(self._built, SECTIONS)):
            if page is None:  # a lazy window's page, built after the first paint
                page = QWidget()
                page.setObjectName(f"{PAGE_NAMES[index]}Pending")
                page.setAccessibleName(f"{title} settings (loading)")
            self.tabs.addTab(page, title)
        main.addWidget(self.tabs, 1)

        self.result_bar = QFrame()
        self.result_bar.setObjectName("applyResultBar")
        bar = QHBoxLayout(self.result_bar)
        bar.setContentsMargins(16, 10, 16, 10)
        self.result = QLabel()
        self.result.setObjectName("applyResult")
        self.result.setAccessibleName("Result of Apply")
        self.result.setWordWrap(True)
        self.result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.result, 1)
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setObjectName("dismissResultButton")
        self.dismiss.setAccessibleName("Dismiss the result")
        self.dismiss.setProperty("role", "link")
        bar.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.result_bar.setVisible(False)
        root.addWidget(self.result_bar)

        bottom = QFrame()
        bottom.setObjectName("bottomBar")
        row = QHBoxLayout(bottom)
        row.setContentsMargins(18, 10, 18, 10)
        row.setSpacing(10)
        self.status_stack = QStackedWidget()
        status_row = QWidget()
        srow = QHBoxLayout(status_row)
        srow.setContentsMargins(0, 0, 0, 0)
        srow.setSpacing(8)
        self.dot = StatusDot()
        srow.addWidget(self.dot)
        self.engine_status = ElidedLabel()
        self.engine_status.setObjectName("engineStatus")
        self.engine_status.setAccessibleName("Engine state")
        srow.addWidget(self.engine_status)
        self.sep1 = QLabel("·")
        srow.addWidget(self.sep1)
        self.live_store = ElidedLabel()
        self.live_store.setObjectName("liveStoreLabel")
        self.live_store.setAccessibleName("Live image store")
        srow.addWidget(self.live_store)
        self.sep2 = QLabel("·")
        srow.addWidget(self.sep2)
        self.pending = QLabel()
        self.pending.setObjectName("pendingRestartLabel")
        self.pending.setAccessibleName("Restart pending")
        srow.addWidget(self.pending)
        srow.addStretch(1)
        self.status_stack.addWidget(status_row)
        self.progress = QProgressBar()
        self.progress.setObjectName("applyProgress")
        self.progress.setAccessibleName("Apply progress")
        self.progress.setRange(0, len(SWITCH_STEPS))
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status_stack.addWidget(self.progress)
        row.addWidget(self.status_stack, 1)
        self.draft_state = ElidedLabel()
        self.draft_state.setObjectName("draftStateLabel")
        self.draft_state.setAccessibleName("Pending changes")
        self.draft_state.setMaximumWidth(420)
        row.addWidget(self.draft_state)
        self.discard = QPushButton("Discard")
        self.discard.setObjectName("discardButton")
        self.discard.setAccessibleName("Discard")
        self.discard.setAccessibleDescription("Drop every change that has not been applied")
        row.addWidget(self.discard)
        self.apply = QPushButton("Apply && restart")
        self.apply.setObjectName("applyRestartButton")
        self.apply.setAccessibleName("Apply & restart")
        self.apply.setProperty("role", "primary")
        self.apply.setDefault(False)
        row.addWidget(self.apply)
        root.addWidget(bottom)

    def _connect(self) -> None:
        self.sections.currentRowChanged.connect(self._section_chosen)
        self.tabs.currentChanged.connect(self._tab_changed)
        self.sections.setCurrentRow(0)
        self.apply.clicked.connect(self.apply_changes)
        self.discard.clicked.connect(self.discard_changes)
        self.dismiss.clicked.connect(lambda: self.result_bar.setVisible(False))
        self.draft.changed.connect(self._draft_changed)
        self.tabs.currentChanged.connect(lambda _i: self._maybe_gather_report())

        t = self.tasks
        t.statusGathered.connect(self._status_gathered)
        t.statusFailed.connect(self._status_failed)
        t.impactCounted.connect(self._impact_counted)
        t.impactProgressed.connect(lambda _stage, sentence: self.experimental.set_impact_progress(sentence))
        t.engineRestartProgressed.connect(lambda _step, sentence: self.troubleshoot.restart.show_result("busy", sentence))
        t.engineRestarted.connect(self._engine_restarted)
        t.engineRestartFailed.connect(self._engine_restart_failed)
        t.targetChosen.connect(self._target_chosen)
        t.targetChoiceFailed.connect(self._target_choice_failed)
        t.knownIssuesLoaded.connect(self._known_issues_loaded)
        t.factsProbed.connect(self._facts_probed)
        t.switchProgressed.connect(self._switch_progressed)
        t.switchFinished.connect(self._switch_finished)
        t.switchFailed.connect(self._switch_failed)
        t.engineStarted.connect(self._engine_started)
        t.engineStartFailed.connect(self._engine_start_failed)

        QApplication.instance().focusChanged.connect(self._focus_changed)

        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self._periodic_refresh)

    def _start(self) -> None:
        """First status probe (with recovery of a killed switch) and the known-issue catalog, off-thread."""
        if self.checks.available:
            self.tasks.load_known_issues()
        self.tasks.list_targets()
        self.refresh_timer.start()
        if self.detecting:
            detection = self.detection
            self.tasks.run(lambda _p: detection.result(), self._target_detected, self._detection_failed)
            return
        self._status_in_flight = True
        self.tasks.gather_status(recover=True)

    # --- sections -----------------------------------------------------------------------
    def _go_to(self, index: int) -> None:
        """Show section *index* (building a lazy window's other pages first, if not done yet)."""
        if self.tabs.currentIndex() != index:
            self.complete_startup()
            self.tabs.setCurrentIndex(index)

    def _section_chosen(self, row: int) -> None:
        if row >= 0:
            self._go_to(row)

    def _tab_changed(self, index: int) -> None:
        if self.sections.currentRow() != index:
            self.sections.setCurrentRow(index)
        if not self.complete and index >= 0 and self._built[index] is None:  # settingsTabs driven directly
            QTimer.singleShot(0, self, self.complete_startup)

    def _step_section(self, delta: int) -> None:
        self._go_to((self.tabs.currentIndex() + delta) % self.tabs.count())

    def show_tab(self, name: str) -> None:
        """Show the page named *name* ("experimental", "Docker Engine", "dockerEnginePage" ...)."""
        self._go_to(tab_index(name))

    def _focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        """Keyboard focus moving down a long page scrolls the page along."""
        if new is None:
            return
        for page in self.pages:
            if page.isAncestorOf(new):
                page.ensureWidgetVisible(new, 24, 24)
                return

    # --- the draft ----------------------------------------------------------------------
    def _draft_changed(self) -> None:
        self._update_bar()
        self._show_store_state()
        self._evaluate_issues()
        self._show_impact()

    def _update_bar(self) -> None:
        d = self.draft
        applying = self.tasks.engine_busy or self.detecting
        problem = d.blocker
        can_apply = self.ready and d.dirty and d.apply_problem is None and not applying
        self.apply.setEnabled(can_apply)
        self.discard.setEnabled(d.dirty and not applying)
        restart = d.needs_restart or (d.daemon_changed and problem is not None)
        self.apply.setText("Apply && restart" if restart or not d.dirty else "Apply")
        self.apply.setAccessibleName("Apply & restart" if restart or not d.dirty else "Apply")
        if problem is not None:
            text = f"{self.target.config_path.name}: {problem}"
            self.apply.setToolTip(f"Fix {self.target.config_path.name} first: {problem}")
        elif d.dirty and not self.ready:
            text = "Unsaved changes · checking the engine…"
            self.apply.setToolTip("Available once the engine has been checked")
        elif d.dirty:
            text = "Unsaved changes" + ("" if d.needs_restart else " · no restart needed")
            self.apply.setToolTip("Write the changes" + (" and restart the engine" if d.needs_restart else "") + " (Ctrl+Enter)")
        else:
            text = ""
            self.apply.setToolTip("Nothing to apply")
        self.draft_state.setText(text)
        style = f"color: {theme.BAD};" if problem is not None else ""
        if self.draft_state.styleSheet() != style:
            self.draft_state.setStyleSheet(style)
        self.draft_state.setAccessibleDescription(text)
        lock = ("Apply or Discard your changes first" if d.dirty else
                "Wait until the engine has switched or restarted" if applying else "")
        if self.general is not None:
            self.general.target_choice.set_locked(lock)
            self.general.set_restart_to_apply_lock(lock or ("" if self.ready else "Checking the engine…"))

    def discard_changes(self) -> None:
        if self.tasks.applying:
            return
        self.draft.discard()

    # --- status -------------------------------------------------------------------------
    def refresh_status(self) -> None:
        if self.tasks.engine_busy or self.detecting:
            return
        self._status_in_flight = True
        self.troubleshoot.set_checking(True)
        self.tasks.gather_status()

    def _periodic_refresh(self) -> None:
        if not self.tasks.engine_busy and not self.detecting and not self._status_in_flight and self.isVisible():
            self.refresh_status()

    def _status_gathered(self, report: StatusReport) -> None:
        self._status_in_flight = False
        self.troubleshoot.set_checking(False)
        first = not self.ready
        self.status = report.status
        self.live = report.status.live_store if report.status.engine.reachable else None
        self.live_driver = report.status.engine.driver if self.live else None
        summary = summarize(report.status)
        self._show_summary(summary)
        self.general.show_status(report.status, summary)
        self.troubleshoot.show_report(report, summary)
        if self.kubernetes is not None:
            self.kubernetes.show_channel(report.status.desktop)
        self.features.engine_changed(report.status)
        if report.recovered:
            self._show_result("info", f"<b>Recovered an interrupted switch.</b> {escape(report.recovered)}")
        if report.recovery_error:
            self._show_result("error", "<b>An interrupted switch could not be recovered.</b> "
                                       f"{escape(report.recovery_error)}")
        if not self.draft.dirty and self.draft.file_differs():
            self.draft.load()  # changed on disk (recovery, another storeswitch, an editor)
        self.ready = True
        self._update_bar()
        self._show_store_state()
        self.statusRefreshed.emit(report.status)
        status = report.status
        if first or self._impact is None or self._impact_stale(status):
            key = (self._current_store(status), status.engine.reachable)
            if not (self._impact_in_flight and self._impact_key == key):  # else the count running now is the one
                self._count_impact(status)
        if first and self.checks.available and self.checks.catalog is not None and not self.checks.facts_probed:
            self.tasks.probe_facts()
        self._maybe_gather_report()

    def _status_failed(self, message: str) -> None:
        self._status_in_flight = False
        self.troubleshoot.set_checking(False)
        self.ready = True
        self._show_summary(EngineSummary(theme.BAD, "Engine state unknown", "store unknown"))
        self._show_result("error", f"<b>Could not check the engine.</b> {escape(message)}")
        self._update_bar()

    def _show_summary(self, summary: EngineSummary) -> None:
        self.summary = summary
        self.dot.set_color(summary.color)
        self.engine_status.setText(summary.engine)
        self.live_store.setText(summary.store)
        self.pending.setText(summary.pending)
        self.pending.setVisible(bool(summary.pending))
        self.sep1.setVisible(bool(summary.store))
        self.live_store.setVisible(bool(summary.store))
        self.sep2.setVisible(bool(summary.pending))
        self.engine_status.setAccessibleDescription(summary.line)
        self.live_store.setAccessibleDescription(summary.store)

    def _show_store_state(self) -> None:
        if self.experimental is not None:
            saved = self.status is not None and not self.draft.daemon_changed  # the reasons are the saved file's
            self.experimental.show_store_state(self.live, self.live_driver,
                                               getattr(self.status, "configured_by", None) if saved else None,
                                               getattr(self.status, "store_notes", []) if saved else [])

    # --- what a switch does here --------------------------------------------------------
    def _current_store(self, status) -> Store | None:
        return status.live_store if status.engine.reachable else status.configured_store

    def _impact_stale(self, status) -> bool:
        impact = self._impact
        return impact is not None and (impact.engine_running != status.engine.reachable
                                       or impact.current is not self._current_store(status))

    def _count_impact(self, status) -> None:
        """Read both stores off the GUI thread (the live one through the engine when it runs)."""
        self._impact_in_flight = True
        self._impact_key = (self._current_store(status), status.engine.reachable)
        if self._impact is None:
            self.experimental.set_impact("Reading both stores…")
        info = status.engine.info if status.engine.reachable else None
        self.tasks.count_impact(info, status.configured_store)

    def _impact_counted(self, impact: StoreImpact | str) -> None:
        self._impact_in_flight = False
        self.experimental.set_impact_progress(None)
        if isinstance(impact, str):
            self._impact = None
            self.experimental.set_impact(f"What a switch would hide could not be read: {escape(impact)}")
            return
        self._impact = impact
        self._show_impact()

    def _show_impact(self) -> None:
        """The sentence follows the checkbox: recomputed from what was read, without reading again."""
        if self._impact is not None and self.experimental is not None:
            from gui.apply_text import impact_html

            self.experimental.set_impact(impact_html(self._impact, self.draft.store))

    # --- known issues -------------------------------------------------------------------
    def _known_issues_loaded(self, catalog) -> None:
        self.checks.catalog_loaded(catalog)
        self._evaluate_issues()
        if self.checks.available and self.ready and not self.checks.facts_probed:
            self.tasks.probe_facts()

    def _facts_probed(self, facts) -> None:
        self.checks.facts_arrived(facts)
        self._shown_issues = None
        self._evaluate_issues()

    def _evaluate_issues(self) -> None:
        if self.experimental is None:  # a lazy window's page, not built yet: it evaluates once it is
            return
        lst, checks = self.experimental.issues, self.checks
        if not checks.available:
            if self._shown_issues != [("unavailable", checks.error or "")]:
                lst.show_message(f"{checks.error[0].upper()}{checks.error[1:]}." if checks.error else "")
                self.experimental.set_issue_count(None)
                self._shown_issues = [("unavailable", checks.error or "")]
                self.knownIssuesUpdated.emit()
            return
        if not checks.loaded or checks.catalog is None:
            lst.show_message("Checking the known issues…")
            self.experimental.set_issue_count(None)
            return
        d = self.draft
        if d.data is not None:
            self._last_valid = (d.store, d.data)
        elif getattr(self, "_last_valid", None) is None:
            self._last_valid = (d.saved_store, d.saved_data)
        store, data = self._last_valid  # while the JSON has an error, judge the last text that parsed
        evaluations = checks.evaluate(store, d.kubernetes, data)
        if not checks.available:  # the module failed while evaluating
            self._evaluate_issues()
            return
        note = ""
        if d.data is None:
            note = "daemon.json has an error: the list is for the last text that could be read."
        elif not checks.facts_probed:
            note = "Checking this machine; the list may change."
        elif checks.facts_error:
            note = f"Some facts about this machine could not be learned ({checks.facts_error})."
        shown = [(e.issue.id, e.applies) for e in evaluations] + [("note", note)]
        if shown != self._shown_issues:
            lst.show_evaluations(evaluations, note)
            self._shown_issues = shown
        self.experimental.set_issue_count(len(evaluations))
        self.knownIssuesUpdated.emit()

    # --- apply --------------------------------------------------------------------------
    def apply_changes(self) -> None:
        """Apply & restart: confirm through :func:`gui.confirm.ask`, then run it off the GUI thread."""
        from gui import confirm
        from gui.task_results import ApplyRequest

        if not self.apply.isEnabled():
            return
        d = self.draft
        request = ApplyRequest()
        if d.kubernetes_changed:
            request.kubernetes = d.kubernetes
        if d.daemon_changed:
            request.store, request.content, request.restart = d.store, d.content(), d.needs_restart
            if d.store is Store.CONTAINERD and d.storage_driver:
                request.snapshotter = d.storage_driver
            note = d.storage_driver_note()
            if note:
                request.notes.append(note[:1].upper() + note[1:] + ".")
            forced = getattr(self, "_force_reason", None)
            if forced:  # the last Apply was refused for a reason the user may override
                request.force = True
                request.notes.append(f"Switching anyway, although: {forced}")
            elif request.restart and self.checks.loaded and self.checks.error:  # the CLI needs --force here
                request.notes.append(f"The known-issue list is not available ({self.checks.error}), so its blockers "
                                     "are not checked: applying anyway is your decision.")
        confirmation = self._confirmation(request)
        if confirmation is not None and not confirm.ask(self, confirmation):
            self._show_result("info", "Nothing was applied: you cancelled. Your changes are still here.")
            return
        self._run_apply(request)

    def _run_apply(self, request: ApplyRequest) -> None:
        """Hand a confirmed request to the tasks and show its progress in the bottom bar."""
        self.progress_steps = []
        self._force_reason = None
        self.tasks.apply(request)  # marks the tasks as applying at once; results arrive by the event loop
        self._set_busy(True)
        self.progress.setValue(0)
        self.progress.setFormat("Applying…")
        self.status_stack.setCurrentWidget(self.progress)
        self.result_bar.setVisible(False)

    def restart_to_apply(self) -> None:
        """"Restart pending": switch the engine to the store its saved config names (the file as it is).

        The same confirmation and journaled switch as Apply & restart (validate, verify, rollback),
        so the engine never comes back on a config it refuses.
        """
        from gui import confirm
        from gui.task_results import ApplyRequest

        status = self.status
        if (self.tasks.engine_busy or self.detecting or self.draft.dirty or status is None
                or not status.pending_restart):
            return
        request = ApplyRequest(store=status.configured_store, restart=True)
        confirmation = self._confirmation(request)
        if confirmation is not None and not confirm.ask(self, confirmation):
            self._show_result("info", "Not restarted: you cancelled. The engine still runs the "
                                      f"{store_name(self.live)}.")
            return
        self._run_apply(request)

    def _confirmation(self, request: ApplyRequest) -> confirm.Confirmation | None:
        from gui.apply_text import confirmation_for

        unavailable = f"the known-issue list is not available ({self.checks.error})" if self.checks.loaded and self.checks.error else None
        return confirmation_for(request, self.live or self.draft.saved_store, self._impact,
                                self.checks.evaluations, self.target.config_path.name, unavailable)

    def _set_busy(self, busy: bool) -> None:
        for page in (self.docker_engine, self.kubernetes, self.experimental, self.troubleshoot):
            if page is not None:
                page.set_busy(busy)
        if self.features is not None:
            self.features.set_busy(busy)
        if self.general is not None:
            self.general.start_button.setEnabled(not busy)
        self._update_bar()

    def _switch_progressed(self, step: str, sentence: str) -> None:
        self.progress_steps.append((step, sentence))
        if step in SWITCH_STEPS:
            self.progress.setValue(SWITCH_STEPS.index(step) + 1)
        self.progress.setFormat(sentence.replace("%", "%%"))
        self.progress.setAccessibleDescription(sentence)

    def _switch_finished(self, outcome: ApplyOutcome) -> None:
        result = outcome.switch
        kind, message = "success", escape(outcome.message)
        if result is not None and result.outcome == "saved":
            kind = "info"
        if result is not None and result.live_store is not None and result.outcome == "switched":
            self.live, self.live_driver = result.live_store, result.driver
            self.live_store.setText(phrase_for(result.live_store, result.driver))
            message = f"<b>{message}</b> The engine runs the {phrase_for(result.live_store, result.driver)}."
        self._set_busy(False)
        self.status_stack.setCurrentIndex(0)
        self.draft.load()  # the snapshot is now what was written; the draft is clean
        self._show_result(kind, message)
        self._impact = None
        self.diagnostics.mark_stale()
        self.applyFinished.emit(True, self.result.text())
        self._after_apply()

    def _switch_failed(self, failure: ApplyFailure) -> None:
        running = failure.running
        from gui.apply_text import failure_headline

        head = failure_headline(failure, self.target.config_path.name)
        self.live, self.live_driver = running, None
        if running is not None:
            self.live_store.setText(store_name(running))
        self._set_busy(False)
        self.status_stack.setCurrentIndex(0)
        self.draft.load(keep_edits=True)  # the file is as before; the user's edits stay to be fixed
        reason = escape(failure.message[:1].upper() + failure.message[1:])
        # A refusal that needs a decision (the CLI's --force): the next Apply asks "switch anyway?" with it.
        self._force_reason = failure.message if failure.needs_force else None
        follow = ("Apply again to be asked whether to switch anyway, or Discard." if failure.needs_force
                  else "Your changes are still here: fix them and apply again, or Discard.")
        self._show_result("error", f"<b>{escape(head)}</b><br>{reason}<br>{follow}")
        self.diagnostics.mark_stale()
        self.applyFinished.emit(False, self.result.text())
        self._after_apply()

    def _after_apply(self) -> None:
        self._status_in_flight = True
        self.tasks.gather_status()
        if self.checks.available and self.checks.catalog is not None:
            self.tasks.probe_facts()
        if self._close_after_apply:
            self.close()

    def _show_result(self, kind: str, rich_text: str) -> None:
        bg, border, fg = {
            "success": ("#E7F5EC", "#B7E0C4", "#0F5C2E"),
            "error": theme.SEVERITY_COLORS["blocker"],
            "info": theme.SEVERITY_COLORS["info"],
        }[kind]
        self.result_bar.setStyleSheet(f"#applyResultBar {{ background: {bg}; border-top: 1px solid {border}; }}"
                                      f" #applyResult {{ color: {fg}; }}")
        self.result.setProperty("resultKind", kind)
        self.result.setText(rich_text)
        self.result.setAccessibleDescription(rich_text)
        self.result_bar.setVisible(True)

    # --- engine -------------------------------------------------------------------------
    def _start_engine(self) -> None:
        self.general.set_starting(True)
        self.tasks.start_engine()

    def _engine_started(self) -> None:
        self.general.set_starting(False)
        self._show_result("success", "<b>The engine started.</b>")
        self.refresh_status()

    def _engine_start_failed(self, message: str) -> None:
        self.general.set_starting(False)
        self._show_result("error", f"<b>The engine did not start.</b> {escape(message)}")
        self.refresh_status()

    def restart_engine(self) -> None:
        """Troubleshoot's Restart: confirm (a pending config takes effect, containers stop), then off-thread."""
        from gui import confirm

        if self.tasks.engine_busy or self.detecting:
            return
        consequences = ["The engine stops for a few seconds; running containers stop with it."]
        status = self.status
        if status is not None and status.pending_restart and status.configured_store is not None:
            consequences.append(
                f"{self.target.config_path.name} asks for the {status.configured_store.title}: the engine comes back on it, "
                "without the checks and the rollback of Apply & restart (use that to switch safely).")
        question = confirm.Confirmation("Restart the engine?", "storeswitch will stop and start the engine.",
                                        consequences, accept_label="Restart engine")
        if not confirm.ask(self, question):
            self.troubleshoot.restart.show_result("info", "Not restarted: you cancelled.")
            return
        self.tasks.restart_engine()
        self.troubleshoot.restart.set_running("Stopping the engine…", "Restarting…")
        self._set_busy(True)

    def _engine_restarted(self, phrase: str) -> None:
        self._set_busy(False)
        self.troubleshoot.restart.finish("ok", "The engine restarted.", f"It runs the {phrase}.", "Restart engine")
        self._impact = None
        self.diagnostics.mark_stale()
        self._after_restart()

    def _engine_restart_failed(self, message: str) -> None:
        self._set_busy(False)
        self.troubleshoot.restart.finish("error", "The engine did not restart.", message[:1].upper() + message[1:], "Restart engine")
        self.diagnostics.mark_stale()
        self._after_restart()

    def _after_restart(self) -> None:
        if self._close_after_apply:
            self.close()
            return
        self.refresh_status()

    def _maybe_gather_report(self) -> None:
        """The diagnostics report is gathered when Troubleshoot is shown (and again after a change)."""
        if self.ready and self.tabs.currentWidget() is self.troubleshoot and not self.tasks.engine_busy:
            self.diagnostics.want_report()

    # --- state for tests, QA and --screenshot -------------------------------------------
    def is_settled(self) -> bool:
        """The first checks are done and no backend call is running."""
        return self.ready and self.tasks.pending == 0

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.tasks.engine_busy:
            self._close_after_apply = True
            what = "A switch is in progress." if self.tasks.applying else "The engine is restarting."
            self._show_result("info", f"<b>{what}</b> The window closes when it has finished.")
            event.ignore()
            return
        self.refresh_timer.stop()
        self.tasks.wait(15000)
        app = QApplication.instance()
        if app is not None:
            try:
                app.focusChanged.disconnect(self._focus_changed)
            except (RuntimeError, TypeError):
                pass
        event.accept()

