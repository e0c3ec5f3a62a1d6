"""The reclaim journal, and the recovery of a reclaim that was killed.

A reclaim (:mod:`backend.reclaim`) restarts the engine on the hidden store, removes images there
and restarts it on the store that was live. It keeps its own journal, ``reclaim-journal.json`` in
the profile's state directory (the switch journal's format is the switch's alone), written
atomically before each step and removed at the end. Steps, in order::

    planned -> config-written -> hidden-started -> removed -> config-restored -> restored -> verified

:func:`recover_reclaim` runs first in every command (from :func:`backend.recovery.recover`): a
journal left behind means a reclaim died, and whatever step it reached, the engine ends on the
store that was live with its daemon.json byte-identical to before: the original bytes are written
back (only when the file does not hold them already) and the engine restarted on them, through
the switch's own :func:`backend.switch.rollback`. The images removed before the crash stay removed
(the user asked for that); the rest stay.

Fault injection (tests only): ``STORESWITCH_FAULT_KILL_AFTER=reclaim-<step>`` SIGKILLs the
process right after that step is recorded, or with ``reclaim-image-removed`` right after the first
image is removed (:func:`backend.journal.fault_point`).
"""

from __future__ import annotations

import base64
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from backend.atomic import write_json_atomic
from backend.journal import HistoryEntry, JournalDamaged, JournalEntry, Step, SwitchHistory, fault_point, read_journal_object
from backend.profile import Profile
from backend.stores import Store

RECLAIM_JOURNAL_SCHEMA = 1  # bump for a renamed or removed field; an added field needs no bump
STEPS = ("planned", "config-written", "hidden-started", "removed", "config-restored", "restored", "verified")


def reclaim_journal_path(profile: Profile) -> Path:
    return profile.reclaim_journal_path


@dataclass
class ReclaimEntry:
    reclaim_id: str
    target: str
    config_path: str
    live_store: str
    hidden_store: str
    original_config_b64: str | None  # None: there was no config file
    hidden_config_b64: str
    images: list[str]  # the image IDs to remove
    containers: list[str]  # the container IDs to remove first
    started_at: float
    bytes_before: int | None = None
    removed: list[str] = field(default_factory=list)
    step: str = "planned"
    schema_version: int = RECLAIM_JOURNAL_SCHEMA

    @property
    def original_config(self) -> bytes | None:
        return None if self.original_config_b64 is None else base64.b64decode(self.original_config_b64, validate=True)

    def reached(self, step: str) -> bool:
        return STEPS.index(self.step) >= STEPS.index(step)

    def as_switch_entry(self) -> JournalEntry:
        """This reclaim seen as a switch to the hidden store, for :func:`backend.switch.rollback`.

        Before the engine was stopped it still runs the original config (rollback then only puts
        the file back); from then on it is restarted on the original bytes.
        """
        step = Step.CONFIG_WRITTEN if self.step in ("planned", "config-written") else Step.ENGINE_STARTED
        return JournalEntry(
            switch_id=self.reclaim_id, from_store=self.live_store, to_store=self.hidden_store, target=self.target,
            config_path=self.config_path, original_config_b64=self.original_config_b64,
            new_config_b64=self.hidden_config_b64, engine_was_running=True, restart=True,
            started_at=self.started_at, step=step.value,
        )


class ReclaimJournal:
    def __init__(self, profile: Profile) -> None:
        self.path = reclaim_journal_path(profile)

    def read(self) -> ReclaimEntry | None:
        data = read_journal_object(self.path, RECLAIM_JOURNAL_SCHEMA, self._damaged)
        if data is None:
            return None
        known = set(ReclaimEntry.__dataclass_fields__)
        try:
            entry = ReclaimEntry(**{k: v for k, v in data.items() if k in known})
            _ = (entry.original_config, STEPS.index(entry.step), Store(entry.live_store), Store(entry.hidden_store))
        except (TypeError, ValueError) as exc:
            raise self._damaged(f"a field is missing or wrong: {exc}") from exc
        return entry

    def _damaged(self, why: str) -> JournalDamaged:
        return JournalDamaged(
            f"{self.path}: the reclaim journal cannot be read ({why}); it was left in place. Check the engine's "
            "daemon.json (it must ask for the store that was live before the reclaim) and the engine, then delete it."
        )

    def write(self, entry: ReclaimEntry, step: str | None = None) -> None:
        """Record *entry* (at *step*; without one, the images removed so far)."""
        if step is not None:
            entry.step = step
        write_json_atomic(self.path, asdict(entry))
        if step is not None or entry.step == "planned":
            fault_point(f"reclaim-{entry.step}")

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def recover_reclaim(target, profile: Profile) -> str | None:
    """End a killed reclaim on the store that was live; a sentence saying what was done, or None."""
    journal = ReclaimJournal(profile)
    if not journal.path.exists():
        return None
    from backend.lock import held_unless_busy
    from backend.recovery import config_holds
    from backend.switch import engine_runs, rollback
    from backend.verify import remove_probe_images

    with held_unless_busy(profile) as held:
        if not held:
            return None  # a live reclaim owns the journal
        entry = journal.read()
        if entry is None:
            return None
        if entry.target != target.name:
            from backend.targets.detect import build_target

            target = build_target(entry.target, profile, None, f"recovering an interrupted reclaim of the {entry.target} target")
        live = Store(entry.live_store)
        removed = f"{len(entry.removed)} of {len(entry.images)} image(s) had been removed"
        if entry.reached("restored") and engine_runs(target, live) and config_holds(target, entry.original_config):
            message = f"finished an interrupted reclaim of the {Store(entry.hidden_store).title} ({removed}; the engine is on the {live.title})"
        else:
            state = rollback(target, entry.as_switch_entry(), profile)
            message = (f"ended an interrupted reclaim of the {Store(entry.hidden_store).title} (it had reached "
                       f"'{entry.step}'; {removed}): {state}")
        remove_probe_images(target)
        journal.clear()
        SwitchHistory(profile.history_path).note(
            HistoryEntry(time.time(), entry.live_store, entry.live_store, "recovered", message, entry.target))
        return message
