"""daemon.json: read strictly, edit one key as text, write atomically, restore byte for byte.

The file belongs to Docker and the user; storeswitch changes only
``features.containerd-snapshotter`` (and ``storage-driver`` when a snapshotter is chosen, or
when its value names something the new store does not have: :func:`plan_storage_driver`) and
keeps every other byte: keys, order, indent, one-line objects, ``\\u`` escapes, a BOM, CRLF
(:func:`edit_store`, over :mod:`backend.json_text`). The original bytes are kept so that a refused
switch restores the file exactly. A file that does not parse, or whose store key is not a JSON
boolean (dockerd refuses ``"true"`` and ``1`` too), is refused with its path, and never written. A
symbolic link is written through to the file it points to, which stays a link
(:func:`write_config`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backend.atomic import write_atomic
from backend.errors import ConfigError
from backend.fs_errors import file_error
from backend.json_text import insert_member, object_at, remove_member, replace_value, top_object
from backend.snapshotter_names import check_name
from backend.stores import (
    CLASSIC_GRAPH_DRIVERS,
    CLASSIC_ONLY_DEFAULTS,
    DEFAULT_CLASSIC_DRIVER,
    DEFAULT_SNAPSHOTTER,
    FEATURE_KEY,
    Store,
    configured_store,
)

STORAGE_DRIVER_KEY = "storage-driver"


class JsonSyntaxError(ConfigError):
    """daemon.json is not JSON: where (1-based line and column) and what, in the words every front
    end shows (the CLI's message, the editor's line: "line 2, column 16: a trailing comma ...")."""

    def __init__(self, message: str, line: int, column: int, what: str) -> None:
        super().__init__(message)
        self.line, self.column, self.what = line, column, what


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
        return edit_store(self.raw, self.data, store, snapshotter)

    @property
    def storage_driver(self) -> str | None:
        """``storage-driver``: the snapshotter on the containerd store (None when unset)."""
        value = self.data.get(STORAGE_DRIVER_KEY)
        return value if isinstance(value, str) else None

    def storage_driver_plan(self, store: Store, snapshotter: str | None = None) -> "StorageDriverPlan":
        return plan_storage_driver(self.data, store, snapshotter)

    def write(self, content: bytes) -> None:
        write_config(self.path, content)

    def restore(self) -> None:
        """Put the original bytes back (or remove the file if there was none)."""
        write_config(self.path, self.raw)


MAX_DEPTH_WORDS = "nested too deeply for Python's JSON reader (thousands of levels of { or [)"


def write_config(path: Path, content: bytes | None) -> bool:
    """Make *path* hold *content* (None: no file); False when it already did (nothing is written).

    A symbolic link is written through: the new bytes replace the file it points to (temp file
    in that file's directory, fsync, rename), so the link stays and the engine goes on reading the
    user's file. An OSError becomes a :class:`FileError` naming the path and the next step.
    """
    path = Path(path)
    real = Path(os.path.realpath(path)) if path.is_symlink() else path
    try:
        current = real.read_bytes()
    except FileNotFoundError:
        current = None
    except OSError:
        current = b"" if content is None else None  # unreadable: write (or remove) anyway
    if current == content:
        return False
    try:
        if content is None:
            real.unlink(missing_ok=True)
        else:
            write_atomic(real, content, mode=0o644)
    except OSError as exc:
        raise file_error(exc, real, "writing the engine's config" if content is not None else "removing the engine's config") from exc
    return True


def parse(raw: bytes | str, name: str = "daemon.json") -> dict[str, Any]:
    """Parse daemon.json text; errors name the file, line and column."""
    try:
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text (byte {exc.start}); fix the file and try again") from exc
    text = text.removeprefix("\ufeff")
    if not text.strip():
        return {}
    try:
        data = json.loads(text)
    except RecursionError as exc:
        raise ConfigError(f"{name}: {MAX_DEPTH_WORDS}; no Docker config needs that. "
                          "The file was left untouched; fix it and try again.") from exc
    except json.JSONDecodeError as exc:
        line, column, what = exc.lineno, exc.colno, exc.msg
        comma = _trailing_comma(text, exc.pos)
        if comma is not None:  # json says "Expecting property name" at the brace; the comma is the fault
            line = text.count("\n", 0, comma) + 1
            column = comma - (text.rfind("\n", 0, comma) + 1) + 1
            what = "a trailing comma (JSON allows none before a closing } or ])"
        raise JsonSyntaxError(
            f"{name}: invalid JSON at line {line}, column {column}: {what}. "
            "The file was left untouched; fix it and try again.", line, column, what,
        ) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{name}: must hold a JSON object {{...}}, found {_json_kind(data)}")
    check_store_key(data, name)
    return data


def check_store_key(data: dict[str, Any], name: str = "daemon.json") -> None:
    """``features`` must be an object and the store key a boolean, as dockerd reads them.

    dockerd refuses ``"containerd-snapshotter": "true"`` (or ``1``) when it starts; reading it as
    "not true, so classic" would misreport the store and a switch would silently rewrite it.
    """
    features = data.get("features")
    if features is None:
        return
    if not isinstance(features, dict):
        raise ConfigError(f"{name}: key 'features' must be an object {{...}}, found {_json_kind(features)} "
                          f"({json.dumps(features)}); dockerd refuses this file too. Fix it and try again.")
    if FEATURE_KEY in features and not isinstance(features[FEATURE_KEY], bool):
        value = features[FEATURE_KEY]
        raise ConfigError(
            f"{name}: key 'features'.'{FEATURE_KEY}' must be true or false (without quotes), found "
            f"{json.dumps(value)} ({_json_kind(value)}); dockerd refuses this file too. Fix it and try again."
        )


def _trailing_comma(text: str, pos: int) -> int | None:
    """The offset of a comma that directly precedes a closing bracket at *pos*, if that is the error."""
    if pos >= len(text) or text[pos] not in "}]":
        return None
    before = text[:pos].rstrip()
    return len(before) - 1 if before.endswith(",") else None


def _json_kind(value: Any) -> str:
    if isinstance(value, list):
        return "an array [...]"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return "a number"
    return "null"


def set_store(data: dict[str, Any], store: Store, snapshotter: str | None = None) -> dict[str, Any]:
    """A copy of *data* asking for *store*; other keys and their order are kept."""
    new = json.loads(json.dumps(data))  # deep copy that keeps order
    features = new.get("features")
    if not isinstance(features, dict):
        if features is not None:
            raise ConfigError(f"daemon.json: key 'features' must be an object, found {features!r}")
        features = new["features"] = {}
    features[FEATURE_KEY] = store is Store.CONTAINERD
    plan = plan_storage_driver(data, store, snapshotter)
    if plan.after is None:
        new.pop(STORAGE_DRIVER_KEY, None)
    else:
        new[STORAGE_DRIVER_KEY] = plan.after
    return new


@dataclass(frozen=True)
class StorageDriverPlan:
    """What a switch does to ``storage-driver``, and a sentence saying why (None: untouched)."""

    before: Any
    after: Any
    note: str | None = None

    @property
    def changed(self) -> bool:
        return self.before != self.after


def plan_storage_driver(data: dict[str, Any], store: Store, snapshotter: str | None = None) -> StorageDriverPlan:
    """``storage-driver`` after switching to *store*: the one key both stores read differently.

    It names a graph driver on the classic store and a snapshotter on the containerd store, and
    neither store starts sensibly with a name only the other has: the classic store refuses to
    start ("driver not supported: native"), the containerd store starts but cannot store an
    image ("snapshotter not loaded: overlay2"). So a switch to classic drops a name the classic
    store does not have (it then uses its default, overlay2), a switch to containerd drops
    ``overlay2`` (overlayfs, containerd's default, is its counterpart), and ``--snapshotter``
    sets the key. Any other value is the user's and is kept. The GUI shows ``note`` in its
    confirmation; the CLI prints it.
    """
    before = data.get(STORAGE_DRIVER_KEY)
    if store is Store.CLASSIC:
        if snapshotter:
            raise ConfigError(
                f"a snapshotter ({snapshotter!r}) applies to the containerd store only; "
                "switch to containerd with it, or switch to classic without --snapshotter"
            )
        if isinstance(before, str) and before not in CLASSIC_GRAPH_DRIVERS:
            return StorageDriverPlan(before, None, (
                f"'{STORAGE_DRIVER_KEY}: {before}' is removed from daemon.json: it names a containerd "
                f"snapshotter and the classic store has no such driver (it would refuse to start); "
                f"the classic store uses its default, {DEFAULT_CLASSIC_DRIVER}"
            ))
        return StorageDriverPlan(before, before)
    if snapshotter:
        name = check_name(snapshotter)
        note = None if before == name else (
            f"'{STORAGE_DRIVER_KEY}' is set to '{name}' in daemon.json"
            + (f" (it was '{before}')" if before is not None else "")
        )
        return StorageDriverPlan(before, name, note)
    if isinstance(before, str) and before in CLASSIC_ONLY_DEFAULTS:
        return StorageDriverPlan(before, None, (
            f"'{STORAGE_DRIVER_KEY}: {before}' is removed from daemon.json: the containerd store has "
            f"no snapshotter of that name (images could not be stored); it uses {DEFAULT_SNAPSHOTTER}, "
            "its default and the counterpart of overlay2"
        ))
    return StorageDriverPlan(before, before)


def edit_store(raw: bytes | None, data: dict[str, Any], store: Store, snapshotter: str | None = None) -> bytes:
    """*raw* asking for *store*, edited as text: only the store key (and ``storage-driver`` as
    :func:`plan_storage_driver` decides) changes; every other byte stays. A missing key is
    inserted the way its object writes its members. Checked: the result must mean exactly what
    :func:`set_store` means, else the file is rendered afresh (never wrong, only less pretty).
    """
    wanted = set_store(data, store, snapshotter)
    if raw is None or not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        return render(wanted)
    text = raw.decode("utf-8")
    on = store is Store.CONTAINERD
    top = top_object(text)
    features = top.last("features")
    if features is None:
        text = insert_member(text, top, "features", {FEATURE_KEY: on})
    else:
        obj = object_at(text, features.value_start)
        member = obj.last(FEATURE_KEY)
        if member is None:
            text = insert_member(text, obj, FEATURE_KEY, on)
        elif data["features"][FEATURE_KEY] is not on:
            text = replace_value(text, member, "true" if on else "false")
    plan = plan_storage_driver(data, store, snapshotter)
    if plan.changed:
        top = top_object(text)
        if plan.after is None:
            while (member := top.last(STORAGE_DRIVER_KEY)) is not None:
                text = remove_member(text, top, member)
                top = top_object(text)
        elif (member := top.last(STORAGE_DRIVER_KEY)) is not None:
            text = replace_value(text, member, json.dumps(plan.after))
        else:
            text = insert_member(text, top, STORAGE_DRIVER_KEY, plan.after)
    new = text.encode("utf-8")
    try:
        same = json.loads(text.removeprefix("\ufeff")) == wanted
    except ValueError:
        same = False
    return new if same else render(wanted)


def render(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
