"""What each image of a store holds on disk, as a graph: the bytes removing some images would free.

An image owns *units*: files or directories that go when nothing else needs them. Two images
that share a base layer share its unit, and removing one of them frees nothing of it. So the
bytes a removal frees are the sizes of the units reached from the removed images (and removed
containers) and from nothing kept: :meth:`StoreGraph.freed`. The sizes are ``du -sb`` figures
(:func:`backend.inspect.sizes.disk_usage`, the measure the real run uses before and after), so
the dry run's estimate and the measured result are the same kind of number.

The units, read from disk with no engine (the layouts of :mod:`backend.inspect.classic` and
:mod:`backend.inspect.containerd`):

* classic (``DATA/image/<driver>`` and ``DATA/<driver>``): the image config and its metadata
  directory; each layer by chain ID: ``layerdb/sha256/<chain>`` and the driver's directory named
  by its ``cache-id`` (plus overlay2's short link in ``l/``); a container's read-write layer
  (``layerdb/mounts/<id>``: ``mount-id`` and ``init-id``). An untagged parent image whose child is
  kept stays (the engine refuses to remove it).
* containerd (``<root>``): every content blob an image's target reaches (index, manifests,
  configs, layers), and each unpacked layer's snapshot: the chain IDs of each manifest's config
  name snapshots in ``meta.db`` (``v1/moby/snapshots/<snapshotter>/<chain>``, whose ``name`` is
  the snapshotter's key), and the snapshotter's own ``metadata.db`` (``v1/snapshots/<key>/id``)
  gives the directory ``snapshots/<id>``. A container's snapshots are keyed by its ID (and
  ``<id>-init``).

Hand-written because no library reads these stores without their engine; the bbolt reading
reuses :mod:`backend.inspect.bbolt`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from backend.inspect.bbolt import BboltError, BboltReader, read_consistent
from backend.inspect.classic import chain_ids, read_tags
from backend.inspect.containerd import BLOBS, META_DB, NAMESPACE, read_image_targets
from backend.inspect.model import DANGLING_PREFIX, familiar_name, is_tag
from backend.inspect.sizes import disk_usage
from backend.stores import Store, StoreRoots


@dataclass
class GraphImage:
    """One image (by ID) of the store: its names and the units it owns."""

    id: str
    names: list[str] = field(default_factory=list)
    units: set[str] = field(default_factory=set)
    parent: str | None = None  # classic: the image it was built on (the engine keeps a parent whose child stays)


@dataclass
class GraphContainer:
    id: str
    name: str
    image_id: str
    state: str
    units: set[str] = field(default_factory=set)


@dataclass
class StoreGraph:
    store: Store
    images: dict[str, GraphImage] = field(default_factory=dict)
    containers: list[GraphContainer] = field(default_factory=list)
    unit_paths: dict[str, list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    snapshot_dirs: dict[str, dict[str, str]] = field(default_factory=dict)  # containerd: snapshotter -> key -> dir
    _sizes: dict[str, int] = field(default_factory=dict)

    def size(self, unit: str) -> int:
        if unit not in self._sizes:
            self._sizes[unit] = disk_usage(self.unit_paths.get(unit, [])).bytes
        return self._sizes[unit]

    def units_of(self, image_ids: set[str], container_ids: set[str] = frozenset()) -> set[str]:  # type: ignore[assignment]
        units = {u for i in image_ids if i in self.images for u in self.images[i].units}
        return units | {u for c in self.containers if c.id in container_ids for u in c.units}

    def freed(self, removed_images: set[str], removed_containers: set[str] = frozenset()) -> int:  # type: ignore[assignment]
        """Bytes freed by removing *removed_images* (and containers): their units no kept thing needs."""
        kept_images = set(self.images) - set(removed_images)
        kept_containers = {c.id for c in self.containers} - set(removed_containers)
        kept = self.units_of(kept_images, kept_containers)
        return sum(self.size(u) for u in self.units_of(set(removed_images), set(removed_containers)) - kept)

    def unique_bytes(self, image_id: str) -> int:
        """Bytes of *image_id* that no other image shares (its own figure in the list)."""
        others = self.units_of(set(self.images) - {image_id})
        return sum(self.size(u) for u in self.images[image_id].units - others)


def read_graph(store: Store, roots: StoreRoots, data_root: Path) -> StoreGraph:
    """The graph of *store* under *roots*, read from disk (never raises for a damaged store)."""
    graph = StoreGraph(store)
    try:
        if store is Store.CLASSIC:
            _read_classic(graph, Path(roots.roots[0]), Path(roots.roots[1]) if len(roots.roots) > 1 else None)
        else:
            _read_containerd(graph, Path(roots.roots[0]))
    except PermissionError as exc:
        graph.errors.append(f"{exc.filename or 'the engine files'}: permission denied (run as root)")
    _read_containers(graph, Path(data_root) / "containers", roots)
    return graph


# --- classic ---------------------------------------------------------------------------
def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _layer_paths(image_dir: Path, layers_dir: Path | None, cache_id: str | None) -> list[str]:
    if not cache_id or layers_dir is None:
        return []
    paths = [str(layers_dir / cache_id)]
    link = _read_text(layers_dir / cache_id / "link")
    if link:
        paths.append(str(layers_dir / "l" / link))
    return paths


def _read_classic(graph: StoreGraph, image_dir: Path, layers_dir: Path | None) -> None:
    if not image_dir.exists():
        return
    tags = read_tags(image_dir, graph.errors)
    content = image_dir / "imagedb" / "content" / "sha256"
    metadata = image_dir / "imagedb" / "metadata" / "sha256"
    layerdb = image_dir / "layerdb" / "sha256"
    try:
        hexes = sorted(e.name for e in os.scandir(content) if len(e.name) == 64)
    except FileNotFoundError:
        hexes = []
    for hexd in hexes:
        image_id = f"sha256:{hexd}"
        image = GraphImage(image_id, sorted(tags.get(image_id, [])))
        unit = f"config:{hexd}"
        graph.unit_paths[unit] = [str(content / hexd), str(metadata / hexd)]
        image.units.add(unit)
        parent = _read_text(metadata / hexd / "parent")
        image.parent = parent or None
        try:
            config = json.loads((content / hexd).read_bytes())
            diff_ids = [str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or []]
        except (OSError, ValueError, AttributeError) as exc:
            graph.errors.append(f"{content / hexd}: cannot be read ({exc}); its layers are not counted")
            diff_ids = []
        for chain in chain_ids(diff_ids):
            unit = f"layer:{chain}"
            if unit not in graph.unit_paths:
                hex_chain = chain.partition(":")[2]
                cache_id = _read_text(layerdb / hex_chain / "cache-id")
                graph.unit_paths[unit] = [str(layerdb / hex_chain), *_layer_paths(image_dir, layers_dir, cache_id)]
            image.units.add(unit)
        graph.images[image_id] = image


def _classic_container_units(graph: StoreGraph, image_dir: Path, layers_dir: Path | None, container_id: str) -> set[str]:
    mounts = image_dir / "layerdb" / "mounts" / container_id
    if not mounts.exists():
        return set()
    unit = f"rw:{container_id}"
    paths = [str(mounts)]
    for name in ("mount-id", "init-id"):
        paths += _layer_paths(image_dir, layers_dir, _read_text(mounts / name))
    graph.unit_paths[unit] = paths
    return {unit}


# --- containerd -------------------------------------------------------------------------
def _snapshot_dirs(root: Path) -> dict[str, dict[str, str]]:
    """snapshotter -> {snapshot key in meta.db -> its directory}, for every snapshotter with a metadata.db."""
    found: dict[str, dict[str, str]] = {}
    meta = root / META_DB
    try:
        names = read_consistent(meta, lambda r: _snapshot_names(r))
    except BboltError:
        return found
    for snapshotter, keys in names.items():
        sroot = root / f"io.containerd.snapshotter.v1.{snapshotter}"
        try:
            ids = read_consistent(sroot / "metadata.db", _snapshot_ids)
        except BboltError:
            continue
        found[snapshotter] = {key: str(sroot / "snapshots" / str(ids[name])) for key, name in keys.items() if name in ids}
    return found


def _snapshot_names(reader: BboltReader) -> dict[str, dict[str, str]]:
    bucket = reader.bucket("v1", NAMESPACE, "snapshots")
    if bucket is None:
        return {}
    names: dict[str, dict[str, str]] = {}
    for snapshotter, sb in bucket.items():
        if not hasattr(sb, "items"):
            continue
        for key, kb in sb.items():
            name = kb.get(b"name") if hasattr(kb, "get") else None
            if name:
                names.setdefault(snapshotter.decode(), {})[key.decode("utf-8", "replace")] = name.decode("utf-8", "replace")
    return names


def _snapshot_ids(reader: BboltReader) -> dict[str, int]:
    bucket = reader.bucket("v1", "snapshots")
    ids: dict[str, int] = {}
    if bucket is None:
        return ids
    for key, kb in bucket.items():
        raw = kb.get(b"id") if hasattr(kb, "get") else None
        if raw:
            try:
                ids[key.decode("utf-8", "replace")] = decode_uvarint(raw)
            except ValueError:
                continue
    return ids


def decode_uvarint(data: bytes) -> int:
    """Go's ``binary.Uvarint``, which containerd's snapshotter storage uses for snapshot IDs
    (``snapshots/storage/bolt.go``: ``encodeID``); raises ValueError on bad input."""
    result = shift = 0
    for i, byte in enumerate(data[:10]):
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result
        shift += 7
    raise ValueError(f"not a uvarint: {data[:10].hex()}")


def _read_json_blob(blobs: Path, digest: str) -> dict | None:
    algo, _, hexd = digest.partition(":")
    try:
        doc = json.loads((blobs / algo / hexd).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _blob_unit(graph: StoreGraph, blobs: Path, digest: str, units: set[str]) -> bool:
    """Add the blob *digest* to *units*; False when it is not in the store or was added already."""
    algo, _, hexd = digest.partition(":")
    path = blobs / algo / hexd
    unit = f"blob:{digest}"
    if unit in units or not path.exists():
        return False
    graph.unit_paths.setdefault(unit, [str(path)])
    units.add(unit)
    return True


def _reach(graph: StoreGraph, blobs: Path, digest: str, snapshots: dict[str, dict[str, str]], units: set[str], depth: int = 0) -> None:
    """The blobs (and unpacked snapshots) reached from the index or manifest *digest*."""
    if depth > 4 or not _blob_unit(graph, blobs, digest, units):
        return
    doc = _read_json_blob(blobs, digest)
    if doc is None:
        return
    for child in doc.get("manifests") or []:
        if isinstance(child, dict) and isinstance(child.get("digest"), str):
            _reach(graph, blobs, child["digest"], snapshots, units, depth + 1)
    for layer in doc.get("layers") or []:
        if isinstance(layer, dict) and isinstance(layer.get("digest"), str):
            _blob_unit(graph, blobs, layer["digest"], units)
    config = doc.get("config")
    if not (isinstance(config, dict) and isinstance(config.get("digest"), str)):
        return
    _blob_unit(graph, blobs, config["digest"], units)
    rootfs = (_read_json_blob(blobs, config["digest"]) or {}).get("rootfs")
    diff_ids = [str(d) for d in (rootfs.get("diff_ids") or [])] if isinstance(rootfs, dict) else []
    for chain in chain_ids(diff_ids):
        for snapshotter, dirs in snapshots.items():
            if chain in dirs:
                unit = f"snapshot:{snapshotter}:{chain}"
                graph.unit_paths[unit] = [dirs[chain]]
                units.add(unit)


def _read_containerd(graph: StoreGraph, root: Path) -> None:
    if not root.exists():
        return
    try:
        targets = read_consistent(root / META_DB, read_image_targets)
    except BboltError as exc:
        if (root / META_DB).exists():
            graph.errors.append(f"{exc}; the containerd store's images are unknown")
        return
    blobs = root / BLOBS
    snapshots = _snapshot_dirs(root)
    graph.snapshot_dirs = snapshots  # the containers' snapshots too (_read_containers)
    for name, digest, _media, _size in sorted(targets):
        image = graph.images.setdefault(digest, GraphImage(digest))
        if not name.startswith(DANGLING_PREFIX) and is_tag(name):
            image.names.append(familiar_name(name))
        if not image.units:
            _reach(graph, blobs, digest, snapshots, image.units)


def _containerd_container_units(graph: StoreGraph, container_id: str) -> set[str]:
    units = set()
    for snapshotter, dirs in graph.snapshot_dirs.items():
        for key in (container_id, f"{container_id}-init"):
            if key in dirs:
                unit = f"snapshot:{snapshotter}:{key}"
                graph.unit_paths[unit] = [dirs[key]]
                units.add(unit)
    return units


# --- containers -------------------------------------------------------------------------
def _read_containers(graph: StoreGraph, containers_dir: Path, roots: StoreRoots) -> None:
    from backend.inspect.containers import _state, container_store

    image_dir = Path(roots.roots[0])
    classic_driver = image_dir.name if graph.store is Store.CLASSIC else "overlay2"
    try:
        entries = sorted(containers_dir.iterdir())
    except OSError:
        return
    for entry in entries:
        try:
            config = json.loads((entry / "config.v2.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(config, dict) or container_store(config, classic_driver) is not graph.store:
            continue
        cid = str(config.get("ID") or entry.name)
        if graph.store is Store.CLASSIC:
            layers = Path(roots.roots[1]) if len(roots.roots) > 1 else None
            units = _classic_container_units(graph, image_dir, layers, cid)
        else:
            units = _containerd_container_units(graph, cid)
        graph.containers.append(GraphContainer(
            cid, str(config.get("Name") or "").lstrip("/"), str(config.get("Image") or ""), _state(config), units))
