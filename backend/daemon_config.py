"""daemon.json: read strictly, edit one key, write atomically, restore byte for byte.

The file belongs to Docker and the user; storeswitch changes only
``features.containerd-snapshotter`` (and ``storage-driver`` when a snapshotter is chosen) and
keeps every other key, nested or unknown, with its value and order. The original bytes are kept
so that a refused switch restores the file exactly. A file that does not parse is refused with
its path, line and column, and never written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.atomic import write_atomic
from backend.errors import ConfigError
from backend.stores import FEATURE_KEY, Store, configured_store


@dataclass
class DaemonConfig:
    path: Path
    raw: bytes | None  # None when the file does not exist
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.raw is not None

    @classmethod
    def load(cls, path: Path) -> "DaemonConfig":
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls(path, None, {})
        except OSError as exc:
            raise ConfigError(f"{path}: cannot be read ({exc.strerror}); check its permissions") from exc
        return cls(path, raw, parse(raw, str(path)))

    @property
    def store(self) -> Store:
        return configured_store(self.data)

    def with_store(self, store: Store, snapshotter: str | None = None) -> bytes:
        """The file's new bytes with the store set and everything else kept."""
        return render(set_store(self.data, store, snapshotter))

    def write(self, content: bytes) -> None:
        write_atomic(self.path, content, mode=0o644)

    def restore(self) -> None:
        """Put the original bytes back (or remove the file if there was none)."""
        if self.raw is None:
            self.path.unlink(missing_ok=True)
        else:
            write_atomic(self.path, self.raw)


def parse(raw: bytes | str, name: str = "daemon.json") -> dict[str, Any]:
    """Parse daemon.json text; errors name the file, line and column."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start}); fix the file and try again") from exc
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}. "
            "The file was left untouched; fix it and try again."
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: must hold a JSON object {{...}}, found {type(data).__name__}")
    return data


def set_store(data: dict[str, Any], store: Store, snapshotter: str | None = None) -> dict[str, Any]:
    """A copy of *data* asking for *store*; other keys and their order are kept."""
    new = json.loads(json.dumps(data))  # deep copy that keeps order
    features = new.get("features")
    if not isinstance(features, dict):
        if features is not None:
            raise ConfigError(f"daemon.json: key 'features' must be an object, found {features!r}")
        features = new["features"] = {}
    features[FEATURE_KEY] = store is Store.CONTAINERD
    if snapshotter:
        new["storage-driver"] = snapshotter
    return new


def render(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
