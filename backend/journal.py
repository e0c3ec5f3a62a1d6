"""The switch journal and the switch history.

The journal is one small JSON file in the profile's state directory that exists only while a
switch is under way. It records the plan (from, to, the config file, its original bytes) and
the last step completed. Every storeswitch command first looks for it
(:func:`backend.recovery.recover`): a journal left behind means a switch was killed, and the
recovery finishes it or rolls it back before anything else runs.

Fault injection, for the crash-safety tests only: when the environment variable
``STORESWITCH_FAULT_KILL_AFTER`` names a step, the process SIGKILLs itself right after that
step is recorded (or, for ``probe-imported``, while the verify probe's image is in the store; for
``bring-exporting``, with about half of the archive of the images to bring along written; for
``bring-exported``, once that archive is complete and journaled; for
``bring-importing``, with half of that archive sent to the engine: :mod:`backend.bring`).
``STORESWITCH_FAULT_PAUSE_AFTER`` names a step after which the process waits 2 s, so that a test
can signal a switch that is certainly still working (a real restart can take less than the time
a test needs to send its second signal). Unset (always, outside tests) they do nothing.

The history keeps the last switches (when, from, to, outcome, message) for ``status`` and
diagnostics.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import time
from dataclasses import asdict, dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from backend.atomic import write_json_atomic
from backend.errors import ConfigError

# Bump for a renamed or removed field, or one an older storeswitch must not ignore. 2: ``bring``
# (images to import after the restart, backend/bring.py). A journal without it is still written as
# 1, so an older storeswitch recovers a plain switch; one with it says "update storeswitch" there
# instead of finishing the switch and forgetting the import. Both load here.
JOURNAL_SCHEMA = 2
PLAIN_JOURNAL_SCHEMA = 1
HISTORY_SCHEMA = 1
HISTORY_KEEP = 50
FAULT_ENV = "STORESWITCH_FAULT_KILL_AFTER"
PAUSE_ENV = "STORESWITCH_FAULT_PAUSE_AFTER"


class Step(str, Enum):
    """The steps of a switch, in order; the journal records the last one completed."""

    PLANNED = "planned"
    CONFIG_WRITTEN = "config-written"
    ENGINE_STOPPED = "engine-stopped"
    ENGINE_STARTED = "engine-started"
    VERIFIED = "verified"

    @property
    def index(self) -> int:
        return list(Step).index(self)


@dataclass
class JournalEntry:
    switch_id: str
    from_store: str
    to_store: str
    target: str
    config_path: str
    original_config_b64: str | None  # None: there was no config file
    new_config_b64: str
    engine_was_running: bool
    restart: bool
    started_at: float
    step: str = Step.PLANNED.value
    schema_version: int = JOURNAL_SCHEMA
    snapshotter: str | None = None
    bring: dict[str, Any] | None = None  # schema 2: the images brought along (archive, state, images)

    @property
    def original_config(self) -> bytes | None:
        return None if self.original_config_b64 is None else base64.b64decode(self.original_config_b64, validate=True)

    @property
    def new_config(self) -> bytes:
        return base64.b64decode(self.new_config_b64, validate=True)

    @property
    def last_step(self) -> Step:
        return Step(self.step)


def encode(raw: bytes | None) -> str | None:
    return None if raw is None else base64.b64encode(raw).decode("ascii")


class JournalDamaged(ConfigError):
    """The journal exists but cannot be read; it is left in place (``diagnose`` still runs)."""


def read_journal_object(path: Path, newest_schema: int, damaged) -> dict[str, Any] | None:
    """A journal file's JSON object (None when there is none); *damaged(why)* makes the error for a
    file that cannot be read, and one written by a newer storeswitch is refused (the switch and
    the reclaim journal alike)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise damaged(str(exc)) from exc
    if not isinstance(data, dict):
        raise damaged("it does not hold a JSON object")
    version = data.get("schema_version", 0)
    if isinstance(version, int) and version > newest_schema:
        raise JournalDamaged(f"{path}: written by a newer storeswitch; update storeswitch to recover it")
    return data


