"""Synthetic image stores on disk, laid out as Engine 26 lays them out, for tests and benchmarks.

A real engine makes a handful of images in seconds; these make 10,000 in seconds, and make the
damaged stores (a missing ``repositories.json``, a broken ``meta.db``) that an engine never
makes on demand. The layouts are the ones seen in a real data-root (see
``docs/engine-facts.md`` in shared/ and :mod:`backend.inspect.classic` / ``containerd``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from backend.inspect.classic import chain_ids
from tests.bbolt_writer import containerd_meta_tree, write_bbolt


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class Expected:
    names: set[str] = field(default_factory=set)
    ids: set[str] = field(default_factory=set)
    sizes: dict[str, int] = field(default_factory=dict)  # id -> image size


def make_classic(data_root: Path, names: list[str], driver: str = "overlay2", untagged: int = 0) -> Expected:
    """Images sharing one base layer plus one own layer each; ``untagged`` more with no name."""
    image_dir = data_root / "image" / driver
    content = image_dir / "imagedb" / "content" / "sha256"
    layerdb = image_dir / "layerdb" / "sha256"
    content.mkdir(parents=True, exist_ok=True)
    layerdb.mkdir(parents=True, exist_ok=True)
    (data_root / driver).mkdir(parents=True, exist_ok=True)
    base_diff = sha(b"base layer")
    base_size = 1000
    exp = Expected()
    repos: dict[str, dict[str, str]] = {}
    written_layers: set[str] = set()
    for i, name in enumerate([*names, *[None] * untagged]):
        own_diff = sha(f"layer {i} {name}".encode())
        own_size = 10 + i
        config = {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [base_diff, own_diff]},
            "created": "2026-01-01T00:00:00Z",
            "comment": f"synthetic {i}",
        }
        raw = json.dumps(config, separators=(",", ":")).encode()
        image_id = sha(raw)
        (content / image_id[7:]).write_bytes(raw)
        for chain, diff_id, size in zip(chain_ids([base_diff, own_diff]), (base_diff, own_diff), (base_size, own_size)):
            if chain in written_layers:
                continue
            written_layers.add(chain)
            d = layerdb / chain[7:]
            d.mkdir()
            (d / "size").write_text(str(size))
            (d / "diff").write_text(diff_id)
            cache_id = hashlib.sha256(chain.encode()).hexdigest()
            (d / "cache-id").write_text(cache_id)
            diff = data_root / driver / cache_id / "diff"
            diff.mkdir(parents=True)
            (diff / "file").write_bytes(b"x" * size)
        exp.ids.add(image_id)
        exp.sizes[image_id] = base_size + own_size
        if name:
            repo = name.rsplit(":", 1)[0]
            repos.setdefault(repo, {})[name] = image_id
            exp.names.add(name)
    (image_dir / "repositories.json").write_text(json.dumps({"Repositories": repos}))
    return exp


def make_containerd(root: Path, names: list[str], qualify: bool = True) -> Expected:
    """One manifest, config and layer blob per image; names fully qualified in meta.db like dockerd's."""
    blobs = root / "io.containerd.content.v1.content" / "blobs" / "sha256"
    blobs.mkdir(parents=True, exist_ok=True)
    (root / "io.containerd.metadata.v1.bolt").mkdir(parents=True, exist_ok=True)
    exp = Expected()
    images: dict[str, tuple[str, int]] = {}
    blob_sizes: dict[str, int] = {}

    def put(data: bytes) -> tuple[str, int]:
        digest = sha(data)
        (blobs / digest[7:]).write_bytes(data)
        blob_sizes[digest] = len(data)
        return digest, len(data)

    for i, name in enumerate(names):
        layer = put(f"layer bytes {i} {name}".encode() * 4)
        config = put(json.dumps({"rootfs": {"type": "layers", "diff_ids": [layer[0]]}, "n": i}).encode())
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer[0], "size": layer[1]}],
        }
        target = put(json.dumps(manifest).encode())
        stored = name
        if qualify and name.count("/") == 0:
            stored = f"docker.io/library/{name}"
        elif qualify and not name.split("/", 1)[0].count("."):
            stored = f"docker.io/{name}"
        images[stored] = target
        exp.names.add(name)
        exp.ids.add(target[0])
        exp.sizes[target[0]] = layer[1] + config[1] + target[1]
    write_bbolt(root / "io.containerd.metadata.v1.bolt" / "meta.db", containerd_meta_tree(images, blobs=blob_sizes))
    return exp


def make_container(data_root: Path, cid: str, name: str, image: str, driver: str, manifest: dict | None = None) -> None:
    d = data_root / "containers" / cid
    d.mkdir(parents=True, exist_ok=True)
    config = {
        "ID": cid,
        "Name": "/" + name,
        "Driver": driver,
        "Config": {"Image": image},
        "Image": "sha256:" + "0" * 64,
        "ImageManifest": manifest,
        "State": {"Running": False, "StartedAt": "0001-01-01T00:00:00Z"},
    }
    (d / "config.v2.json").write_text(json.dumps(config))
