"""What storeswitch last saw an engine start with, and what daemon.json holds beyond it.

A switch restarts the engine, and a restart applies *every* edit in daemon.json, not only the
store key. If the file already holds an edit that ``dockerd --validate`` accepts but that fails
at start, a switch would stop a working engine, fail to start it, and its rollback would restore
the same broken bytes (issue 13, point 11). So whenever storeswitch starts an engine and it comes
up, the config bytes it started with are recorded here (``started-config.json`` in the profile's
state directory, one entry per config path, schema-versioned), and before a switch stops the
engine, :func:`unstarted_changes` lists what the file holds beyond that record, the store key
and ``storage-driver`` aside (those are the switch's own). Anything listed makes the switch ask
for ``--force`` (exit 6): the user checks the edits, restarts the engine on them first, or forces.

No record (an engine storeswitch never started) means nothing is known, and nothing is refused.
Nor does a record count once the engine was started after daemon.json was last written (someone
restarted it outside storeswitch, e.g. ``systemctl restart docker``): dockerd creates its unix
socket at each start, so a socket newer than the file means the engine has read the file as it
is (:func:`started_after_last_edit`).
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import Any

from backend.atomic import write_json_atomic
from backend.profile import Profile

SCHEMA_VERSION = 1  # bump for a renamed or removed field; added fields need no bump
FILE_NAME = "started-config.json"
IGNORED_TOP = ("storage-driver",)
IGNORED_FEATURE = "containerd-snapshotter"


def _path(profile: Profile) -> Path:
    return profile.state_dir / FILE_NAME


def _load(profile: Profile) -> dict[str, Any]:
    try:
        data = json.loads(_path(profile).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION or not isinstance(data.get("configs"), dict):
        return {}  # unknown or damaged: nothing known (it is rewritten at the next start)
    return data["configs"]


def record_start(profile: Profile, config_path: Path, content: bytes | None) -> None:
    """The engine reading *config_path* just came up with *content* (None: no file). Best effort:
    a full disk must not turn a working start into a failure."""
    configs = _load(profile)
    configs[str(config_path)] = {
        "config_b64": None if content is None else base64.b64encode(content).decode("ascii"),
        "at": time.time(),
    }
    try:
        write_json_atomic(_path(profile), {"schema_version": SCHEMA_VERSION, "configs": configs})
    except OSError:
        pass


def last_started(profile: Profile, config_path: Path) -> bytes | None | bool:
    """The bytes the engine last started with; None: no file then; False: no record."""
    entry = _load(profile).get(str(config_path))
    if not isinstance(entry, dict):
        return False
    raw = entry.get("config_b64")
    try:
        return None if raw is None else base64.b64decode(raw, validate=True)
    except (TypeError, ValueError):
        return False


def started_after_last_edit(host: str, config_path: Path) -> bool:
    """True when the engine at *host* (a ``unix://`` socket) was started after *config_path* was
    last written: it runs the file as it is. False when either time is unknown."""
    if not host.startswith("unix://"):
        return False
    try:
        return os.stat(host.removeprefix("unix://")).st_mtime_ns > os.stat(config_path).st_mtime_ns
    except OSError:
        return False


def _without_store_keys(data: dict[str, Any]) -> dict[str, Any]:
    data = {k: v for k, v in data.items() if k not in IGNORED_TOP}
    features = data.get("features")
    if isinstance(features, dict):
        rest = {k: v for k, v in features.items() if k != IGNORED_FEATURE}
        if rest:
            data["features"] = rest
        else:
            data.pop("features")
    return data


_MISSING = object()


def unstarted_changes(profile: Profile, config_path: Path, current: dict[str, Any],
                      new: dict[str, Any] | None = None) -> list[str]:
    """The keys of *current* (daemon.json's data now) that differ from what the engine last
    started with, the store key and ``storage-driver`` aside; [] when none or nothing is known.

    *new*: the data the switch is about to write (the GUI writes its editor's whole text). A key
    the switch itself changes is the user's edit of this moment, shown in their confirmation, so
    only keys it carries over unchanged from the file on disk count.
    """
    from backend.daemon_config import parse
    from backend.errors import ConfigError

    started = last_started(profile, config_path)
    if started is False:
        return []
    try:
        before = _without_store_keys(parse(started) if started else {})
    except ConfigError:
        before = {}
    now = _without_store_keys(current)
    after = now if new is None else _without_store_keys(new)
    changes = []
    for key in list(before) + [k for k in now if k not in before]:
        if after.get(key, _MISSING) != now.get(key, _MISSING):
            continue  # this switch's own edit of the key
        if key not in now:
            changes.append(f"'{key}' removed")
        elif key not in before:
            changes.append(f"'{key}' added")
        elif before[key] != now[key]:
            changes.append(f"'{key}' changed")
    return changes
