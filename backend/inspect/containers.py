"""Containers of both stores, from ``DATA/containers/<id>/config.v2.json``.

Both stores keep their containers in the same directory; the daemon loads only those of the store
it runs. Which store a container belongs to: the containerd store records the image's manifest in
``ImageManifest`` (Engine 25 and later) and names a snapshotter in ``Driver`` (``overlayfs``,
``native``, ``stargz``...); the classic store leaves ``ImageManifest`` null and names a graph
driver (``overlay2``, ``vfs``...). A driver name both use (``btrfs``, ``zfs``) is decided by
``ImageManifest``, then by whether it is the classic driver in use.
"""

from __future__ import annotations

import json
from pathlib import Path

from backend.inspect.model import ContainerRecord
from backend.stores import Store

SNAPSHOTTERS = frozenset({"overlayfs", "native", "stargz", "blockfile", "devmapper", "erofs", "nydus", "soci", "windows", "windows-lcow"})
GRAPH_DRIVERS = frozenset({"overlay2", "overlay", "aufs", "devicemapper", "vfs", "windowsfilter"})


def container_store(config: dict, classic_driver: str) -> Store:
    """The store a container's ``config.v2.json`` belongs to."""
    if isinstance(config.get("ImageManifest"), dict):
        return Store.CONTAINERD
    driver = str(config.get("Driver") or "")
    if driver in SNAPSHOTTERS:
        return Store.CONTAINERD
    if driver == classic_driver or driver in GRAPH_DRIVERS:
        return Store.CLASSIC
    return Store.CONTAINERD if driver else Store.CLASSIC


def _state(config: dict) -> str:
    state = config.get("State") if isinstance(config.get("State"), dict) else {}
    if state.get("Running"):
        return "paused" if state.get("Paused") else "running"
    if state.get("Dead"):
        return "dead"
    started = str(state.get("StartedAt") or "")
    return "created" if not started or started.startswith("0001-") else "exited"


def read_containers(containers_dir: Path, classic_driver: str) -> tuple[dict[Store, list[ContainerRecord]], list[str]]:
    """Every container under *containers_dir*, by store, and what could not be read."""
    found: dict[Store, list[ContainerRecord]] = {Store.CLASSIC: [], Store.CONTAINERD: []}
    errors: list[str] = []
    try:
        entries = sorted(p for p in Path(containers_dir).iterdir())
    except FileNotFoundError:
        return found, errors  # no container was ever created
    except OSError as exc:
        errors.append(f"{containers_dir}: cannot be listed ({exc.strerror or exc}); containers are unknown")
        return found, errors
    for entry in entries:
        config_path = entry / "config.v2.json"
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
            if not isinstance(config, dict):
                raise ValueError("not a JSON object")
        except FileNotFoundError:
            if entry.is_dir():
                errors.append(f"{config_path}: missing; container {entry.name[:12]} is not counted")
            continue
        except (OSError, ValueError) as exc:
            errors.append(f"{config_path}: cannot be read ({_why(exc)}); container {entry.name[:12]} is not counted")
            continue
        cfg = config.get("Config") if isinstance(config.get("Config"), dict) else {}
        record = ContainerRecord(
            id=str(config.get("ID") or entry.name),
            name=str(config.get("Name") or "").lstrip("/"),
            image=str(cfg.get("Image") or config.get("Image") or ""),
            driver=str(config.get("Driver") or ""),
            state=_state(config),
        )
        found[container_store(config, classic_driver)].append(record)
    return found, errors


def _why(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return f"not valid JSON: {exc}"
