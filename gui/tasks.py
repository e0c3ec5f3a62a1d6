"""Backend calls off the GUI thread, reported by signals named for what happened.

The window never calls the engine, dockerd or a lock on its own thread: a status probe can wait
seconds for a hung socket and a switch takes several. Each call runs on this object's thread pool;
its result comes back as a queued signal (``statusGathered``, ``switchProgressed``,
``switchFinished`` ...) handled on the GUI thread, so the event loop keeps painting meanwhile.

Stale answers are dropped: a status probe that started before a switch must not paint "engine
stopped" over the switch's result, so each status request carries a generation number and only
the newest one is reported.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from typing import TYPE_CHECKING, Any, Callable

from PySide6.QtCore import QObject, QThreadPool, Signal, Slot

from backend.errors import StoreswitchError, SwitchError
from backend.profile import Profile
from backend.settings import Settings
from backend.stores import Store
from backend.targets.base import Target

if TYPE_CHECKING:  # backend.status loads with the first probe, on the pool: first paint needs none of it
    from backend.status import Status
    from gui.task_results import ApplyOutcome, ApplyRequest, StatusReport, StoreImpact


class _Job(QObject):
    """One backend call's way back to the GUI thread.

    Created on the GUI thread, so its slots run there: the worker only emits, and Qt queues the
    signal to this object's thread. (A plain lambda receiver would have no thread to be queued
    to; a bound method of a QObject does.)
    """

    succeeded = Signal(object)
    failed = Signal(object)
    progressed = Signal(str, str)

    def __init__(self, on_ok, on_error, on_progress, on_done, parent: QObject) -> None:
        super().__init__(parent)  # owned by Qt, deleted on the GUI thread (deleteLater), never by a worker
        self._on_ok, self._on_error, self._on_progress, self._on_done = on_ok, on_error, on_progress, on_done
        self.succeeded.connect(self._deliver_result)
        self.failed.connect(self._deliver_error)
        self.progressed.connect(self._deliver_progress)

    @Slot(object)
    def _deliver_result(self, result: Any) -> None:
        self._on_done(self)
        self._on_ok(result)

    @Slot(object)
    def _deliver_error(self, exc: BaseException) -> None:
        self._on_done(self)
        self._on_error(exc)

    @Slot(str, str)
    def _deliver_progress(self, step: str, sentence: str) -> None:
        if self._on_progress is not None:
            self._on_progress(step, sentence)


class BackendTasks(QObject):
    """The window's one door to slow backend work."""

    statusGathered = Signal(object)
    """A status probe finished (a :class:`StatusReport`)."""
    statusFailed = Signal(str)
    """A status probe failed in a way the backend did not turn into a state (a bug, or a damaged file)."""
    impactProgressed = Signal(str, str)
    """Reading the stores reached a stage: (stage id, sentence), at most every :data:`PROGRESS_EVERY` s per stage."""
    impactCounted = Signal(object)
    """Both stores were read (a :class:`StoreImpact`), or could not be (an error string)."""
    knownIssuesLoaded = Signal(object)
    """The known-issue catalog loaded (the catalog object) or could not be (an error string)."""
    factsProbed = Signal(object)
    """This machine's facts for the known issues (a dict), or an error string."""
    switchProgressed = Signal(str, str)
    """A switch reached a step: (step id, sentence for people)."""
    switchFinished = Signal(object)
    """Apply wrote everything it had to (an :class:`ApplyOutcome`)."""
    switchFailed = Signal(object)
    """Apply was refused or failed (an :class:`ApplyFailure`); the old store is what runs."""
    engineStarted = Signal()
    """The managed engine was started from the window."""
    engineStartFailed = Signal(str)
    """Starting the engine failed; the engine's own reason."""
    engineRestartProgressed = Signal(str, str)
    """A restart from the Troubleshoot tab reached a step: (step id, sentence)."""
    engineRestarted = Signal(str)
    """The engine restarted; what it runs now ("containerd store, snapshotter overlayfs")."""
    engineRestartFailed = Signal(str)
    """Restarting the engine failed; the reason, with the engine's words."""
    targetsListed = Signal(object)
    """Every target and whether it can be used here (a list of ``TargetOption``), or an error string."""
    targetChosen = Signal(object)
    """A target was built for the General tab's choice (a ``Target``), saved in the settings."""
    targetChoiceFailed = Signal(str)
    """The chosen target could not be built or saved; why."""

    def __init__(self, target: Target, profile: Profile, parent: QObject | None = None, dockerd: str | None = None) -> None:
        super().__init__(parent)
        self.target = target
        self.profile = profile
        self.dockerd = dockerd
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self._live: set[_Job] = set()
        self._status_generation = 0
        self._impact_generation = 0
        self._target_generation = 0
        self.applying = False
        self.restarting = False
        self.pending = 0

    @property
    def engine_busy(self) -> bool:
        """A switch or a restart is running: nothing else may stop, start or switch the engine."""
        return self.applying or self.restarting

    def set_target(self, target: Target) -> None:
        """Work on *target* from now on; answers about the old one still in flight are dropped."""
        self.target = target
        self._target_generation += 1
        self._status_generation += 1
        self._impact_generation += 1

    def current(self, on_ok: Callable[[Any], None]) -> Callable[[Any], None]:
        """*on_ok*, but only while the target is the one it was asked about (else the answer is dropped)."""
        generation = self._target_generation

        def deliver(result: Any) -> None:
            if generation == self._target_generation:
                on_ok(result)

        return deliver

    # --- plumbing -----------------------------------------------------------------------
    def run(self, fn: Callable[[Callable[[str, str], None]], Any], on_ok, on_error, on_progress=None) -> None:
        """Run ``fn(progress)`` on the pool; ``on_ok(result)`` / ``on_error(exc)`` / ``on_progress(step, sentence)``
        are called on the GUI thread. The door for the pages' own backend calls (diagnostics, checks)."""
        self._submit(fn, on_ok, on_error, on_progress)

    def _submit(self, fn: Callable[[Callable[[str, str], None]], Any], on_ok, on_error, on_progress=None) -> None:
        signals = _Job(on_ok, on_error, on_progress, self._job_done, self)
        self._live.add(signals)
        self.pending += 1

        def run() -> None:
            try:
                result = fn(signals.progressed.emit)
            except BaseException as exc:  # reported on the GUI thread, never lost in a worker
                if not isinstance(exc, StoreswitchError):
                    traceback.print_exc(file=sys.stderr)
                signals.failed.emit(exc)
            else:
                signals.succeeded.emit(result)

        self.pool.start(run)

    def _job_done(self, job: _Job) -> None:
        self._live.discard(job)
        self.pending -= 1
        job.deleteLater()

    def wait(self, msecs: int = 60000) -> bool:
        """Block until every job finished (window close, test teardown)."""
        return self.pool.waitForDone(msecs)

    # --- status -------------------------------------------------------------------------
    def gather_status(self, recover: bool = False) -> None:
        """Probe the engine (after recovering a killed switch when *recover*)."""
        self._status_generation += 1
        generation = self._status_generation
        target, profile, dockerd = self.target, self.profile, self.dockerd

        def job(_progress) -> StatusReport:
            from backend.status import gather_status
            from gui.task_results import StatusReport

            recovered = recovery_error = None
            if recover:
                recovered, recovery_error = _recover(target, profile, dockerd)
            status = gather_status(target, profile, recovered)
            return StatusReport(status, target.log_tail(60), recovered, recovery_error)

        def ok(report: StatusReport) -> None:
            if generation == self._status_generation:
                self.statusGathered.emit(report)

        def bad(exc: BaseException) -> None:
            if generation == self._status_generation:
                self.statusFailed.emit(_describe(exc))

        self._submit(job, ok, bad)

    def count_impact(self, info: dict[str, Any] | None, configured: Store | None) -> None:
        """Read both stores (the hidden one from disk) and measure them: what a switch hides and shows.

        *info* is the engine's ``/info`` when it runs (its store is then listed by the engine),
        None when it does not (both stores are read from disk). Slow on big stores: progress
        comes back through ``impactProgressed``; a newer request makes an older answer stale.
        """
        self._impact_generation += 1
        generation = self._impact_generation
        target = self.target

        def job(progress) -> StoreImpact:
            from backend.inspect import inspect_stores
            from backend.stores import live_store
            from gui.task_results import StoreImpact

            t0 = time.monotonic()
            inventories = inspect_stores(target, info, use_engine=info is not None, sizes=True, progress=throttled(progress))
            current = live_store(info) if info is not None else configured
            return StoreImpact(inventories, current, info is not None, time.monotonic() - t0)

        def ok(impact: StoreImpact) -> None:
            if generation == self._impact_generation:
                self.impactCounted.emit(impact)

        def bad(exc: BaseException) -> None:
            if generation == self._impact_generation:
                self.impactCounted.emit(_describe(exc))

        def progressed(stage: str, sentence: str) -> None:
            if generation == self._impact_generation:
                self.impactProgressed.emit(stage, sentence)

        self._submit(job, ok, bad, on_progress=progressed)

    # --- known issues -------------------------------------------------------------------
    def load_known_issues(self) -> None:
        def job(_progress):
            from backend import known_issues

            return known_issues.load_catalog()

        self._submit(job, self.knownIssuesLoaded.emit, lambda exc: self.knownIssuesLoaded.emit(_describe(exc)))

    def probe_facts(self) -> None:
        target, profile = self.target, self.profile

        def job(_progress) -> dict:
            from backend import known_issues

            try:
                settings = Settings.load(profile.settings_path)
            except StoreswitchError:
                settings = Settings(profile.settings_path, {})
            return dict(known_issues.probe_facts(target, settings))

        self._submit(job, self.current(self.factsProbed.emit), self.current(lambda exc: self.factsProbed.emit(_describe(exc))))

    # --- engine -------------------------------------------------------------------------
    def start_engine(self) -> None:
        """Start the engine under the switch lock, as ``storeswitch engine start`` does (never mid-switch)."""
        target, profile = self.target, self.profile

        def job(_progress) -> None:
            from backend.lock import under_lock

            under_lock(profile, target.start)

        self._submit(job, lambda _r: self.engineStarted.emit(), lambda exc: self.engineStartFailed.emit(_describe(exc)))

    def restart_engine(self) -> None:
        """Stop and start the engine (the Troubleshoot tab), holding the switch lock meanwhile.

        The lock is the one every switch takes, so a restart never runs into the middle of a
        switch by another storeswitch (it is refused at once, like a second switch).
        """
        if self.engine_busy:
            raise RuntimeError("the engine is being switched or restarted already")
        self.restarting = True
        self._status_generation += 1
        target, profile = self.target, self.profile

        def job(progress) -> str:
            from backend.lock import restart_engine

            return restart_engine(target, profile, progress)

        def ok(phrase: str) -> None:
            self.restarting = False
            self.engineRestarted.emit(phrase)

        def bad(exc: BaseException) -> None:
            self.restarting = False
            self.engineRestartFailed.emit(_describe(exc))

        self._submit(job, ok, bad, on_progress=self.engineRestartProgressed.emit)

    # --- targets ------------------------------------------------------------------------
    def list_targets(self) -> None:
        """Every target and whether it can be used here (pings sockets: never on the GUI thread)."""
        profile, dockerd = self.profile, self.dockerd

        def job(_progress):
            from backend.targets.detect import available_targets

            return available_targets(profile, dockerd)

        self._submit(job, self.targetsListed.emit, lambda exc: self.targetsListed.emit(_describe(exc)))

    def choose_target(self, name: str) -> None:
        """Save *name* as storeswitch's target (``Settings.set("target", name)``) and build it."""
        profile, dockerd = self.profile, self.dockerd

        def job(_progress) -> Target:
            from backend.targets.detect import build_target, detect

            settings = Settings.load(profile.settings_path)
            settings.set("target", name)
            settings.save()
            if name == "auto":
                return detect(profile, dockerd)
            return build_target(name, profile, dockerd, "chosen in the General tab (saved in storeswitch's settings)")

        self._submit(job, self.targetChosen.emit, lambda exc: self.targetChoiceFailed.emit(_describe(exc)))

    # --- apply --------------------------------------------------------------------------
    def apply(self, request: ApplyRequest) -> None:
        """Save the Kubernetes setting and/or run the journaled switch with the draft's daemon.json."""
        if self.applying:
            raise RuntimeError("an Apply is already running")
        self.applying = True
        self._status_generation += 1  # any status probe in flight is now stale
        target, profile = self.target, self.profile

        def job(progress) -> ApplyOutcome:
            from gui.task_results import ApplyOutcome

            outcome = ApplyOutcome(message="")
            messages = []
            if request.store is not None and (request.content is not None or request.restart):
                from backend.policy import load_policy
                from backend.switch import SwitchTransaction

                load_policy().enforce(request.store, request.snapshotter)  # the policy may have changed since it was shown

                if request.restart:
                    self.switch_tx = tx = SwitchTransaction(target, profile)  # cancel_apply() interrupts it
                    result = tx.run(
                        request.store, restart=True, progress=progress, content=request.content,
                        snapshotter=request.snapshotter, force=request.force, bring=request.bring,
                    )
                    outcome.switch = result
                    outcome.steps = result.steps
                    messages.insert(0, result.message[0].upper() + result.message[1:] + ".")
                else:  # the no-restart mode: lock, journal and history as for any write of the config
                    result = SwitchTransaction(target, profile).run(
                        request.store, restart=False, progress=progress, content=request.content,
                        no_restart_reason="formatting only; no restart needed",
                    )
                    outcome.switch = result
                    messages.insert(0, result.message[0].upper() + result.message[1:] + ".")
            if getattr(target, "last_channel", None) and request.content is not None:
                messages.append(f"The setting went to {target.last_channel}.")
            if request.kubernetes is not None:
                # After the switch: on Docker Desktop both live in one file, and the switch writes
                # the draft's whole text; the Kubernetes key is then changed in what it wrote.
                from backend.kubernetes_setting import kubernetes_setting

                saved = kubernetes_setting(target, profile.settings_path, profile).save(request.kubernetes)
                outcome.settings_saved = True
                messages.append(saved.message)
            outcome.message = " ".join(messages) or "Nothing to apply."
            return outcome

        def ok(outcome: ApplyOutcome) -> None:
            self.applying = False
            self.switchFinished.emit(outcome)

        def bad(exc: BaseException) -> None:
            self.applying = False
            self._after_failure(exc, request)

        self._submit(job, ok, bad, on_progress=self.switchProgressed.emit)

    def cancel_apply(self) -> None:
        """End the running switch safely (as Ctrl-C does in the CLI): rolled back before the engine
        stops, finished after; a bring's import is undone (backend/bring.py)."""
        tx = getattr(self, "switch_tx", None)
        if self.applying and tx is not None:
            tx.interrupt()

    def _after_failure(self, exc: BaseException, request: ApplyRequest) -> None:
        """Ask the engine which store it runs now (off-thread), then report the failure."""
        from backend.errors import NeedsForce, SwitchInProgress
        from gui.task_results import ApplyFailure

        target = self.target
        message = _describe(exc)
        busy = isinstance(exc, SwitchInProgress)

        def job(_progress) -> Store | None:
            from backend.stores import running_store

            return running_store(target)

        needs_force = isinstance(exc, NeedsForce)
        report = lambda running: self.switchFailed.emit(  # noqa: E731
            ApplyFailure(message, request.store, running, busy, needs_force))
        self._submit(job, report, lambda _exc: report(None))


