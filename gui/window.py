"""``SettingsWindow``: sections on the left, a titled page on the right, the apply bar at the bottom.

The window is wiring. Each job is a module named for it:

| job | where |
|---|---|
| the five sections, ``--tab`` names | :mod:`gui.sections` (table), :mod:`gui.sidebar` (the list) |
| the pages | :mod:`gui.pages` (one per tab), built by :meth:`SettingsWindow._make_page` |
| the pending edits and their rules | :mod:`gui.draft` over :mod:`backend.settings_model` |
| the engine: target, status, start/restart | :mod:`gui.engine_session` (:class:`EngineSession`) |
| what a switch hides and shows | :mod:`gui.impact_tracker` |
| the known-issue list | :mod:`gui.known_issues_view` |
| Apply, its confirmation and outcome | :mod:`gui.apply_flow`; words in :mod:`gui.apply_text` |
| the bottom bar and the result strip | :mod:`gui.apply_bar` |
| backend calls off the GUI thread | :mod:`gui.tasks` |

Sections: the pages live in a ``QTabWidget`` (``settingsTabs``, the automation contract) whose
tab bar is hidden; the list on the left (``settingsSections``) is its view. Keyboard: Tab moves
through every control; Up/Down in the section list, Alt+1..5 or Ctrl+PgUp/PgDown change section;
Ctrl+Enter applies.

Startup: built with ``lazy=True`` (``storeswitch-gui`` itself), the window builds only the page it
opens on, paints, and builds the other four right after its first paint (or as soon as anything
needs them: another section chosen, ``complete_startup()``); the first engine checks start once
every page exists. The hidden pages are most of the window's widgets, and each costs first paint
its construction and its share of the stylesheet (figures: docs/performance.md). Built without it
(``create_window``, the QA entry point), every page and objectName exists when the constructor returns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QTabWidget, QVBoxLayout, QWidget

from backend.profile import Profile
from backend.targets.base import Target
from gui import theme
from gui.apply_bar import SWITCH_STEPS  # noqa: F401 (importable from here as before)
from gui.apply_bar import ApplyBar
from gui.apply_flow import ApplyFlow
from gui.draft import SettingsDraft
from gui.engine_session import REFRESH_MS, EngineSession  # noqa: F401 (REFRESH_MS: importable as before)
from gui.impact_tracker import ImpactTracker
from gui.known_issues_view import KnownIssuesView
from gui.sections import PAGE_NAMES, SECTIONS, tab_index, tab_names  # noqa: F401 (tab_names: importable as before)
from gui.sidebar import Navigation, app_icon, build_sidebar
from gui.status_text import CHECKING, EngineSummary
from gui.tasks import BackendTasks
from gui.widgets import SettingsPage

if TYPE_CHECKING:  # the pages' modules load when their page is built (see _make_page)
    from PySide6.QtGui import QCloseEvent

    from gui.diagnostics_panel import DiagnosticsPanel
    from gui.pages.docker_engine import DockerEnginePage
    from gui.pages.experimental import ExperimentalPage
    from gui.pages.general import GeneralPage
    from gui.pages.kubernetes import KubernetesPage
    from gui.pages.troubleshoot import TroubleshootPage
    from gui.store_features import StoreFeatures

LAZY_FALLBACK_MS = 300  # a lazy window not painted by then (minimized, say) builds its other pages anyway
BAR_WIDGETS = ("apply", "discard", "result", "result_bar", "dismiss", "progress", "status_stack", "dot",
               "engine_status", "live_store", "pending", "draft_state")


class SettingsWindow(QWidget):
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
        self.profile = profile
        self.close_pending = False  # closing waits for a running switch or restart

        self.draft = SettingsDraft(target.config_path, profile.settings_path, self, read_config=target.read_config,
                                   saves_without_restart=target.saves_without_restart)
        from backend.kubernetes_setting import kubernetes_setting  # here: not on the import path of first paint's modules

        self.draft.kubernetes_source = kubernetes_setting(target, profile.settings_path)
        self.draft.load()
        self.tasks = BackendTasks(target, profile, self, dockerd=dockerd)
        self.session = EngineSession(self, target, detection)
        self.impact = ImpactTracker(self.tasks, lambda: self.experimental, lambda: self.draft.store)
        self.issues = KnownIssuesView(self.tasks, self.draft, lambda: self.experimental, lambda: self.session.ready,
                                      self.knownIssuesUpdated.emit)
        self.flow = ApplyFlow(self)

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
        self.show_summary(CHECKING)
        self._sync_pages()
        self.hold_startup = False  # see paintEvent: set by a screenshot of the very first frame
        if lazy:
            self._painted = False
            QTimer.singleShot(LAZY_FALLBACK_MS, self, self.complete_startup)  # (cancelled if the window goes)
        else:
            self.nav.add_shortcuts()
            QTimer.singleShot(1, self._start)  # a timer, not a posted call: the first paint comes first

    # --- the session's state, read here by pages, tests and QA ----------------------------
    target = property(lambda self: self.session.target, doc="The target the window works on.")
    status = property(lambda self: self.session.status, doc="The last engine reading (a backend Status), or None.")
    live = property(lambda self: self.session.live, doc="The store the engine runs, as last learned.")
    live_driver = property(lambda self: self.session.live_driver)
    ready = property(lambda self: self.session.ready, doc="The first status probe (and recovery) finished.")
    detecting = property(lambda self: self.session.detecting, doc="``auto`` detection is still running.")
    checks = property(lambda self: self.issues.checks, doc="The known-issue checks (gui.issue_checks).")
    progress_steps = property(lambda self: self.flow.progress_steps, doc="The steps the last Apply named.")

    @property
    def pages(self) -> list[SettingsPage]:
        """The pages built so far, in section order (all five once :attr:`complete`)."""
        return [page for page in self._built if page is not None]

    def _make_page(self, index: int) -> SettingsPage:
        """Build the page of section *index*, with what works on it, and wire it to the window."""
        draft, tasks, session = self.draft, self.tasks, self.session
        if index == 0:
            from gui.pages.general import GeneralPage

            page = self.general = GeneralPage(self.target, self.profile, self._choice)
            page.startEngineRequested.connect(session.start_engine)
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
            from gui.bring_list import BringList

            self.bring = BringList(page, tasks, self)  # images to bring along (issue 15)
            from gui.reclaim_panel import ReclaimPanel

            self.reclaim = ReclaimPanel(page, tasks, self)  # the hidden store's notice and reclaimButton
        else:
            from gui.diagnostics_panel import DiagnosticsPanel
            from gui.pages.troubleshoot import TroubleshootPage

            page = self.troubleshoot = TroubleshootPage()
            self.diagnostics = DiagnosticsPanel(page, tasks, self)
            page.refreshRequested.connect(self.refresh_status)
            page.restartRequested.connect(self.restart_engine)
        self._built[index] = page
        return page

    def _sync_pages(self) -> None:
        """Show the window's state on the pages built so far (at start, and once the rest exist)."""
        if self.detecting:
            if self.general is not None:
                self.general.set_target(self.target, detecting=True)
            self.set_busy(True)
        self.draft_changed()

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
        self.nav.add_shortcuts()
        self._sync_pages()
        QTimer.singleShot(1, self._start)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt override)
        """A lazy window builds the rest once its first frame is on screen (the event loop's next turn)."""
        super().paintEvent(event)
        # hold_startup: `storeswitch-gui --screenshot --wait 0` grabs the first frame itself, so the
        # rest must not be built in between (its layout passes run posted events, where that would).
        if not self.complete and not self._painted and not self.hold_startup:
            self._painted = True
            QTimer.singleShot(0, self, self.complete_startup)

    # --- layout and wiring ----------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        main = QHBoxLayout()
        main.setSpacing(0)
        root.addLayout(main, 1)
        sidebar, self.sections = build_sidebar()
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

        self.bar = ApplyBar(root)
        for name in BAR_WIDGETS:  # the window's names for them, as tests and QA know them
            setattr(self, name, getattr(self.bar, name))

    def _connect(self) -> None:
        self.nav = Navigation(self, self.sections, self.tabs)
        self.apply.clicked.connect(self.apply_changes)
        self.discard.clicked.connect(self.discard_changes)
        self.draft.changed.connect(self.draft_changed)
        self.tabs.currentChanged.connect(lambda _i: self.maybe_gather_report())

    def _start(self) -> None:
        """The first checks, off-thread: the known-issue catalog, the targets, the engine (with recovery)."""
        if self.issues.checks.available:
            self.tasks.load_known_issues()
        self.tasks.list_targets()
        self.session.start()

    def show_tab(self, name: str) -> None:
        """Show the page named *name* ("experimental", "Docker Engine", "dockerEnginePage" ...)."""
        self.nav.go_to(tab_index(name))


    # --- what the window shows ------------------------------------------------------------
    def draft_changed(self) -> None:
        self.update_bar()
        self.show_store_state()
        self.issues.evaluate()
        self.impact.show()

    def update_bar(self) -> None:
        busy = self.tasks.engine_busy or self.detecting
        self.bar.show_draft(self.draft, self.target.config_path.name, self.ready, busy)
        lock = ("Apply or Discard your changes first" if self.draft.dirty else
                "Wait until the engine has switched or restarted" if busy else "")
        if self.general is not None:
            self.general.target_choice.set_locked(lock)
            self.general.set_restart_to_apply_lock(lock or ("" if self.ready else "Checking the engine…"))

    def set_busy(self, busy: bool) -> None:
        for page in (self.docker_engine, self.kubernetes, self.experimental, self.troubleshoot):
            if page is not None:
                page.set_busy(busy)
        if self.features is not None:
            self.features.set_busy(busy)
        if self.general is not None:
            self.general.start_button.setEnabled(not busy)
        self.update_bar()

    def show_result(self, kind: str, rich_text: str) -> None:
        self.bar.show_result(kind, rich_text)

    def show_summary(self, summary: EngineSummary) -> None:
        self.summary = summary
        self.bar.show_summary(summary)

    def show_store_state(self) -> None:
        if self.experimental is not None:
            saved = self.status is not None and not self.draft.daemon_changed  # the reasons are the saved file's
            self.experimental.show_store_state(self.live, self.live_driver,
                                               getattr(self.status, "configured_by", None) if saved else None,
                                               getattr(self.status, "store_notes", []) if saved else [])

    def maybe_gather_report(self) -> None:
        """The diagnostics report is gathered when Troubleshoot is shown (and again after a change)."""
        if self.ready and self.tabs.currentWidget() is self.troubleshoot and not self.tasks.engine_busy:
            self.diagnostics.want_report()

    # --- what a user (or QA) does ---------------------------------------------------------
    def apply_changes(self) -> None:
        """Apply & restart: confirm through :func:`gui.confirm.ask`, then run it off the GUI thread."""
        self.flow.apply_changes()

    def restart_to_apply(self) -> None:
        """"Restart pending": the journaled switch to the store the saved config names."""
        self.flow.restart_to_apply()

    def discard_changes(self) -> None:
        if not self.tasks.applying:
            self.draft.discard()

    def refresh_status(self) -> None:
        self.session.refresh_status()

    def restart_engine(self) -> None:
        """Troubleshoot's Restart (confirmed, off the GUI thread)."""
        self.session.restart_engine()

    def choose_target(self, name: str) -> None:
        self.session.choose_target(name)

    def set_target(self, target: Target, force: bool = False) -> None:
        self.session.set_target(target, force)

    # --- state for tests, QA and --screenshot -------------------------------------------
    def is_settled(self) -> bool:
        """The first checks are done and no backend call is running."""
        return self.ready and self.tasks.pending == 0

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.tasks.engine_busy:
            self.close_pending = True
            what = "A switch is in progress." if self.tasks.applying else "The engine is restarting."
            self.show_result("info", f"<b>{what}</b> The window closes when it has finished.")
            event.ignore()
            return
        self.session.refresh_timer.stop()
        self.tasks.wait(15000)
        self.nav.disconnect()
        event.accept()
