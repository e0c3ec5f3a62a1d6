"""storeswitch's own settings: load (migrating with a backup), save atomically.

A file that does not parse, or that a newer storeswitch wrote, is refused and never
overwritten; the error names the file and what to do. Before a migration writes the new
version, the old bytes are kept as ``settings.json.v<N>.bak``.

A migration *step* that fails (a bug in storeswitch, not damage in the file) fails soft, as
napari's settings do: the file is left untouched, a byte-identical backup is kept beside it
(``settings.json.v<N>.bak``), and storeswitch goes on with the defaults; :attr:`Settings.notice`
says which version step failed, where the backup is, and what to do (:func:`take_notices`: the CLI
prints it on stderr).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.atomic import write_atomic, write_json_atomic
from backend.errors import ConfigError
from migration.settings import DEFAULTS, SCHEMA_VERSION, upgrade
from migration.versioned import MigrationError, StepFailed

_NOTICES: list[str] = []  # said once to the user by the front end (the CLI: on stderr after the command)


def take_notices() -> list[str]:
    """The soft failures since the last call (a migration step that failed), each once."""
    notices = list(dict.fromkeys(_NOTICES))
    _NOTICES.clear()
    return notices


@dataclass
class Settings:
    path: Path
    values: dict[str, Any] = field(default_factory=dict)
    notice: str | None = None  # why the file's values are not in use (a failed migration step), for the user

    def get(self, key: str) -> Any:
        return self.values.get(key, DEFAULTS.get(key))

    def set(self, key: str, value: Any) -> None:
        self.values[key] = value

    @property
    def kubernetes_enabled(self) -> bool:
        return bool(self.get("kubernetes_enabled"))

    @classmethod
    def load(cls, path: Path) -> "Settings":
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, {"schema_version": SCHEMA_VERSION})
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror})") from exc
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            raise ConfigError(
                f"{path}: not valid JSON{where}; it was left untouched. Fix it, or move it away to start "
                "from defaults."
            ) from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: must hold a JSON object; it was left untouched")
        try:
            new, passed = upgrade(data, str(path))
        except StepFailed as exc:
            return cls._on_defaults(path, raw, exc)
        except MigrationError as exc:
            raise ConfigError(str(exc)) from exc
        if passed:
            write_atomic(path.with_name(f"{path.name}.v{data['schema_version']}.bak"), raw)
            write_json_atomic(path, new)
        return cls(path, new)

    @classmethod
    def _on_defaults(cls, path: Path, raw: bytes, exc: StepFailed) -> "Settings":
        """A step failed: keep the file, back it up, go on with the defaults, and say so."""
        backup = path.with_name(f"{path.name}.v{exc.from_version}.bak")
        try:
            if not backup.exists() or backup.read_bytes() != raw:
                write_atomic(backup, raw)
            kept = f"a copy is in {backup}"
        except OSError as err:
            kept = f"no copy could be made ({err.strerror}); the file itself is unchanged"
        notice = f"{exc} and storeswitch runs on its default settings ({kept}). Please report this bug."
        _NOTICES.append(notice)
        return cls(path, {"schema_version": SCHEMA_VERSION}, notice)

    def save(self) -> None:
        self.values["schema_version"] = SCHEMA_VERSION
        write_json_atomic(self.path, self.values)
