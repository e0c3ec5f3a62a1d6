"""Versioned JSON files and the table-driven migration that brings them up to date.

A file carries ``schema_version``. A migration table maps each version N to the function that
turns a version-N dict into a version-N+1 dict; renames are data (:class:`Rename`). Running a
table is pure: no I/O here. The caller backs the file up, migrates, writes, and only then has
the new version on disk (see ``backend/settings.py``). A file newer than the program is refused,
never downgraded.

Bump rules, for every file that uses this module: one integer per file; no bump for an added
key (readers give it a default); bump it for a changed default, a rename or a removal, and add
the step to the table, keyed by the old version.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Mapping

Step = Callable[[dict[str, Any]], dict[str, Any]]


class MigrationError(Exception):
    """The file cannot be brought to the current version (too new, or not versioned)."""


class StepFailed(MigrationError):
    """One step of the table raised: a bug in that step, not damage in the file.

    Says which version step failed (``from_version`` -> ``from_version + 1``). A reader may fail
    soft on it, as napari's settings do: keep the file as it is, back it up, and go on with
    defaults (``backend/settings.py``).
    """

    def __init__(self, message: str, from_version: int) -> None:
        super().__init__(message)
        self.from_version = from_version


@dataclass(frozen=True)
class Rename:
    """A step that moves a dotted key (``"a.b"``) to another dotted key."""

    old: str
    new: str

    def __call__(self, data: dict[str, Any]) -> dict[str, Any]:
        data = copy.deepcopy(data)  # pure: a nested move must not change the caller's dict
        missing = object()
        value = _pop(data, self.old.split("."), missing)
        if value is not missing:
            _put(data, self.new.split("."), value)
        return data


def migrate(data: Mapping[str, Any], table: Mapping[int, Step], current: int, name: str = "file") -> tuple[dict[str, Any], list[int]]:
    """Run the steps from ``data['schema_version']`` up to *current*; return (new data, versions passed)."""
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MigrationError(f"{name}: 'schema_version' is missing or not a whole number ({version!r})")
    if version > current:
        raise MigrationError(
            f"{name}: written by a newer storeswitch (schema_version {version}, this one reads up to "
            f"{current}); update storeswitch. The file was left untouched."
        )
    out = copy.deepcopy(dict(data))  # steps may edit nested values; the caller's dict stays as read
    passed: list[int] = []
    while version < current:
        if version not in table:
            raise MigrationError(f"{name}: no migration from schema_version {version}; the file was left untouched")
        try:
            out = table[version](out)
        except Exception as exc:  # noqa: BLE001 - any bug in a step: named, with the step it was in
            raise StepFailed(
                f"{name}: the migration from schema_version {version} to {version + 1} failed "
                f"({type(exc).__name__}: {exc}); the file was left untouched", version
            ) from exc
        version += 1
        out["schema_version"] = version
        passed.append(version)
    return out, passed


def _pop(data: dict, path: list[str], default: Any) -> Any:
    node = data
    for key in path[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return default
    return node.pop(path[-1], default) if isinstance(node, dict) else default


def _put(data: dict, path: list[str], value: Any) -> None:
    node = data
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value
