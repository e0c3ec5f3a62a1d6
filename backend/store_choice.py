"""Which image store an engine will run at its next start, decided by the engine's own rule.

``features.containerd-snapshotter`` is not the whole story. Before Engine 29 a daemon.json
without the key means the classic store (the store is off unless set). From Engine 29 the
containerd store is the default for fresh installs only ("containerd image store is now the
default for fresh installs. This doesn't apply to daemons configured with userns-remap",
https://docs.docker.com/engine/release-notes/29/#2900), and dockerd decides by a rule in moby's
``daemon/image_store_choice.go``, ``determineImageStoreChoice``. This module is that rule, in the
two forms Engine 29 has shipped (cited by file and line; moby commit b985e2313a, 2026-08-23, for
29.1 and later; tag docker-v29.0.0 for 29.0.x):

Engine 29.1 and later (``image_store_choice.go`` L94-153, since moby 391247ce96, "Fix image store
choice priority for prior graphdriver state", first in docker-v29.1.0):

1. the explicit key wins: ``true`` containerd, ``false`` classic (L115-124);
2. key absent and a non-empty prior graph-driver directory ``<data-root>/<driver>`` for a
   registered driver other than vfs (``graphdriver.HasPriorDriver`` / ``scanPriorDrivers``,
   ``daemon/graphdriver/driver.go`` L236-256) keeps the classic store (L130-134);
3. a driver name from the ``DOCKER_DRIVER`` environment, else ``storage-driver`` (L110-113):
   a registered graph driver (overlay2, fuse-overlayfs, btrfs, zfs, vfs:
   ``daemon/graphdriver/register/``) means classic (L137-139); any other name is taken as a
   snapshotter: containerd (L148-149); with the key explicitly ``false`` and a name that is no
   graph driver, dockerd refuses to start (L143-145);
4. else containerd (L105, L152).

Engine 29.0.x (docker-v29.0.0 ``image_store_choice.go`` L88-154) checks the driver name before the
prior directory, and only vfs, overlay2 and btrfs count as classic names there (L114-125): with
``storage-driver: overlayfs`` and a non-empty ``overlay2`` directory, 29.0 runs containerd and 29.1
runs classic.

userns-remap (``daemon/command/daemon_linux.go`` L28-40, since moby e1722eb8d8, in docker-v29.0.0):
with the key explicitly ``true`` dockerd refuses to start; otherwise it sets the key to ``false``
before the rule runs, so the store is classic.

No Engine 29 binary runs on these machines (Debian has 28.5.2 at most), so this is read, not seen;
``tests/unit/test_store_choice.py`` has one case per row, each citing its line.

Why by hand: the rule is dockerd's own code; no library states it. It lives here, next to
:func:`backend.stores.configured_store`, which stays the plain "what the key says" reading.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from packaging.version import Version

from backend.stores import FEATURE_KEY, Store

ENGINE_24 = Version("24.0")  # the containerd store's first engine; older ones ignore the key
ENGINE_29 = Version("29.0")
ENGINE_29_1 = Version("29.1")
MIGRATION_KEY = "containerd-migration"
MIGRATION_THRESHOLD_ENV = "DOCKER_MIGRATE_SNAPSHOTTER_THRESHOLD"
# Graph drivers registered on Linux (moby daemon/graphdriver/register/register_*.go); vfs is
# never a "prior" driver (driver.go L247: `driver != "vfs"`).
REGISTERED_GRAPH_DRIVERS = ("overlay2", "fuse-overlayfs", "btrfs", "zfs", "vfs")
PRIOR_DRIVERS = tuple(d for d in REGISTERED_GRAPH_DRIVERS if d != "vfs")
# Engine 29.0.x's classic names (docker-v29.0.0 image_store_choice.go L116-124).
CLASSIC_NAMES_29_0 = ("vfs", "overlay2", "btrfs")


@dataclass(frozen=True)
class StoreChoice:
    """The store the engine will run at its next start, and why, in words for people.

    ``store`` is None when the engine will refuse to start (``refusal`` says why). ``rule`` is a
    stable id for tools: ``explicit``, ``before-24``, ``before-29``, ``version-unknown``, ``userns-remap``,
    ``prior-driver``, ``driver-name``, ``engine-default``.
    """

    store: Store | None
    configured_by: str
    rule: str
    prior_driver_dir: Path | None = None
    refusal: str | None = None
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store.value if self.store else None,
            "configured_by": self.configured_by,
            "rule": self.rule,
            "prior_driver_dir": str(self.prior_driver_dir) if self.prior_driver_dir else None,
            "refusal": self.refusal,
            "notes": list(self.notes),
        }


def _is_empty_dir(path: Path) -> bool:
    """moby's ``isEmptyDir`` (driver.go L258-270): an unreadable directory counts as not empty."""
    try:
        with os.scandir(path) as entries:
            return next(entries, None) is None
    except OSError:
        return False


