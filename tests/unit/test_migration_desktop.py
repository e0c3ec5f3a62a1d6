"""Docker Desktop's settings files: each version's file read in settings-store.json's spelling.

Before/after fixture pairs in tests/unit/fixtures/desktop/<version>/, parametrised by the Docker
Desktop version that writes the file: 4.34 (settings.json, camelCase), 4.35 and 4.45
(settings-store.json).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from migration.desktop_settings import (
    FILE_NAMES,
    LEGACY_FORMAT,
    LEGACY_SETTINGS,
    SETTINGS_STORE,
    STORE_FORMAT,
    STORE_KEY,
    TIME_KEY,
    format_for,
    unwrap,
    upgrade_legacy,
)

FIXTURES = Path(__file__).parent / "fixtures" / "desktop"
VERSIONS = [("4.34", LEGACY_SETTINGS), ("4.35", SETTINGS_STORE), ("4.45", SETTINGS_STORE),
            ("4.45-kind", SETTINGS_STORE), ("4.34-kubernetes", LEGACY_SETTINGS), ("locked", SETTINGS_STORE)]


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("version,file_name", VERSIONS)
def test_read_step_before_after(version, file_name):
    before = load(FIXTURES / version / file_name)
    after = load(FIXTURES / version / "expected-current.json")
    fmt = format_for(file_name)
    assert fmt.to_current(before) == after
    assert isinstance(unwrap(after[STORE_KEY])[0], bool)  # the key storeswitch reads is found in every version
    assert before == load(FIXTURES / version / file_name)  # pure: the input is not changed


def test_legacy_step_renames_only_the_keys_storeswitch_uses():
    before = load(FIXTURES / "4.34" / LEGACY_SETTINGS)
    after = upgrade_legacy(before)
    renamed = {k for k in before if k not in after}
    assert renamed == {"useContainerdSnapshotter", "settingsVersion", "kubernetesEnabled"}
    assert after[STORE_KEY] is False and after["SettingsVersion"] == 39
    assert after["memoryMiB"] == 8092  # everything else as it was


@pytest.mark.parametrize("fmt,spelled", [(LEGACY_FORMAT, "useContainerdSnapshotter"), (STORE_FORMAT, STORE_KEY)])
def test_a_key_is_written_back_in_the_files_own_spelling(fmt, spelled):
    assert fmt.key(STORE_KEY) == spelled
    assert fmt.key("SomethingElse") == "SomethingElse"


def test_formats_by_file_name():
    assert FILE_NAMES == (SETTINGS_STORE, LEGACY_SETTINGS)  # the newer file wins where both exist
    assert format_for("settings-store.json").default_containerd is True
    assert format_for("settings.json").default_containerd is False
    assert format_for("settings.json").key(TIME_KEY) == "lastContainerdSnapshotterEnable"
    with pytest.raises(ValueError, match="daemon.json"):
        format_for("daemon.json")


def test_unwrap_reads_both_shapes():
    assert unwrap(True) == (True, False)
    assert unwrap({"value": False, "locked": True}) == (False, True)
    assert unwrap({"value": 1}) == (1, False)
    assert unwrap({"path": "/x", "cached": False}) == ({"path": "/x", "cached": False}, False)  # not a setting object