PROGRESS_EVERY = 0.1  # seconds between two progress reports of the same stage


def throttled(emit: Callable[[str, str], None], every: float = PROGRESS_EVERY) -> Callable[[str, str], None]:
    """*emit*, called at most every *every* seconds per stage (the first of each stage always).

    A walk of a big store reports every few thousand files; the GUI thread needs a few a second.
    Thread-safe: the backend may report from more than one worker.
    """
    last: dict[str, float] = {}
    lock = threading.Lock()

    def progress(stage: str, sentence: str) -> None:
        now = time.monotonic()
        with lock:
            if stage in last and now - last[stage] < every:
                return
            last[stage] = now
        emit(stage, sentence)

    return progress


def _recover(target: Target, profile: Profile, dockerd: str | None) -> tuple[str | None, str | None]:
    """Finish or roll back a killed switch, for the target it was of (as the CLI does).

    Returns (what recovery did, why it could not). A journal left by another target's switch is
    recovered through that target; one whose file moved since cannot be, and says what to do.
    """
    from backend.journal import JournalDamaged
    from backend.recovery import recover_for

    try:
        return recover_for(target, profile, dockerd), None
    except JournalDamaged as exc:  # said on the Troubleshoot tab, the window still works
        return None, f"{exc} The support bundle (Export below) still works."
    except StoreswitchError as exc:  # the journal's target cannot be rebuilt: the message says what to do
        return None, str(exc)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, (StoreswitchError, SwitchError)):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}"
    return f"unexpected error ({type(exc).__name__}: {exc}); this is a bug in storeswitch, please report it"


describe_error = _describe  # for the pages' own jobs (gui.diagnostics_panel, gui.store_features)