def prior_driver_dir(data_root: Path | None) -> Path | None:
    """The first non-empty ``<data-root>/<driver>`` of a registered graph driver (vfs ignored), or None.

    moby ``scanPriorDrivers`` (driver.go L243-256): ``os.Stat`` succeeds and the directory is not
    empty. Checked in the driver priority order (driver_linux.go L4) so the answer is stable.
    """
    if data_root is None:
        return None
    for driver in PRIOR_DRIVERS:
        path = Path(data_root) / driver
        if path.exists() and not _is_empty_dir(path):
            return path
    return None


def decide(
    config: Mapping[str, Any],
    engine_version: Version | None,
    data_root: Path | None,
    env: Mapping[str, str] | None = None,
) -> StoreChoice:
    """The store dockerd *engine_version* picks with daemon.json *config* and data-root *data_root*.

    *env* is the environment dockerd starts with (``DOCKER_DRIVER``); None: not known, taken as empty.
    """
    env = env or {}
    features = config.get("features")
    explicit = features.get(FEATURE_KEY) if isinstance(features, Mapping) and FEATURE_KEY in features else None
    userns = config.get("userns-remap")
    env_driver = env.get("DOCKER_DRIVER") or ""
    conf_driver = config.get("storage-driver") if isinstance(config.get("storage-driver"), str) else ""
    driver_name, driver_from = (env_driver, "DOCKER_DRIVER") if env_driver else (conf_driver, "storage-driver")
    notes = migration_notes(config, env)

    if explicit is True and engine_version is not None and engine_version < ENGINE_24:
        return StoreChoice(Store.CLASSIC, f"classic store: Docker Engine {engine_version} has no containerd image store "
                           f"(it came in 24.0) and ignores features.{FEATURE_KEY}", "before-24", notes=notes)
    if explicit is not None and (engine_version is None or engine_version < ENGINE_29):
        return _explicit(explicit, notes)
    if engine_version is not None and engine_version < ENGINE_29:
        return StoreChoice(Store.CLASSIC, f"engine default: classic store (Engine {engine_version} is before 29: "
                           f"the containerd store is off unless features.{FEATURE_KEY} is set)", "before-29", notes=notes)
    if engine_version is None and explicit is None:
        return StoreChoice(Store.CLASSIC, "engine default: classic store (the engine's version is unknown; "
                           f"before Engine 29 the containerd store is off unless {FEATURE_KEY} is set, "
                           "Engine 29 decides by its own rule)", "version-unknown", notes=notes)
    if userns:
        # daemon_linux.go L31-40: explicit true refuses to start; otherwise the key becomes false.
        if explicit is True:
            refusal = (f"Engine 29 refuses to start with both {FEATURE_KEY}: true and userns-remap "
                       "(\"containerd-snapshotter is explicitly enabled, but is not compatible with userns remapping\")")
            return StoreChoice(None, refusal, "userns-remap", refusal=refusal, notes=notes)
        if explicit is None:
            if driver_name and driver_name not in REGISTERED_GRAPH_DRIVERS:
                refusal = (f"Engine 29 refuses to start: userns-remap turns the containerd store off, and "
                           f"{driver_from} {driver_name!r} is no graph driver of the classic store")
                return StoreChoice(None, refusal, "userns-remap", refusal=refusal, notes=notes)
            return StoreChoice(Store.CLASSIC, "engine default: classic store (Engine 29 turns the containerd "
                               "store off when userns-remap is set)", "userns-remap", notes=notes)
    if explicit is not None:
        if explicit is False and driver_name and driver_name not in REGISTERED_GRAPH_DRIVERS:
            # image_store_choice.go L140-145
            refusal = (f"Engine 29 refuses to start: {FEATURE_KEY} is false (classic store) but {driver_from} "
                       f"{driver_name!r} is no graph driver (\"graphdriver is explicitly enabled but "
                       f"{driver_name!r} is not registered\")")
            return StoreChoice(None, refusal, "explicit", refusal=refusal, notes=notes)
        return _explicit(explicit, notes)

    prior = prior_driver_dir(data_root)
    v29_0 = engine_version is not None and engine_version < ENGINE_29_1
    if driver_name and v29_0:
        # docker-v29.0.0 image_store_choice.go L114-145: the name first, three classic names.
        if driver_name in CLASSIC_NAMES_29_0:
            return _by_name(Store.CLASSIC, driver_name, driver_from, notes)
        return _by_name(Store.CONTAINERD, driver_name, driver_from, notes)
    if prior is not None:
        # image_store_choice.go L130-134 (29.0: L147-151)
        return StoreChoice(
            Store.CLASSIC,
            f"engine default: classic store (Engine 29: `{prior}` is not empty, so the engine keeps the classic "
            "store it ran before)",
            "prior-driver", prior_driver_dir=prior,
            notes=(f"emptying {prior} would flip this engine to the containerd store at its next start "
                   f"(set features.{FEATURE_KEY} explicitly to keep a store)", *notes),
        )
    if driver_name:
        # image_store_choice.go L136-149
        store = Store.CLASSIC if driver_name in REGISTERED_GRAPH_DRIVERS else Store.CONTAINERD
        return _by_name(store, driver_name, driver_from, notes)
    overlay = Path(data_root) / "overlay2" if data_root is not None else "<data-root>/overlay2"
    return StoreChoice(Store.CONTAINERD, f"engine default: containerd store (Engine 29: `{overlay}` is empty)",
                       "engine-default", notes=notes)


