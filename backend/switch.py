"""The switch: a journaled transaction from one image store to the other.

Steps (each recorded in the journal before the next starts)::

    planned -> config-written -> engine-stopped -> engine-started -> verified -> (journal cleared)

If the engine refuses the new config or comes up on the wrong store, :meth:`SwitchTransaction.run`
rolls back: the original daemon.json bytes are restored, the engine restarted on the old store,
and :class:`SwitchError` raised quoting the engine's own reason. A lock (filelock) makes a second
concurrent switch fail at once. Recovery after a crash lives in :mod:`backend.recovery`.

Every write of a target's config goes through :class:`SwitchTransaction`: a switch, ``--no-restart``
and the window's save of a change that needs no restart (its no-restart mode) alike, so each
takes the lock and leaves a journal and a history entry. The GUI and the CLI decide *whether* to
switch (the gate, :mod:`backend.gate`; the policy) and show the outcome; the steps are here, and so
is the engine restart under the lock (:func:`backend.lock.restart_engine`).

Faults a user can cause end in a message, the user's file as it was and the engine on a known
store: a file-system error (full disk, read-only directory) before the engine is stopped leaves
nothing changed and the journal gone; :meth:`SwitchTransaction.interrupt` (the CLI's SIGINT /
SIGTERM) rolls back a switch that has not stopped the engine yet and lets one that has finish;
daemon.json edits the running engine never started with need ``force``
(:mod:`backend.started_config`).
"""

from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from backend.daemon_config import write_config
from backend.errors import (
    EngineError,
    EngineNotInstalled,
    NeedsForce,
    SwitchError,
    SwitchInterrupted,
)
from backend.fs_errors import FileError, file_error
from backend.journal import HistoryEntry, JournalEntry, Step, SwitchHistory, SwitchJournal, encode
from backend.lock import acquire, switch_lock
from backend.overlap import beside
from backend.profile import Profile
from backend.stores import Store, running_store
from backend.targets.base import Target

if TYPE_CHECKING:
    from filelock import FileLock

    from backend.bring import BringRequest

Progress = Callable[[str, str], None]  # (step id, sentence for people)


def _no_progress(step: str, message: str) -> None:
    pass


@dataclass
class SwitchResult:
    from_store: Store
    to_store: Store
    outcome: str  # "switched", "unchanged", "saved"
    message: str
    live_store: Store | None = None
    driver: str | None = None
    steps: list[str] = field(default_factory=list)
    brought: list = field(default_factory=list)  # backend.bring.BroughtImage: the images brought along
    bring_problem: str = ""  # why some were not brought ('' when all were, or none was asked for)

    def as_dict(self) -> dict:
        return {
            "from_store": self.from_store.value,
            "to_store": self.to_store.value,
            "outcome": self.outcome,
            "message": self.message,
            "live_store": self.live_store.value if self.live_store else None,
            "driver": self.driver,
            "steps": self.steps,
            "brought": [b.as_dict() for b in self.brought],
        }


