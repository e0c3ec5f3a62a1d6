"""Recovery after a killed switch, run at the start of every storeswitch command.

A journal left behind means a switch died between two steps. Recovery takes the switch lock
(if another process holds it, that switch is alive and the journal is its own: nothing to do),
then either *finishes* the switch, when the engine already runs the new store with the new
config in place, or *rolls it back*: original daemon.json bytes restored, engine restarted on
the old store (or left stopped if it was stopped before). Either way the journal is cleared and
the outcome written to the history, so the user can see what happened. A switch that was bringing
images along (journal schema 2) has them imported from its archive when it is finished, or its
archive removed when it is rolled back (:func:`backend.bring.resume`, :func:`backend.bring.discard`).

A switch killed while it verified the store leaves its probe image (``storeswitch-verify:<hex>``)
in the store it tested; recovery removes every such image from the store the engine runs, before
and after it finishes or rolls back (:func:`backend.verify.remove_probe_images`). A rollback
writes daemon.json only when it does not already hold the original bytes, so a full disk cannot
keep a recovery (and so every command) from running.
"""

from __future__ import annotations

import time

from backend.journal import HistoryEntry, Step, SwitchHistory, SwitchJournal
from backend.profile import Profile
from backend.stores import Store
from backend.lock import held_unless_busy
from backend.switch import engine_runs, rollback
from backend.targets.base import Target
from backend.verify import remove_probe_images


def recover_for(chosen: Target, profile: Profile, dockerd: str | None = None) -> str | None:
    """Recovery as every front end starts it (the CLI before each command, the window at start and
    on a new target): for the target the journal was written for, which may not be *chosen*.

    Raises what :func:`recover` raises (``JournalDamaged``), and ``StoreswitchError`` when the
    journal's target cannot be rebuilt (its file moved since).
    """
    if not profile.interrupted:
        return None
    from backend.targets.detect import target_for_recovery

    return recover(target_for_recovery(chosen, profile, dockerd), profile)


def recover(target: Target, profile: Profile) -> str | None:
    """Finish or roll back a switch (or a reclaim) that died; return a sentence saying what was done, or None."""
    from backend.reclaim_journal import recover_reclaim  # a killed reclaim (its own journal) ends on the live store

    return "; ".join(m for m in (recover_reclaim(target, profile), _recover_switch(target, profile)) if m) or None


def _recover_switch(target: Target, profile: Profile) -> str | None:
    journal = SwitchJournal(profile.journal_path)
    if not profile.journal_path.exists():
        return None
    with held_unless_busy(profile) as held:
        if not held:
            return None  # a live switch owns the journal
        entry = journal.read()
        if entry is None:
            return None
        to = Store(entry.to_store)
        removed = remove_probe_images(target)
        if entry.last_step.index >= Step.ENGINE_STARTED.index and engine_runs(target, to) and config_holds(target, entry.new_config):
            message = f"finished an interrupted switch to the {to.title} (it had reached '{entry.step}')"
            outcome = "recovered"
        elif entry.last_step.index >= Step.CONFIG_WRITTEN.index and not entry.restart and config_holds(target, entry.new_config):
            message = f"finished an interrupted switch to the {to.title} (saved; restart pending)"
            outcome = "recovered"
        else:
            state = rollback(target, entry, profile)
            message = f"rolled back an interrupted switch to the {to.title} (it had reached '{entry.step}'): {state}"
            outcome = "rolled-back"
        if entry.bring:  # images chosen to bring along (backend/bring.py): import them, or say why not
            from backend.bring import discard, resume

            message += "; " + (resume(target, journal, entry) if outcome == "recovered" else discard(entry))
        removed += remove_probe_images(target)
        if removed:
            message += f"; removed the test image{'s' if len(removed) > 1 else ''} it left ({', '.join(removed)})"
        journal.clear()
        SwitchHistory(profile.history_path).note(
            HistoryEntry(time.time(), entry.from_store, entry.to_store, outcome, message, entry.target))
        return message


def config_holds(target: Target, content: bytes | None) -> bool:
    """True when *target*'s config file holds exactly *content* (None: there is no file)."""
    try:
        return target.config_path.read_bytes() == content
    except FileNotFoundError:
        return content is None
    except OSError:
        return False