def _explicit(value: Any, notes: tuple[str, ...]) -> StoreChoice:
    store = Store.CONTAINERD if value is True else Store.CLASSIC
    return StoreChoice(store, f"daemon.json: features.{FEATURE_KEY} is {str(value is True).lower()}", "explicit", notes=notes)


def _by_name(store: Store, name: str, source: str, notes: tuple[str, ...]) -> StoreChoice:
    what = "a classic graph driver" if store is Store.CLASSIC else "not a graph driver, so a containerd snapshotter"
    return StoreChoice(store, f"engine default: {store.title} (Engine 29: {source} {name!r} is {what})", "driver-name", notes=notes)


def migration_notes(config: Mapping[str, Any], env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """What ``features.containerd-migration`` makes the engine do at its next start (daemon.go L930-946, L1223-1272).

    Experimental in Engine 29; storeswitch never sets it. The engine migrates the classic store's
    images into the containerd store only when the classic store has no containers, and by default
    only when it has no images either; ``DOCKER_MIGRATE_SNAPSHOTTER_THRESHOLD`` (a size such as
    ``2GB``) lets it migrate images up to that total layer size.
    """
    features = config.get("features")
    if not (isinstance(features, Mapping) and features.get(MIGRATION_KEY) is True):
        return ()
    threshold = (env or {}).get(MIGRATION_THRESHOLD_ENV)
    size = (f"images up to {threshold} in total ({MIGRATION_THRESHOLD_ENV})" if threshold
            else f"only when there are no images either ({MIGRATION_THRESHOLD_ENV} unset)")
    return (f"features.{MIGRATION_KEY} is set (experimental, Engine 29+; storeswitch never sets it): at its next start "
            f"the engine moves the classic store's images into the containerd store and switches to it, if the classic "
            f"store has no containers, {size}; otherwise it stays where it is",)


# --- for a target: its engine's version, data-root and environment ---------------------------
def target_data_root(target: Any, config: Mapping[str, Any]) -> Path | None:
    """The data-root the target's engine uses: the managed engine's own, else daemon.json's, else the default."""
    engine = getattr(target, "engine", None)
    if getattr(target, "name", None) == "managed" and engine is not None:
        return Path(engine.data_root)
    if isinstance(config.get("data-root"), str):
        return Path(config["data-root"])
    default = getattr(target, "default_data_root", None)
    return Path(default) if default else None


def target_choice(target: Any, config: Mapping[str, Any], engine_version: Version | None = None,
                  data_root: Path | None = None) -> StoreChoice:
    """:func:`decide` for *target*: *engine_version* from the live engine, else from its dockerd binary.

    The managed engine inherits storeswitch's environment (``DOCKER_DRIVER``); a service's is not
    known here and is taken as empty.
    """
    if engine_version is None:
        from backend.engine.version import target_dockerd_version

        engine_version = target_dockerd_version(target)
    env = os.environ if getattr(target, "name", None) == "managed" else None
    return decide(config, engine_version, data_root or target_data_root(target, config), env)
