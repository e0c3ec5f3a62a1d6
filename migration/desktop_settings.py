"""Docker Desktop's settings file, in both of its names and spellings.

Docker Desktop keeps its settings in ``settings-store.json`` since 4.35; versions 4.34 and
earlier used ``settings.json`` (Docker's docs: "settings-store.json file (or settings.json for
Docker Desktop versions 4.34 and earlier)"). Both live in the same per-OS directory:

    macOS    ~/Library/Group Containers/group.com.docker/
    Windows  %APPDATA%\\Docker\\
    Linux    ~/.docker/desktop/

Docker does not document the keys themselves (docker/docs#23706). Files seen in public show the
rename that came with the new file name: ``settings.json`` spells its keys in camelCase
(``useContainerdSnapshotter``, ``memoryMiB``, ``filesharingDirectories``), ``settings-store.json``
in PascalCase (``UseContainerdSnapshotter``, ``MemoryMiB``, ``SettingsVersion``), and keeps a few
camelCase keys as they were (``deprecatedCgroupv1``). storeswitch reads and writes only the keys
below, so only those renames are written down here, as data (:class:`Rename`). Docker Desktop
renames the whole file itself when it upgrades; storeswitch never converts a user's file, it
reads either one through :meth:`DesktopFormat.to_current` and writes a key back in the file's own
spelling (:meth:`DesktopFormat.key`).

The keys: ``UseContainerdSnapshotter`` (bool: the containerd image store is on) and
``LastContainerdSnapshotterEnable`` (Unix time of the last time it was turned on; files seen in
public keep the old value when it is turned off). ``lastContainerdSnapshotterEnable`` in
``settings.json`` follows the same camelCase rule but was not seen in a real file, so a writer
only updates it where the file already has it.

Kubernetes: ``KubernetesEnabled`` (bool: Docker Desktop's own Kubernetes is on;
``kubernetesEnabled`` in ``settings.json``, as files published with 4.34 and earlier show) and
``KubernetesMode`` (how Desktop runs it: ``"kubeadm"``, or ``"kind"`` in newer versions; files
with ``SettingsVersion`` 43 show it). ``KubernetesMode`` came after the file's rename, so it has
no camelCase spelling to map.

Locked values: where an administrator locks a setting (Settings Management), the file and the
settings API hold ``{"value": ..., "locked": true}`` instead of the plain value (as published
files show for ``disableUpdate``). :func:`unwrap` reads either shape; a writer puts a new value
into ``"value"`` and keeps ``"locked"``, and refuses a locked one.

Pure data and functions, no I/O: ``backend/targets/desktop.py`` does the reading and writing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from migration.versioned import Rename

SETTINGS_STORE = "settings-store.json"  # Docker Desktop 4.35 and later
LEGACY_SETTINGS = "settings.json"  # Docker Desktop 4.34 and earlier
FILE_NAMES = (SETTINGS_STORE, LEGACY_SETTINGS)  # the order a reader looks for them in

STORE_KEY = "UseContainerdSnapshotter"
TIME_KEY = "LastContainerdSnapshotterEnable"
VERSION_KEY = "SettingsVersion"
KUBERNETES_KEY = "KubernetesEnabled"
KUBERNETES_MODE_KEY = "KubernetesMode"
KIND_MODE = "kind"

# settings.json (<= 4.34) spelling -> settings-store.json spelling, for the keys storeswitch uses.
LEGACY_RENAMES: tuple[Rename, ...] = (
    Rename("useContainerdSnapshotter", STORE_KEY),
    Rename("lastContainerdSnapshotterEnable", TIME_KEY),
    Rename("settingsVersion", VERSION_KEY),
    Rename("kubernetesEnabled", KUBERNETES_KEY),
)


@dataclass(frozen=True)
class DesktopFormat:
    """One of Docker Desktop's two settings files: its name and how it spells the keys."""

    file_name: str
    first_version: str  # the first Docker Desktop version that writes this file
    renames: tuple[Rename, ...] = field(default=())  # this file's spelling -> settings-store.json's
    # The store when the file does not say: clean installs of 4.34 and later turn the containerd
    # store on; earlier versions had it off (an experimental option).
    default_containerd: bool = False
    # Whether a writer adds TIME_KEY when the file does not have it yet.
    adds_time_key: bool = True

    def key(self, current: str) -> str:
        """*current* (a settings-store.json key) as this file spells it."""
        for rename in self.renames:
            if rename.new == current:
                return rename.old
        return current

    def to_current(self, data: dict[str, Any]) -> dict[str, Any]:
        """*data* with the keys storeswitch reads in settings-store.json spelling (a copy)."""
        out = dict(data)
        for rename in self.renames:
            out = rename(out)
        return out


STORE_FORMAT = DesktopFormat(SETTINGS_STORE, "4.35", (), default_containerd=True, adds_time_key=True)
LEGACY_FORMAT = DesktopFormat(LEGACY_SETTINGS, "4.0", LEGACY_RENAMES, default_containerd=False, adds_time_key=False)
FORMATS = {f.file_name: f for f in (STORE_FORMAT, LEGACY_FORMAT)}


def format_for(file_name: str) -> DesktopFormat:
    """The format of a Docker Desktop settings file, by its name (``settings.json`` or ``settings-store.json``)."""
    try:
        return FORMATS[file_name]
    except KeyError:
        raise ValueError(f"{file_name!r} is not a Docker Desktop settings file name ({', '.join(FILE_NAMES)})") from None


def upgrade_legacy(data: dict[str, Any]) -> dict[str, Any]:
    """The one step: a settings.json (<= 4.34) dict read in settings-store.json's spelling.

    Fixes: a pre-4.35 file says ``useContainerdSnapshotter``, which a reader of the new spelling
    would miss and then report the wrong store.
    """
    return LEGACY_FORMAT.to_current(data)


def unwrap(value: Any) -> tuple[Any, bool]:
    """``(value, locked)`` of a setting in either shape: plain, or ``{"value": ..., "locked": ...}``."""
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "locked"}:
        return value["value"], value.get("locked") is True
    return value, False


def rewrap(old: Any, new: Any) -> Any:
    """*new* in the shape *old* had: inside ``{"value": ..., "locked": ...}`` when it was one."""
    if isinstance(old, dict) and "value" in old and set(old) <= {"value", "locked"}:
        return {**old, "value": new}
    return new