class SwitchJournal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def read(self) -> JournalEntry | None:
        data = read_journal_object(self.path, JOURNAL_SCHEMA, self._damaged)
        if data is None:
            return None
        known = {f for f in JournalEntry.__dataclass_fields__}
        try:
            entry = JournalEntry(**{k: v for k, v in data.items() if k in known})
            _ = (entry.last_step, entry.original_config, entry.new_config)  # each field decodes
            if entry.bring is not None and not isinstance(entry.bring, dict):
                raise ValueError("bring is not an object")
        except (TypeError, ValueError) as exc:
            raise self._damaged(f"a field is missing or wrong: {exc}") from exc
        return entry

    def _damaged(self, why: str) -> "JournalDamaged":
        return JournalDamaged(
            f"{self.path}: the switch journal cannot be read ({why}); it was left in place. "
            "Check daemon.json and the engine by hand, then delete the journal."
        )

    def begin(self, entry: JournalEntry) -> None:
        entry.schema_version = JOURNAL_SCHEMA if entry.bring else PLAIN_JOURNAL_SCHEMA
        write_json_atomic(self.path, asdict(entry))
        _maybe_fault(Step.PLANNED)

    def save(self, entry: JournalEntry) -> None:
        """Write *entry* as it is (its bring part changed; the step did not)."""
        write_json_atomic(self.path, asdict(entry))

    def advance(self, entry: JournalEntry, step: Step) -> None:
        entry.step = step.value
        write_json_atomic(self.path, asdict(entry))
        _maybe_fault(step)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def _maybe_fault(step: Step | str) -> None:
    """SIGKILL this process when ``STORESWITCH_FAULT_KILL_AFTER`` names *step* (a journal step, or
    ``probe-imported``: the verify probe's image is stored and not yet removed)."""
    name = step.value if isinstance(step, Step) else step
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
    if os.environ.get(PAUSE_ENV) == name:
        time.sleep(2.0)


fault_point = _maybe_fault


@dataclass
class HistoryEntry:
    at: float
    from_store: str
    to_store: str
    outcome: str  # "switched", "saved" (no restart), "refused" (nothing changed), "rolled-back", "recovered"
    message: str = ""
    target: str = ""


@dataclass
class SwitchHistory:
    path: Path
    entries: list[HistoryEntry] = field(default_factory=list)
    damaged: bool = False  # the file exists but could not be read

    @classmethod
    def load(cls, path: Path) -> "SwitchHistory":
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
            known = set(HistoryEntry.__dataclass_fields__)  # fields added later are dropped, not fatal
            entries = [HistoryEntry(**{k: v for k, v in e.items() if k in known}) for e in data.get("entries", [])]
            return cls(Path(path), entries)
        except FileNotFoundError:
            return cls(Path(path))
        except (OSError, ValueError, TypeError, AttributeError):
            return cls(Path(path), damaged=True)  # informative only: reported, never overwritten

    def append(self, entry: HistoryEntry) -> None:
        fresh = SwitchHistory.load(self.path)
        if fresh.damaged:
            # A damaged history is never overwritten: keep it beside (a name of its own), start anew.
            stamp = int(time.time())
            aside = self.path.with_suffix(f".damaged-{stamp}")
            n = 1
            while aside.exists():
                aside, n = self.path.with_suffix(f".damaged-{stamp}-{n}"), n + 1
            self.path.replace(aside)
        fresh.entries.append(entry)
        fresh.entries = fresh.entries[-HISTORY_KEEP:]
        write_json_atomic(self.path, {"schema_version": HISTORY_SCHEMA, "entries": [asdict(e) for e in fresh.entries]})
        self.entries = fresh.entries

    def note(self, entry: HistoryEntry) -> None:
        """:meth:`append`, a file-system error ignored: the history is informative, and a full disk
        must neither hide nor undo the outcome it records (a switch's, a reclaim's, a recovery's)."""
        try:
            self.append(entry)
        except OSError:
            pass

    def as_list(self) -> list[dict[str, Any]]:
        return [asdict(e) for e in self.entries]
