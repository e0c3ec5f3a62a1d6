"""The switch journal (what recovery reads after a crash) and the switch history."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import backend.journal as journal_mod
from backend.errors import ConfigError
from backend.journal import (
    FAULT_ENV,
    HistoryEntry,
    JournalEntry,
    Step,
    SwitchHistory,
    SwitchJournal,
    encode,
)

ROOT = Path(__file__).resolve().parents[2]


def entry(original: bytes | None = b'{"debug": true}\n') -> JournalEntry:
    return JournalEntry(
        switch_id="abc123",
        from_store="classic",
        to_store="containerd",
        target="managed",
        config_path="/p/config/engine/daemon.json",
        original_config_b64=encode(original),
        new_config_b64=encode(b'{"debug": true, "features": {"containerd-snapshotter": true}}\n'),
        engine_was_running=True,
        restart=True,
        started_at=1700000000.0,
    )


def test_steps_are_in_order():
    assert [s.value for s in Step] == ["planned", "config-written", "engine-stopped", "engine-started", "verified"]
    assert Step.PLANNED.index < Step.CONFIG_WRITTEN.index < Step.VERIFIED.index


def test_begin_advance_read_clear(tmp_path):
    journal = SwitchJournal(tmp_path / "state" / "switch-journal.json")
    assert journal.read() is None
    e = entry()
    journal.begin(e)
    got = journal.read()
    assert got == e and got.last_step is Step.PLANNED
    assert got.original_config == b'{"debug": true}\n'
    assert got.new_config.endswith(b"true}}\n")
    for step in (Step.CONFIG_WRITTEN, Step.ENGINE_STOPPED, Step.ENGINE_STARTED, Step.VERIFIED):
        journal.advance(e, step)
        assert journal.read().last_step is step
    on_disk = json.loads(journal.path.read_text())
    assert on_disk["schema_version"] == journal_mod.PLAIN_JOURNAL_SCHEMA and on_disk["step"] == "verified"
    journal.clear()
    assert not journal.path.exists() and journal.read() is None
    journal.clear()  # clearing twice is fine


def test_a_missing_original_config_is_recorded_as_none(tmp_path):
    journal = SwitchJournal(tmp_path / "j.json")
    journal.begin(entry(original=None))
    assert journal.read().original_config is None


def test_unknown_fields_from_a_later_minor_version_are_ignored(tmp_path):
    journal = SwitchJournal(tmp_path / "j.json")
    data = {**entry().__dict__, "added_later": [1, 2]}
    journal.path.write_text(json.dumps(data))
    assert journal.read().switch_id == "abc123"


@pytest.mark.parametrize(
    "text",
    [
        '{"switch_id": "x", "step": "planned"',  # torn
        "[]",  # not an object
        '{"switch_id": "x"}',  # fields missing
        json.dumps({**entry().__dict__, "step": "halfway"}),  # unknown step
        json.dumps({**entry().__dict__, "new_config_b64": "%%%"}),  # not base64
    ],
)
def test_a_damaged_journal_is_an_error_and_left_in_place(tmp_path, text):
    path = tmp_path / "switch-journal.json"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        SwitchJournal(path).read()
    assert str(path) in str(err.value)
    assert "left in place" in str(err.value) and "delete the journal" in str(err.value)
    assert path.read_text() == text


def test_a_journal_from_a_newer_storeswitch_is_refused(tmp_path):
    path = tmp_path / "j.json"
    path.write_text(json.dumps({**entry().__dict__, "schema_version": journal_mod.JOURNAL_SCHEMA + 1}))
    with pytest.raises(ConfigError, match="newer storeswitch"):
        SwitchJournal(path).read()


def test_fault_hook_kills_right_after_the_step_is_recorded(tmp_path):
    """The documented fault-injection hook: SIGKILL after the named step is on disk, nothing before."""
    path = tmp_path / "j.json"
    code = (
        "import sys; from pathlib import Path; sys.path.insert(0, sys.argv[2]);"
        "from tests.unit.test_journal import entry; from backend.journal import SwitchJournal, Step;"
        "j = SwitchJournal(Path(sys.argv[1])); e = entry(); j.begin(e);"
        "j.advance(e, Step.CONFIG_WRITTEN); j.advance(e, Step.ENGINE_STOPPED); print('not killed')"
    )
    env = {**os.environ, FAULT_ENV: "config-written"}
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], env=env, capture_output=True, text=True)
    assert proc.returncode == -9, proc.stderr
    assert "not killed" not in proc.stdout
    assert json.loads(path.read_text())["step"] == "config-written"

    env.pop(FAULT_ENV)
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(ROOT)], env=env, capture_output=True, text=True)
    assert (proc.returncode, proc.stdout.strip()) == (0, "not killed")


def test_history_keeps_the_last_n(tmp_path, monkeypatch):
    monkeypatch.setattr(journal_mod, "HISTORY_KEEP", 3)
    history = SwitchHistory(tmp_path / "h.json")
    for i in range(5):
        history.append(HistoryEntry(float(i), "classic", "containerd", "switched", f"switch {i}", "managed"))
    loaded = SwitchHistory.load(tmp_path / "h.json")
    assert [e.message for e in loaded.entries] == ["switch 2", "switch 3", "switch 4"]
    assert json.loads((tmp_path / "h.json").read_text())["schema_version"] == journal_mod.HISTORY_SCHEMA
    assert loaded.as_list()[-1]["outcome"] == "switched"


def test_a_damaged_history_is_never_overwritten(tmp_path):
    path = tmp_path / "switch-history.json"
    path.write_text("{broken")
    assert SwitchHistory.load(path).damaged
    history = SwitchHistory(path)
    history.append(HistoryEntry(1.0, "classic", "containerd", "switched", "first", "managed"))
    path2_text = "also [broken"
    # A second damage in the same second gets its own name too.
    path.write_text(path2_text)
    history.append(HistoryEntry(2.0, "containerd", "classic", "switched", "second", "managed"))

    kept = sorted(p for p in tmp_path.iterdir() if ".damaged-" in p.name)
    assert sorted(p.read_text() for p in kept) == sorted(["{broken", path2_text])
    assert [e.message for e in SwitchHistory.load(path).entries] == ["second"]


def test_history_tolerates_fields_added_later(tmp_path):
    path = tmp_path / "h.json"
    path.write_text(json.dumps({"schema_version": 1, "entries": [
        {"at": 1.0, "from_store": "classic", "to_store": "containerd", "outcome": "switched", "duration_s": 2.1},
    ]}))
    loaded = SwitchHistory.load(path)
    assert not loaded.damaged and loaded.entries[0].outcome == "switched"


def test_a_history_that_cannot_be_written_is_noted_without_an_error(tmp_path):
    """note() is append() for outcomes the history only reports: a file-system error is swallowed."""
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    history = SwitchHistory(blocker / "switch-history.json")
    entry = HistoryEntry(0.0, "classic", "containerd", "switched", "done", "managed")
    with pytest.raises(OSError):
        history.append(entry)
    history.note(entry)  # no error
    assert not (blocker / "switch-history.json").exists()