class SwitchTransaction:
    def __init__(self, target: Target, profile: Profile) -> None:
        self.target = target
        self.profile = profile
        self.journal = SwitchJournal(profile.journal_path)
        self.history = SwitchHistory(profile.history_path)
        self._prepared: tuple[bytes, Future] | None = None
        self._held: FileLock | None = None  # the lock check_not_busy(hold=True) kept for run()
        self._interrupted = threading.Event()
        self.step = "not started"  # the last step begun, for a second Ctrl-C's "what state are we in"

    def interrupt(self) -> None:
        """Ask the switch to end as soon as it safely can (the CLI's SIGINT / SIGTERM handler).

        Before the engine is stopped, the switch rolls back (the file's original bytes, the engine
        untouched) and raises :class:`SwitchInterrupted`; once it is stopped, finishing is the
        quickest way to a known store, so the switch goes on and the caller reports the
        interruption afterwards. Safe to call from a signal handler.
        """
        self._interrupted.set()

    @property
    def interrupted(self) -> bool:
        return self._interrupted.is_set()

    def prepare(self, to: Store, snapshotter: str | None = None, content: bytes | None = None) -> None:
        """Give :meth:`run` a head start: ask the engine about the new config in the background.

        The CLI calls this before its known-issues preflight, so that the engine's check of the
        new config (``dockerd --validate``, a subprocess) runs while the preflight does instead of
        after it. :meth:`run` collects the answer when the bytes it is about to write are the
        same, and asks again when they are not (the file changed in between). An engine too old
        to have ``--validate`` refuses the flag; run() then finds its version and goes on with a
        note. Nothing is written or stopped here; preparing and then not running is harmless.
        """
        try:
            config = self.target.read_config()
            new_bytes = config.with_store(Store(to), snapshotter) if content is None else content
            if new_bytes == config.raw or not self.target.installed()[0]:
                return
        except Exception:  # noqa: BLE001 - only a head start: run() meets and reports the same error
            return
        self._prepared = (new_bytes, _in_thread(lambda: self.target.validate(new_bytes), "storeswitch-validate"))

    def check_not_busy(self, hold: bool = False) -> None:
        """Raise :class:`SwitchInProgress` now if another switch holds the lock (run() checks again).

        With *hold*, the lock is kept until :meth:`run` ends (or :meth:`release`): what the caller
        reads of the engine meanwhile (the CLI's known-issue check reads the live store) is then as
        current as run()'s own reading would be, and run() takes it as *running*.
        """
        lock = switch_lock(self.profile)
        acquire(lock)
        if hold:
            self._held = lock
        else:
            lock.release()

    def release(self) -> None:
        """Let go of a lock kept by ``check_not_busy(hold=True)``; nothing if run() has ended."""
        held, self._held = self._held, None
        if held is not None:
            held.release()

    def _validate(self, new_bytes: bytes) -> None:
        prepared, self._prepared = self._prepared, None
        if prepared is not None and prepared[0] == new_bytes:
            prepared[1].result()  # raises the engine's refusal, as validate() would
            return
        self.target.validate(new_bytes)

    def run(
        self,
        to: Store,
        restart: bool = True,
        progress: Progress = _no_progress,
        snapshotter: str | None = None,
        content: bytes | None = None,
        running: Store | None = None,
        force: bool = False,
        no_restart_reason: str | None = None,
        bring: BringRequest | None = None,
    ) -> SwitchResult:
        """Switch to *to*; with *content*, write exactly those bytes as the new config.

        ``restart=False`` is the no-restart mode (``--no-restart``; the window's save of a change the
        engine does not need a restart for, worded by *no_restart_reason*): the same lock, journal
        and history, the file written, the engine left alone. A target that cannot write without a
        restart refuses it (the system engine through its helper).

        *force*: go on even when daemon.json holds edits the running engine never started with
        (else :class:`NeedsForce`).

        *content* is for a caller that edited the whole file (the GUI's daemon.json editor): it
        must ask for *to* (the verify step checks the engine then runs it) and goes through the
        same validate / journal / restart / verify / rollback path. Without it, only the store
        key (and ``storage-driver`` for *snapshotter*) changes. *running*: the store the engine
        runs, as the caller read it under the lock it holds (``check_not_busy(hold=True)``); it
        spares a round trip. It is ignored without that lock, and None means: ask the engine.
        *bring*: images of the store left to copy into the new one (:mod:`backend.bring`).
        """
        lock, self._held = self._held, None
        if lock is None:
            running = None
            lock = switch_lock(self.profile)
            acquire(lock)
        try:
            return self._run(Store(to), restart, progress, snapshotter, content, running, force, no_restart_reason, bring)
        finally:
            lock.release()

    # --- the steps ----------------------------------------------------------------------
    def _run(
        self, to: Store, restart: bool, progress: Progress, snapshotter: str | None, content: bytes | None = None,
        running: Store | None = None, force: bool = False, no_restart_reason: str | None = None,
        bring: BringRequest | None = None,
    ) -> SwitchResult:
        steps: list[str] = []

        def say(step: str, message: str) -> None:
            steps.append(step)
            self.step = step
            progress(step, message)

        say("plan", "Reading the engine configuration…")
        config = self.target.read_config()
        installed, install_msg = self.target.installed()
        restart, why_no_restart = restart_plan(self.target, restart)
        running_store = (running if running is not None else self._live_store()) if installed else None
        from_store = running_store or config.store
        new_bytes = config.with_store(to, snapshotter) if content is None else content
        if new_bytes == config.raw and (running_store is to or not restart or not installed):
            state = "running" if running_store is to else "configured; it takes effect at the next engine start"
            message = f"already on the {to.title} ({state})"
            return SwitchResult(from_store, to, "unchanged", message, running_store, None, steps)

        from backend.engine.version import old_engine_reason, validate_skip_note

        if restart and installed:
            say("validate", f"Asking the engine whether it accepts the {to.title} config…")
            skip = None
            try:
                self._validate(new_bytes)
            except EngineError as exc:
                # An engine before 23 refuses the flag, not the config: only a refusal asks the binary's
                # version (``dockerd --version``, a subprocess every switch paid before: docs/performance.md).
                skip = validate_skip_note(self.target)
                if not skip:
                    message = f"switch to the {to.title} refused: {exc}. Nothing was changed: {config.path} is as it was"
                    message += f" and the engine is still on the {running_store.title}." if running_store else "."
                    self._record(from_store, to, "refused", message)
                    raise SwitchError(message) from exc
                say("validate-skipped", f"Note: {skip}.")
            if running_store is not None and not force and not skip:
                self._refuse_unstarted_edits(config, new_bytes, to, running_store)
        if self.interrupted:
            raise SwitchInterrupted(f"interrupted before the switch to the {to.title} began: nothing was changed")

        switch_id = uuid.uuid4().hex
        bringer = None
        if bring is not None and bring.wanted:  # refused here (nothing changed) when they cannot be brought
            from backend.bring import Bringer

            bringer = Bringer.prepare(self, bring, from_store, to, running_store, restart and installed, switch_id)
        entry = JournalEntry(
            switch_id=switch_id,
            from_store=from_store.value,
            to_store=to.value,
            target=self.target.name,
            config_path=str(self.target.config_path),
            original_config_b64=encode(config.raw),
            new_config_b64=encode(new_bytes),
            engine_was_running=running_store is not None,
            restart=restart and installed,
            started_at=time.time(),
            snapshotter=snapshotter,
            bring=bringer.record() if bringer else None,
        )
        engine_state = f"the engine is still on the {running_store.title}" if running_store else "the engine was not started"
        try:
            self.journal.begin(entry)
        except OSError as exc:
            raise file_error(exc, self.journal.path, "writing the switch journal",
                             f"nothing was changed: {config.path} is as it was and {engine_state}") from exc
        if bringer is not None:  # before the engine stops, from the store it runs; clears the journal if it fails
            bringer.export(entry, say, progress)
        say("save", f"Saving the {to.title} in {config.path}…")
        try:
            config.write(new_bytes)
        except (OSError, FileError) as exc:
            self.journal.clear()  # an atomic write that failed replaced nothing: there is nothing to recover
            if bringer is not None:
                bringer.discard()
            error = exc if isinstance(exc, FileError) else file_error(exc, config.path, "writing the engine's config")
            message = f"{error}. Nothing was changed: {config.path} is as it was and {engine_state}"
            self._record(from_store, to, "refused", message)
            raise FileError(message, error.path) from exc
        try:
            self.journal.advance(entry, Step.CONFIG_WRITTEN)
        except OSError as exc:
            restored = rollback(self.target, entry, self.profile)
            self.journal.clear()
            if bringer is not None:
                bringer.discard()
            raise file_error(exc, self.journal.path, "writing the switch journal", restored) from exc

        if not restart or not installed:
            self.journal.clear()
            why = no_restart_reason or (why_no_restart if installed else install_msg)
            if config.store is to and no_restart_reason:  # the same store: nothing waits for a restart
                message = f"saved {config.path} ({why})"
            else:
                message = f"saved: the {to.title} takes effect when the engine restarts ({why})"
            self._record(from_store, to, "saved", message)
            return SwitchResult(from_store, to, "saved", message, running_store, None, steps)

        try:
            if self.interrupted:  # the engine still runs the old store: undoing is quickest
                raise SwitchInterrupted("interrupted")
            say("stop", "Stopping the engine…")
            self.target.stop()
            say("start", f"Starting the engine on the {to.title}…")
            # Each record is written while the engine works (backend/overlap.py says why that is safe);
            # so is the verify step loaded (tarfile, secrets: nothing before the stop needs them).
            beside(lambda: (self._advance(entry, Step.ENGINE_STOPPED), _load_verify()), self.target.start)
            record_start(self.target, self.profile, new_bytes)
            say("verify", f"Checking that the engine runs the {to.title}…")
            from backend.verify import verify_store

            with self.target.client() as client:
                info = beside(lambda: self._advance(entry, Step.ENGINE_STARTED),
                              lambda: verify_store(client, to, snapshotter))
            self._advance(entry, Step.VERIFIED)
        except (EngineError, FileError, SwitchInterrupted) as exc:
            interrupted = isinstance(exc, SwitchInterrupted)
            old_engine = None if interrupted else old_engine_reason(self.target, to)
            reason = f"{old_engine} ({exc})" if old_engine else str(exc)
            say("rollback", f"{'Interrupted' if interrupted else f'The engine refused the {to.title}'}; "
                            f"restoring the {from_store.title}…")
            restored = rollback(self.target, entry, self.profile)
            self.journal.clear()
            if bringer is not None:
                restored += " " + bringer.discard()
            if interrupted:
                message = f"interrupted: the switch to the {to.title} was rolled back before the engine was stopped. {restored}"
                self._record(from_store, to, "rolled-back", message)
                raise SwitchInterrupted(message) from exc
            message = f"switch to the {to.title} refused: {reason}. {restored}"
            self._record(from_store, to, "rolled-back", message)
            raise SwitchError(message) from exc
        problem = bringer.finish(entry, say, progress) if bringer is not None else ""
        self.journal.clear()
        if from_store is to:
            message = f"restarted the engine on the {to.title} with the new {config.path.name}"
        else:
            message = f"switched from the {from_store.title} to the {to.title}"
        if bringer is not None:
            ok = [b.name for b in bringer.images if b.verified]
            message += f"; brought {', '.join(ok)} along (verified)" if ok else ""
            message += f"; {problem}" if problem else ""
        self._record(from_store, to, "switched", message)
        say("done", message[0].upper() + message[1:] + ".")
        return SwitchResult(from_store, to, "switched", message, to, info.get("Driver"), steps,
                            bringer.images if bringer else [], problem)

    def _advance(self, entry: JournalEntry, step: Step) -> None:
        try:
            self.journal.advance(entry, step)
        except OSError as exc:  # rolled back by the caller, which says so
            raise file_error(exc, self.journal.path, "writing the switch journal") from exc

    def _refuse_unstarted_edits(self, config, new_bytes: bytes, to: Store, running: Store) -> None:
        """Refuse (:class:`NeedsForce`) when daemon.json holds edits the running engine never started
        with and this switch would carry over (the GUI's own edits of the moment do not count)."""
        from backend.daemon_config import DaemonConfig, parse
        from backend.started_config import started_after_last_edit, unstarted_changes

        if not isinstance(config, DaemonConfig) or started_after_last_edit(self.target.host, config.path):
            return
        changes = unstarted_changes(self.profile, config.path, config.data, parse(new_bytes, str(config.path)))
        if not changes:
            return
        message = (
            f"switch to the {to.title} refused: {config.path} holds changes beyond the image-store setting "
            f"that the running engine has never started with ({', '.join(changes)}). A switch restarts the engine, "
            "which applies them too, and if the engine refuses them it stays down. Nothing was changed: the engine "
            f"is still on the {running.title}. Check those changes (restart the engine once to try them), "
            "or switch anyway (--force)."
        )
        self._record(running, to, "refused", message)
        raise NeedsForce(message)

    def _live_store(self) -> Store | None:
        return running_store(self.target)

    def _record(self, from_store: Store, to: Store, outcome: str, message: str) -> None:
        self.history.note(HistoryEntry(time.time(), from_store.value, to.value, outcome, message, self.target.name))


