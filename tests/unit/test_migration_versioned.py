"""migration/versioned.py: renames as data, a table run step by step, refusals that leave the file alone."""

from __future__ import annotations

import pytest

from migration import settings as settings_table
from migration.versioned import MigrationError, Rename, migrate


def test_rename_moves_a_nested_key_and_keeps_the_rest():
    before = {"a": {"b": 1, "keep": 2}, "z": 3}
    after = Rename("a.b", "x.y.z")(before)
    assert after == {"a": {"keep": 2}, "z": 3, "x": {"y": {"z": 1}}}
    assert before == {"a": {"b": 1, "keep": 2}, "z": 3}  # the input dict is not changed


def test_rename_of_a_missing_key_does_nothing():
    data = {"a": 1, "b": {"c": 2}}
    assert Rename("nope", "else")(data) == data
    assert Rename("b.missing", "x")(data) == data
    assert Rename("a.b", "x")(data) == data  # "a" is not an object


def test_rename_keeps_falsy_values():
    assert Rename("old", "new")({"old": None}) == {"new": None}
    assert Rename("old", "new")({"old": False}) == {"new": False}


# A synthetic three-version table, the shape a real one will have.
TABLE = {
    1: Rename("kube", "kubernetes_enabled"),
    2: lambda d: {**d, "theme": d.get("theme", "system")},  # v3 added a default that changed
}


@pytest.mark.parametrize(
    ("before", "after", "passed"),
    [
        ({"schema_version": 1, "kube": True}, {"schema_version": 3, "kubernetes_enabled": True, "theme": "system"}, [2, 3]),
        ({"schema_version": 2, "kubernetes_enabled": False, "theme": "dark"},
         {"schema_version": 3, "kubernetes_enabled": False, "theme": "dark"}, [3]),
        ({"schema_version": 3, "theme": "light"}, {"schema_version": 3, "theme": "light"}, []),
    ],
)
def test_table_runs_each_step_from_the_files_version(before, after, passed):
    new, done = migrate(before, TABLE, 3, "settings.json")
    assert (new, done) == (after, passed)


def test_a_file_from_a_newer_version_is_refused():
    with pytest.raises(MigrationError) as err:
        migrate({"schema_version": 7}, TABLE, 3, "/p/settings.json")
    assert "/p/settings.json: written by a newer storeswitch (schema_version 7" in str(err.value)
    assert "reads up to 3" in str(err.value) and "left untouched" in str(err.value)


@pytest.mark.parametrize("data", [{}, {"schema_version": "2"}, {"schema_version": True}, {"schema_version": 1.0}])
def test_a_missing_or_odd_version_is_refused(data):
    with pytest.raises(MigrationError, match="'schema_version' is missing or not a whole number"):
        migrate(data, TABLE, 3, "settings.json")


def test_a_gap_in_the_table_is_refused():
    with pytest.raises(MigrationError, match="no migration from schema_version 1"):
        migrate({"schema_version": 1}, {2: TABLE[2]}, 3)


def test_the_real_settings_table_reaches_its_version():
    """Every version below the current one has a step (an empty table is right for version 1)."""
    current = settings_table.SCHEMA_VERSION
    assert sorted(settings_table.MIGRATIONS) == list(range(1, current))
    new, _ = settings_table.upgrade({"schema_version": 1, **settings_table.DEFAULTS})
    assert new["schema_version"] == current
