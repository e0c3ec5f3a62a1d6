"""The classic image store, read from disk without an engine.

Layout under ``DATA/image/<driver>/`` (Engine 26; the same since 1.10):

* ``repositories.json``: ``{"Repositories": {repo: {"repo:tag" | "repo@sha256:...": image ID}}}``,
  the only place tags live;
* ``imagedb/content/sha256/<hex>``: one image config per image ID (all images, tagged or not);
  its ``rootfs.diff_ids`` name the layers;
* ``layerdb/sha256/<chain ID>/size``: a layer's own size in bytes, as decimal text. A layer's
  chain ID is its diff ID for the first layer, then ``sha256(parent chain ID + " " + diff ID)``.

An image's size is the sum of its layers' sizes, what ``docker image ls`` shows. Nothing here
raises for a damaged store: a missing ``repositories.json`` leaves the images listed by ID without
names, an unreadable image config leaves that image's size unknown, and each such fault is one
sentence in ``errors``.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from backend.inspect.model import ImageRecord, StoreInventory, is_tag
from backend.inspect.small_files import parse_json, read_bytes
from backend.stores import Store


def chain_ids(diff_ids: list[str]) -> list[str]:
    chains: list[str] = []
    for diff in diff_ids:
        if not chains:
            chains.append(diff)
        else:
            chains.append("sha256:" + hashlib.sha256(f"{chains[-1]} {diff}".encode()).hexdigest())
    return chains


def read_tags(image_dir: Path, errors: list[str]) -> dict[str, list[str]]:
    """Image ID -> its ``repo:tag`` names, from ``repositories.json``."""
    path = image_dir / "repositories.json"
    try:
        data = parse_json(path.read_text(encoding="utf-8"))
        repos = data.get("Repositories") if isinstance(data, dict) else None
        if not isinstance(repos, dict):
            raise ValueError("no 'Repositories' object")
    except FileNotFoundError:
        if image_dir.is_dir():
            errors.append(f"{path}: missing; image names (tags) of the classic store are unknown, images are listed by ID")
        return {}
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"not valid: {exc}"
        errors.append(f"{path}: cannot be read ({why}); image names (tags) of the classic store are unknown")
        return {}
    tags: dict[str, list[str]] = {}
    for refs in repos.values():
        if not isinstance(refs, dict):
            continue
        for ref, image_id in refs.items():
            if isinstance(ref, str) and isinstance(image_id, str) and is_tag(ref):
                tags.setdefault(image_id, []).append(ref)
    return tags


class _LayerSizes:
    """Layer sizes by chain ID, each ``size`` file read once however many images share it."""

    def __init__(self, layerdb: Path, errors: list[str]) -> None:
        self.layerdb = layerdb
        self.prefix = str(layerdb) + "/"
        self.errors = errors
        self.cache: dict[str, int | None] = {}

    def get(self, chain_id: str) -> int | None:
        if chain_id not in self.cache:
            algo, _, hexd = chain_id.partition(":")
            # A string path (pathlib's joins cost more than the read); pathlib's where a "/" in the
            # ID (a damaged config) would make it start over at the root, so the same file is read.
            path = self.layerdb / algo / hexd / "size" if "/" in chain_id else f"{self.prefix}{algo}/{hexd}/size"
            try:
                self.cache[chain_id] = int(read_bytes(str(path)).decode("ascii").strip())
            except (OSError, ValueError, UnicodeDecodeError) as exc:
                why = getattr(exc, "strerror", None) or "not a number"
                self.errors.append(f"{self.layerdb / algo / hexd / 'size'}: cannot be read ({why}); that layer's size is unknown")
                self.cache[chain_id] = None
        return self.cache[chain_id]


def image_size(config_path: Path | str, layers: _LayerSizes, errors: list[str]) -> int | None:
    try:
        config = parse_json(read_bytes(str(config_path)))
        diff_ids = config["rootfs"]["diff_ids"] or []
        if not isinstance(diff_ids, list):
            raise TypeError("diff_ids is not a list")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        errors.append(f"{config_path}: cannot be read ({getattr(exc, 'strerror', None) or exc}); that image's size is unknown")
        return None
    total = 0
    for chain in chain_ids([str(d) for d in diff_ids]):
        size = layers.get(chain)
        if size is None:
            return None
        total += size
    return total


def inspect_classic(image_dir: Path, roots: list[str] | None = None) -> StoreInventory:
    """Images of the classic store under *image_dir* (``DATA/image/<driver>``), by name and ID.

    Containers, bytes and free space are filled in by :func:`backend.inspect.inventory.inspect_stores`,
    which reads them for both stores at once.
    """
    image_dir = Path(image_dir)
    inv = StoreInventory(Store.CLASSIC, roots if roots is not None else [str(image_dir)])
    if not image_dir.exists():
        inv.notes.append(f"{image_dir} does not exist: the classic store was never used here")
        return inv
    tags = read_tags(image_dir, inv.errors)
    content = image_dir / "imagedb" / "content" / "sha256"
    layers = _LayerSizes(image_dir / "layerdb", inv.errors)
    ids: list[str] = []
    try:
        with os.scandir(content) as entries:
            ids = sorted("sha256:" + e.name for e in entries if len(e.name) == 64)
    except FileNotFoundError:
        if tags:
            inv.errors.append(f"{content}: missing; the images named in repositories.json have no configs")
    except OSError as exc:
        inv.errors.append(f"{content}: cannot be listed ({exc.strerror or exc}); images are known only by name")
    known = set(ids)
    content_str = str(content)
    # Tagged IDs with no config still count (they are what the user sees named), flagged once.
    dangling_refs = sorted(set(tags) - known)
    if ids and dangling_refs:
        inv.errors.append(f"{content}: {len(dangling_refs)} image(s) named in repositories.json have no config")
    for image_id in ids + dangling_refs:
        size = image_size(f"{content_str}/{image_id[7:]}", layers, inv.errors) if image_id in known else None
        names = sorted(tags.get(image_id, []))
        if names:
            inv.images.extend(ImageRecord(name, image_id, size) for name in names)
        else:
            inv.images.append(ImageRecord(None, image_id, size))
    return inv