def _load_verify() -> None:
    import backend.verify  # noqa: F401 - loaded while the engine starts, used once it answers


def _in_thread(work: Callable[[], object], name: str) -> Future:
    """Start *work* in a thread of its own; its result or its error, in the Future (prepare()'s head start)."""
    future: Future = Future()

    def run() -> None:
        try:
            future.set_result(work())
        except BaseException as exc:  # noqa: BLE001 - handed to run(), which raises it
            future.set_exception(exc)

    threading.Thread(target=run, name=name).start()
    return future


def record_start(target: Target, profile: Profile | None, content: bytes | None) -> None:
    """Note what the engine just started with (:mod:`backend.started_config`), unless the target does."""
    if profile is None or getattr(target, "records_start", False):
        return
    from backend.started_config import record_start as record

    record(profile, target.config_path, content)


def rollback(target: Target, entry: JournalEntry, profile: Profile | None = None) -> str:
    """Restore the original config byte for byte and bring the engine back on the old store.

    Returns a sentence saying what state the engine is in now, for the user. A file that already
    holds the original bytes is not written (a full disk must not stop a recovery that has
    nothing to write). *profile*: where to note what a restarted engine started with.
    """
    config_path = target.config_path
    restore_config(target, entry.original_config)
    old = Store(entry.from_store)
    # Only an engine never stopped still runs the original config: once restarted it may run
    # the new one on the same store (a snapshotter change), so it is restarted on the old bytes.
    untouched = entry.last_step.index < Step.ENGINE_STOPPED.index
    if entry.engine_was_running and untouched and engine_runs(target, old):
        return f"{config_path} was restored; the engine is running on the {old.title}."
    if not entry.engine_was_running:
        target.stop()
        return f"{config_path} was restored; the engine was not running before and is stopped."
    from backend.verify import verify_store

    try:
        target.stop()
        target.start()
        record_start(target, profile, entry.original_config)
        with target.client() as client:
            verify_store(client, old, probe=False)
    except (EngineError, EngineNotInstalled) as exc:
        return f"{config_path} was restored, but the engine did not come back on the {old.title}: {exc}"
    return f"{config_path} was restored and the engine is back on the {old.title}."


def restart_plan(target: Target, restart: bool) -> tuple[bool, str]:
    """Whether the switch restarts the engine, and why not; a target with ``restart_plan`` decides.

    Docker Desktop without its CLI cannot be restarted from here (the switch is saved, restart
    pending); the system engine through the privileged helper cannot be saved without a restart
    (it raises). Other targets restart unless ``--no-restart`` was given.
    """
    plan = getattr(target, "restart_plan", None)
    return plan(restart) if plan is not None else (restart, "--no-restart was given")


def restore_config(target: Target, original: bytes | None) -> None:
    """Put the original config bytes back (None: there was no file); a target may do it its way."""
    restore = getattr(target, "restore_config", None)
    if restore is not None:
        restore(original)
    else:
        write_config(target.config_path, original)  # nothing written when it already holds them


def engine_runs(target: Target, store: Store) -> bool:
    """True when the target's engine answers and runs *store*."""
    return running_store(target) is store
