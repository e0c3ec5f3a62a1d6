"""backend/settings.py: a backup before any migration, refusal of newer or damaged files, untouched."""

from __future__ import annotations

import json

import pytest

import backend.settings as settings_mod
from backend.errors import ConfigError
from backend.settings import Settings
from migration import settings as table
from migration.versioned import Rename


@pytest.fixture
def path(tmp_path):
    return tmp_path / "config" / "settings.json"


def put(path, data) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = (json.dumps(data) if not isinstance(data, str) else data).encode()
    path.write_bytes(raw)
    return raw


def test_missing_file_gives_defaults_and_writes_nothing(path):
    s = Settings.load(path)
    assert s.get("target") == "auto" and s.kubernetes_enabled is False
    assert not path.exists()


def test_save_writes_the_schema_version_and_reloads(path):
    s = Settings.load(path)
    s.set("kubernetes_enabled", True)
    s.save()
    on_disk = json.loads(path.read_text())
    assert on_disk["schema_version"] == table.SCHEMA_VERSION and on_disk["kubernetes_enabled"] is True
    assert Settings.load(path).kubernetes_enabled is True


def test_current_version_loads_without_a_backup(path):
    raw = put(path, {"schema_version": table.SCHEMA_VERSION, "target": "managed"})
    assert Settings.load(path).get("target") == "managed"
    assert path.read_bytes() == raw
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


def test_migration_backs_up_the_old_bytes_first(path, monkeypatch):
    """A synthetic version 2 that renames a key: v1 bytes are kept as settings.json.v1.bak."""
    monkeypatch.setattr(table, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(settings_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(table, "MIGRATIONS", {1: Rename("kubernetes_enabled", "kubernetes.enabled")})
    raw = put(path, '{"schema_version": 1, "kubernetes_enabled": true, "target": "managed"}')

    s = Settings.load(path)

    backup = path.with_name("settings.json.v1.bak")
    assert backup.read_bytes() == raw
    on_disk = json.loads(path.read_text())
    assert on_disk == {"schema_version": 2, "target": "managed", "kubernetes": {"enabled": True}}
    assert s.values == on_disk
    # Loading again: nothing left to migrate, the backup is not rewritten.
    backup.write_bytes(b"kept")
    Settings.load(path)
    assert backup.read_bytes() == b"kept"


def test_a_failing_step_fails_soft_on_defaults_with_a_backup(path, monkeypatch):
    """napari-style: the broken step leaves the file untouched, a copy is kept, the notice names the step."""
    def broken(data):
        raise ValueError("step bug")

    monkeypatch.setattr(table, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(settings_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(table, "MIGRATIONS", {1: broken})
    raw = put(path, {"schema_version": 1, "target": "system"})

    s = Settings.load(path)

    assert path.read_bytes() == raw
    backup = path.with_name("settings.json.v1.bak")
    assert backup.read_bytes() == raw
    assert s.get("target") == "auto"  # the default, not the file's value
    assert "from schema_version 1 to 2 failed" in s.notice and "ValueError: step bug" in s.notice
    assert str(backup) in s.notice and str(path) in s.notice


def test_a_newer_file_is_refused_and_untouched(path):
    raw = put(path, {"schema_version": table.SCHEMA_VERSION + 1, "future_key": 1})
    with pytest.raises(ConfigError) as err:
        Settings.load(path)
    assert str(path) in str(err.value) and "newer storeswitch" in str(err.value)
    assert path.read_bytes() == raw
    assert sorted(p.name for p in path.parent.iterdir()) == ["settings.json"]


@pytest.mark.parametrize(
    ("text", "words"),
    [('{"schema_version": 1,,}', "line 1, column 22"), ("[1]", "must hold a JSON object"), (b"\xff\xfe", "not valid JSON")],
)
def test_a_damaged_file_is_refused_and_untouched(path, text, words):
    path.parent.mkdir(parents=True)
    raw = text if isinstance(text, bytes) else text.encode()
    path.write_bytes(raw)
    with pytest.raises(ConfigError) as err:
        Settings.load(path)
    assert str(path) in str(err.value) and words in str(err.value)
    assert path.read_bytes() == raw


def test_a_file_without_a_version_is_refused(path):
    raw = put(path, {"target": "managed"})
    with pytest.raises(ConfigError, match="schema_version"):
        Settings.load(path)
    assert path.read_bytes() == raw


def test_the_cli_says_which_step_failed_and_goes_on(path, monkeypatch, capsys):
    """A command that reads the settings runs on the defaults and says so on stderr (nothing else breaks)."""
    from backend import cli

    def broken(data):
        raise KeyError("kubernetes")

    monkeypatch.setattr(table, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(settings_mod, "SCHEMA_VERSION", 2)
    monkeypatch.setattr(table, "MIGRATIONS", {1: broken})
    raw = put(path, {"schema_version": 1, "kubernetes_enabled": True})
    code = cli.main(["--profile", str(path.parent.parent), "known-issues", "--json"])
    err = capsys.readouterr().err
    assert code == 0
    assert "the migration from schema_version 1 to 2 failed (KeyError" in err and "settings.json.v1.bak" in err
    assert path.read_bytes() == raw
