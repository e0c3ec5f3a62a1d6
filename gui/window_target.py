"""The settings window's target: detected at start, chosen in the General tab, and switched to.

A mixin of :class:`gui.window.SettingsWindow`, kept apart because it is one concern: which engine
the whole window works on. :meth:`TargetSwitching.set_target` is the one way to change it: every
page, the draft, the tasks and the checks move to the new target together, what was learned about
the old one is dropped (answers still in flight too: see ``BackendTasks.set_target``), and the
first checks run again, recovery included.
"""

from __future__ import annotations


from backend.kubernetes_setting import kubernetes_setting
from backend.targets.base import Target
from gui.status_text import CHECKING
from gui.widgets import escape


class TargetSwitching:
    def _target_detected(self, target: Target) -> None:
        self.detecting, self.detection = False, None
        self._set_busy(False)
        self.set_target(target)

    def _detection_failed(self, exc: BaseException) -> None:
        """``auto`` could not finish (a bug, or a damaged file): stay on the stand-in, the managed engine."""
        self.detecting, self.detection = False, None
        self._set_busy(False)
        self.target.reason = f"auto: the engines on this machine could not be checked ({exc}); the managed engine"
        self.set_target(self.target, force=True)

    def choose_target(self, name: str) -> None:
        """The General tab's choice: save it, build that target off the GUI thread, then rebuild on it."""
        if self.tasks.engine_busy or self.draft.dirty:
            self.general.target_choice.set_current(self.general.target_choice.choice)
            return
        self.general.target_choice.set_changing(name)
        self.tasks.choose_target(name)
        self._chosen_name = name

    def _target_chosen(self, target: Target) -> None:
        self.general.target_choice.set_current(getattr(self, "_chosen_name", target.name))
        self.general.target_choice.set_changing(None)
        self.set_target(target)
        self._show_result("success", f"<b>storeswitch now manages the {escape(target.name)} target.</b> "
                                     f"{escape(target.reason)}")
        self.tasks.list_targets()

    def _target_choice_failed(self, message: str) -> None:
        tc = self.general.target_choice
        tc.set_changing(None)
        tc.set_current(self.general.target_choice.choice)
        tc.set_target(self.target)
        self._show_result("error", f"<b>The target was not changed.</b> {escape(message)}")

    def set_target(self, target: Target, force: bool = False) -> None:
        """Work on *target* from now on: its file in the draft, its engine in every check.

        Everything learned about the old target is dropped (stale answers too), and the first
        checks run again as at start, recovery included.
        """
        if target is self.target and not force and self.ready:
            return
        self.target = target
        self.tasks.set_target(target)
        self.features.set_target(target)
        self.diagnostics.forget()
        self.general.set_target(target)
        self.docker_engine.set_config_path(target.config_path)
        self.draft.kubernetes_source = kubernetes_setting(target, self.profile.settings_path)
        self.draft.retarget(target.config_path, target.read_config, target.saves_without_restart)
        self.status, self.live, self.live_driver, self._impact = None, None, None, None
        self._impact_in_flight = False
        self.checks.facts, self.checks.facts_probed, self.checks.facts_error = {}, False, None
        self._shown_issues = None
        self.ready = False
        self._show_summary(CHECKING)
        self.experimental.set_impact("Reading both stores…")
        self.experimental.set_impact_progress(None)
        self._status_in_flight = True
        self.tasks.gather_status(recover=True)
        self._draft_changed()
