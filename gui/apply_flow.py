"""Apply, from the button to the result line: the request, the confirmation, the run, the outcome.

Apply turns the draft into an :class:`gui.task_results.ApplyRequest`, asks through
:func:`gui.confirm.ask` when the gate or a restart calls for it (:func:`gui.apply_text.confirmation_for`,
which asks :mod:`backend.gate` as the CLI does), hands it to the tasks (the journaled
``SwitchTransaction`` off the GUI thread), names each step in the apply bar, and shows what came
back. "Restart to apply" (restart pending) is the same run with the file as it is.

A refusal that needs a decision (the CLI's ``--force``) is remembered: the next Apply asks
"switch anyway?" with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from backend.stores import Store
from gui.status_text import phrase_for, store_name
from gui.widgets import escape

if TYPE_CHECKING:
    from gui import confirm
    from gui.task_results import ApplyFailure, ApplyOutcome, ApplyRequest
    from gui.window import SettingsWindow


class ApplyFlow:
    """Apply & restart and Restart to apply, for one window."""

    def __init__(self, host: SettingsWindow) -> None:
        self.host = host
        self.progress_steps: list[tuple[str, str]] = []
        self.force_reason: str | None = None  # the last refusal the user may override
        t = host.tasks
        t.switchProgressed.connect(self._progressed)
        t.switchFinished.connect(self._finished)
        t.switchFailed.connect(self._failed)

    def apply_changes(self) -> None:
        """Apply & restart: confirm through :func:`gui.confirm.ask`, then run it off the GUI thread."""
        from gui import confirm
        from gui.task_results import ApplyRequest

        host = self.host
        if not host.apply.isEnabled():
            return
        d = host.draft
        request = ApplyRequest()
        if d.kubernetes_changed:
            request.kubernetes = d.kubernetes
        if d.daemon_changed:
            request.store, request.content, request.restart = d.store, d.content(), d.needs_restart
            if d.store is Store.CONTAINERD and d.storage_driver:
                request.snapshotter = d.storage_driver
            bring = getattr(host, "bring", None)  # gui.bring_list: images chosen to bring along
            request.bring = bring.request(d.store) if bring is not None and request.restart else None
            if request.bring is not None:
                request.notes.append(bring.note())
            note = d.storage_driver_note()
            if note:
                request.notes.append(note[:1].upper() + note[1:] + ".")
            if self.force_reason:  # the last Apply was refused for a reason the user may override
                request.force = True
                request.notes.append(f"Switching anyway, although: {self.force_reason}")
            elif request.restart and host.issues.unavailable:  # the CLI needs --force here
                request.notes.append(f"The known-issue list is not available ({host.issues.checks.error}), so its "
                                     "blockers are not checked: applying anyway is your decision.")
        confirmation = self.confirmation(request)
        if confirmation is not None and not confirm.ask(host, confirmation):
            host.show_result("info", "Nothing was applied: you cancelled. Your changes are still here.")
            return
        self.run(request)

    def restart_to_apply(self) -> None:
        """"Restart pending": switch the engine to the store its saved config names (the file as it is).

        The same confirmation and journaled switch as Apply & restart (validate, verify, rollback),
        so the engine never comes back on a config it refuses.
        """
        from gui import confirm
        from gui.task_results import ApplyRequest

        host, session = self.host, self.host.session
        status = session.status
        if (host.tasks.engine_busy or session.detecting or host.draft.dirty or status is None
                or not status.pending_restart):
            return
        request = ApplyRequest(store=status.configured_store, restart=True)
        confirmation = self.confirmation(request)
        if confirmation is not None and not confirm.ask(host, confirmation):
            host.show_result("info", f"Not restarted: you cancelled. The engine still runs the {store_name(session.live)}.")
            return
        self.run(request)

    def confirmation(self, request: ApplyRequest) -> confirm.Confirmation | None:
        from gui.apply_text import confirmation_for

        host = self.host
        checks = host.issues.checks
        return confirmation_for(request, host.session.live or host.draft.saved_store, host.impact.impact,
                                checks.evaluations, host.session.target.config_path.name,
                                host.issues.unavailable, checks.facts_probed)

    def run(self, request: ApplyRequest) -> None:
        """Hand a confirmed request to the tasks and show its progress in the bottom bar."""
        self.progress_steps = []
        self.force_reason = None
        self.host.tasks.apply(request)  # marks the tasks as applying at once; results arrive by the event loop
        if request.bring is not None:
            self.host.bring.started()
        self.host.set_busy(True)
        self.host.bar.start_progress()

    def _progressed(self, step: str, sentence: str) -> None:
        self.progress_steps.append((step, sentence))
        self.host.bar.show_step(step, sentence)

    def _finished(self, outcome: ApplyOutcome) -> None:
        host = self.host
        result = outcome.switch
        kind, message = "success", escape(outcome.message)
        if result is not None and result.outcome == "saved":
            kind = "info"
        if result is not None and result.live_store is not None and result.outcome == "switched":
            host.session.learned_running(result.live_store, result.driver)
            host.live_store.setText(phrase_for(result.live_store, result.driver))
            message = f"<b>{message}</b> The engine runs the {phrase_for(result.live_store, result.driver)}."
        host.set_busy(False)
        host.bar.end_progress()
        host.draft.load()  # the snapshot is now what was written; the draft is clean
        host.show_result(kind, message)
        host.impact.forget()
        host.diagnostics.mark_stale()
        host.applyFinished.emit(True, host.result.text())
        self._after()

    def _failed(self, failure: ApplyFailure) -> None:
        from gui.apply_text import failure_headline

        host = self.host
        running = failure.running
        head = failure_headline(failure, host.session.target.config_path.name)
        host.session.learned_running(running)
        if running is not None:
            host.live_store.setText(store_name(running))
        host.set_busy(False)
        host.bar.end_progress()
        host.draft.load(keep_edits=True)  # the file is as before; the user's edits stay to be fixed
        reason = escape(failure.message[:1].upper() + failure.message[1:])
        # A refusal that needs a decision (the CLI's --force): the next Apply asks "switch anyway?" with it.
        self.force_reason = failure.message if failure.needs_force else None
        follow = ("Apply again to be asked whether to switch anyway, or Discard." if failure.needs_force
                  else "Your changes are still here: fix them and apply again, or Discard.")
        host.show_result("error", f"<b>{escape(head)}</b><br>{reason}<br>{follow}")
        host.diagnostics.mark_stale()
        host.applyFinished.emit(False, host.result.text())
        self._after()

    def _after(self) -> None:
        host = self.host
        host.session.gather_after_change()
        host.issues.probe_again()
        if host.close_pending:
            host.close()
