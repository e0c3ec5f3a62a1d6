"""The engine session: which engine the window works on, and what it last learned about it.

One object holds that state (it used to sit on the window, reset by hand by a mixin): the target,
the last :class:`backend.status.Status`, the store the engine runs (from a status or a switch),
whether the first checks are done (``ready``) and whether ``auto`` detection is still running.
It runs the status probe (at start with recovery, every ``REFRESH_MS``, after every change),
starts and restarts the engine, and changes the target: :meth:`EngineSession.set_target` is the
one way, dropping everything learned about the old engine (stale answers too: see
``BackendTasks.set_target``) and running the first checks again, recovery included.

It reports to the window (its *host*): the pages, the apply bar, the impact and the known issues
are the window's; the session only calls them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer

from backend.kubernetes_setting import kubernetes_setting
from backend.stores import Store
from backend.targets.base import Target
from gui import theme
from gui.status_text import CHECKING, EngineSummary, store_name, summarize
from gui.widgets import escape

if TYPE_CHECKING:
    from gui.task_results import StatusReport
    from gui.window import SettingsWindow

REFRESH_MS = 15000


class EngineSession(QObject):
    """The target and the engine's last known state, for one window."""

    def __init__(self, host: SettingsWindow, target: Target, detection: Any = None) -> None:
        super().__init__(host)
        self.host, self.tasks = host, host.tasks
        self.target = target
        self.status: Any = None
        self.ready = False  # the first status probe (and recovery) finished
        self.live: Store | None = None  # the store the engine runs, as last learned (status or switch)
        self.live_driver: str | None = None
        self.detection = detection
        self.detecting = detection is not None
        self.status_in_flight = False
        self._chosen_name: str | None = None
        t = self.tasks
        t.statusGathered.connect(self._status_gathered)
        t.statusFailed.connect(self._status_failed)
        t.engineRestartProgressed.connect(lambda _step, sentence: host.troubleshoot.restart.show_result("busy", sentence))
        t.engineRestarted.connect(self._engine_restarted)
        t.engineRestartFailed.connect(self._engine_restart_failed)
        t.engineStarted.connect(self._engine_started)
        t.engineStartFailed.connect(self._engine_start_failed)
        t.targetChosen.connect(self._target_chosen)
        t.targetChoiceFailed.connect(self._target_choice_failed)
        self.refresh_timer = QTimer(self)
        self.refresh_timer.setInterval(REFRESH_MS)
        self.refresh_timer.timeout.connect(self._periodic_refresh)

    # --- the first checks and the status ------------------------------------------------
    def start(self) -> None:
        """The first status probe (with recovery of a killed switch), or the end of detection first."""
        self.refresh_timer.start()
        if self.detecting:
            detection = self.detection
            self.tasks.run(lambda _p: detection.result(), self._target_detected, self._detection_failed)
            return
        self.status_in_flight = True
        self.tasks.gather_status(recover=True)

    def refresh_status(self) -> None:
        if self.tasks.engine_busy or self.detecting:
            return
        self.status_in_flight = True
        self.host.troubleshoot.set_checking(True)
        self.tasks.gather_status()

    def gather_after_change(self) -> None:
        """A switch ended: ask the engine again (the answer may come while the window closes)."""
        self.status_in_flight = True
        self.tasks.gather_status()

    def _periodic_refresh(self) -> None:
        if not self.tasks.engine_busy and not self.detecting and not self.status_in_flight and self.host.isVisible():
            self.refresh_status()

    def learned_running(self, store: Store | None, driver: str | None = None) -> None:
        """A switch (or its failure) said which store the engine runs now."""
        self.live, self.live_driver = store, driver

    def _status_gathered(self, report: StatusReport) -> None:
        host = self.host
        self.status_in_flight = False
        host.troubleshoot.set_checking(False)
        first = not self.ready
        status = self.status = report.status
        self.live = status.live_store if status.engine.reachable else None
        self.live_driver = status.engine.driver if self.live else None
        summary = summarize(status)
        host.show_summary(summary)
        host.general.show_status(status, summary)
        host.troubleshoot.show_report(report, summary)
        if host.kubernetes is not None:
            host.kubernetes.show_channel(status.desktop)
        host.features.engine_changed(status)
        if report.recovered:  # a switch's or a reclaim's (backend.recovery): the sentence names which
            what = "switch" if "interrupted switch" in report.recovered else "reclaim"
            host.show_result("info", f"<b>Recovered an interrupted {what}.</b> {escape(report.recovered)}")
        if report.recovery_error:
            host.show_result("error", "<b>An interrupted switch could not be recovered.</b> "
                                      f"{escape(report.recovery_error)}")
        from backend.settings import take_notices  # (loaded already: the draft read the settings)

        for notice in take_notices():  # a settings migration that failed soft: said once
            host.show_result("error", f"<b>storeswitch's settings could not be updated.</b> {escape(notice)}")
        if not host.draft.dirty and host.draft.file_differs():
            host.draft.load()  # changed on disk (recovery, another storeswitch, an editor)
        self.ready = True
        host.update_bar()
        host.show_store_state()
        host.statusRefreshed.emit(status)
        host.impact.status_changed(status, first)
        if first:
            host.issues.probe_again(first_only=True)
        host.maybe_gather_report()

    def _status_failed(self, message: str) -> None:
        host = self.host
        self.status_in_flight = False
        host.troubleshoot.set_checking(False)
        self.ready = True
        host.show_summary(EngineSummary(theme.BAD, "Engine state unknown", "store unknown"))
        host.show_result("error", f"<b>Could not check the engine.</b> {escape(message)}")
        host.update_bar()

    # --- the target ---------------------------------------------------------------------
    def _target_detected(self, target: Target) -> None:
        self.detecting, self.detection = False, None
        self.host.set_busy(False)
        self.set_target(target)

    def _detection_failed(self, exc: BaseException) -> None:
        """``auto`` could not finish (a bug, or a damaged file): stay on the stand-in, the managed engine."""
        self.detecting, self.detection = False, None
        self.host.set_busy(False)
        self.target.reason = f"auto: the engines on this machine could not be checked ({exc}); the managed engine"
        self.set_target(self.target, force=True)

    def choose_target(self, name: str) -> None:
        """The General tab's choice: save it, build that target off the GUI thread, then rebuild on it."""
        choice = self.host.general.target_choice
        if self.tasks.engine_busy or self.host.draft.dirty:
            choice.set_current(choice.choice)
            return
        choice.set_changing(name)
        self.tasks.choose_target(name)
        self._chosen_name = name

    def _target_chosen(self, target: Target) -> None:
        choice = self.host.general.target_choice
        choice.set_current(self._chosen_name or target.name)
        choice.set_changing(None)
        self.set_target(target)
        self.host.show_result("success", f"<b>storeswitch now manages the {escape(target.name)} target.</b> "
                                         f"{escape(target.reason)}")
        self.tasks.list_targets()

    def _target_choice_failed(self, message: str) -> None:
        choice = self.host.general.target_choice
        choice.set_changing(None)
        choice.set_current(choice.choice)
        choice.set_target(self.target)
        self.host.show_result("error", f"<b>The target was not changed.</b> {escape(message)}")

    def set_target(self, target: Target, force: bool = False) -> None:
        """Work on *target* from now on: its file in the draft, its engine in every check.

        Everything learned about the old target is dropped (stale answers too), and the first
        checks run again as at start, recovery included.
        """
        host = self.host
        if target is self.target and not force and self.ready:
            return
        self.target = target
        self.tasks.set_target(target)
        host.features.set_target(target)
        host.diagnostics.forget()
        host.general.set_target(target)
        host.docker_engine.set_config_path(target.config_path)
        host.draft.kubernetes_source = kubernetes_setting(target, host.profile.settings_path)
        host.draft.retarget(target.config_path, target.read_config, target.saves_without_restart)
        self.status, self.live, self.live_driver = None, None, None
        host.impact.forget(reading=True)
        host.issues.forget_facts()
        self.ready = False
        host.show_summary(CHECKING)
        self.status_in_flight = True
        self.tasks.gather_status(recover=True)
        host.draft_changed()

    # --- starting and restarting the engine ---------------------------------------------
    def start_engine(self) -> None:
        self.host.general.set_starting(True)
        self.tasks.start_engine()

    def _engine_started(self) -> None:
        self.host.general.set_starting(False)
        self.host.show_result("success", "<b>The engine started.</b>")
        self.refresh_status()

    def _engine_start_failed(self, message: str) -> None:
        self.host.general.set_starting(False)
        self.host.show_result("error", f"<b>The engine did not start.</b> {escape(message)}")
        self.refresh_status()

    def restart_engine(self) -> None:
        """Troubleshoot's Restart: confirm (a pending config takes effect, containers stop), then off-thread."""
        from gui import confirm

        host = self.host
        if self.tasks.engine_busy or self.detecting:
            return
        consequences = ["The engine stops for a few seconds; running containers stop with it."]
        status = self.status
        if status is not None and status.pending_restart and status.configured_store is not None:
            consequences.append(
                f"{self.target.config_path.name} asks for the {status.configured_store.title}: the engine comes back on it, "
                "without the checks and the rollback of a switch (Restart to apply, on General, switches safely).")
        question = confirm.Confirmation("Restart the engine?", "storeswitch will stop and start the engine.",
                                        consequences, accept_label="Restart engine")
        if not confirm.ask(host, question):
            host.troubleshoot.restart.show_result("info", "Not restarted: you cancelled.")
            return
        self.tasks.restart_engine()
        host.troubleshoot.restart.set_running("Stopping the engine…", "Restarting…")
        host.set_busy(True)

    def _engine_restarted(self, phrase: str) -> None:
        host = self.host
        host.set_busy(False)
        host.troubleshoot.restart.finish("ok", "The engine restarted.", f"It runs the {phrase}.", "Restart engine")
        host.impact.forget()
        host.diagnostics.mark_stale()
        self._after_restart()

    def _engine_restart_failed(self, message: str) -> None:
        host = self.host
        host.set_busy(False)
        host.troubleshoot.restart.finish("error", "The engine did not restart.", message[:1].upper() + message[1:], "Restart engine")
        host.diagnostics.mark_stale()
        self._after_restart()

    def _after_restart(self) -> None:
        if self.host.close_pending:
            self.host.close()
            return
        self.refresh_status()

    def running_phrase(self) -> str:
        """The store the engine runs, for a sentence ("classic store", "unknown")."""
        return store_name(self.live)
