"""A tiny multi-platform OCI image archive, made on the fly, and a reader for what comes back.

The multi-platform check (:mod:`backend.multiplatform`) loads such an archive with
``POST /images/load`` and exports it again with ``GET /images/get``. The archive is an OCI
image layout in a tar (``oci-layout``, ``index.json``, ``blobs/sha256/...``): ``index.json``
points at one image index (named by the ``io.containerd.image.name`` annotation, which
``docker load`` uses as the image's name) that lists one manifest per platform, each with its
own config blob and one tiny uncompressed layer holding a file that names the platform.

Why by hand: the OCI layout is a few JSON documents and a tar; the Python OCI libraries
(oras-py and friends) talk to registries and do not build layouts in memory. The reader follows
descriptors from ``index.json`` (through nested indexes, as ``docker save`` writes them on the
containerd store) and reports which platforms are there *with* their manifest, config and layer
blobs, so a platform named in an index whose content was dropped does not count as kept.

Everything is deterministic for a given name (tar mtimes are 0), so archives are reproducible.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from typing import Any, Iterable

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = (OCI_INDEX, DOCKER_MANIFEST_LIST)
MANIFEST_TYPES = (OCI_MANIFEST, DOCKER_MANIFEST)
NAME_ANNOTATION = "io.containerd.image.name"
REF_ANNOTATION = "org.opencontainers.image.ref.name"
DEFAULT_PLATFORMS: tuple[str, ...] = ("linux/amd64", "linux/arm64")


class ArchiveError(ValueError):
    """An archive that is not a readable OCI layout; the text says what is missing."""


@dataclass(frozen=True)
class OciArchive:
    """A generated archive: its tar bytes, the image name it carries and its platforms."""

    data: bytes
    name: str
    platforms: tuple[str, ...]
    index_digest: str


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _json(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def _descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": _digest(data), "size": len(data), **extra}


def _tar(files: Iterable[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, content in files:
            info = tarfile.TarInfo(name)
            info.size = len(content)
            info.mode = 0o644
            info.mtime = 0
            tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def split_platform(platform: str) -> dict[str, str]:
    """``linux/arm64/v8`` -> ``{"os": "linux", "architecture": "arm64", "variant": "v8"}``."""
    parts = platform.split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"platform {platform!r} is not OS/ARCH or OS/ARCH/VARIANT (e.g. linux/arm64)")
    out = {"os": parts[0], "architecture": parts[1]}
    if len(parts) == 3:
        out["variant"] = parts[2]
    return out


def join_platform(p: dict[str, Any]) -> str:
    parts = [str(p.get("os", "?")), str(p.get("architecture", "?"))]
    if p.get("variant"):
        parts.append(str(p["variant"]))
    return "/".join(parts)


def build_archive(name: str, platforms: Iterable[str] = DEFAULT_PLATFORMS) -> OciArchive:
    """An OCI layout tar holding *name* as an index of one tiny image per platform.

    *name* should be a full reference (``docker.io/library/x:tag``): the containerd store keeps
    the annotation as the image name verbatim.
    """
    platforms = tuple(platforms)
    if not platforms:
        raise ValueError("at least one platform is needed")
    blobs: dict[str, bytes] = {}

    def add(data: bytes) -> None:
        blobs[_digest(data)] = data

    manifests = []
    for platform in platforms:
        plat = split_platform(platform)
        layer = _tar([("platform.txt", f"storeswitch multi-platform check: {platform}\n".encode())])
        add(layer)
        config = _json({
            **plat,
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [_digest(layer)]},
            "history": [{"created_by": "storeswitch check multiplatform"}],
        })
        add(config)
        manifest = _json({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": _descriptor(OCI_CONFIG, config),
            "layers": [_descriptor(OCI_LAYER, layer)],
        })
        add(manifest)
        manifests.append(_descriptor(OCI_MANIFEST, manifest, platform=plat))
    index = _json({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests})
    add(index)
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else "latest"
    top = {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [_descriptor(OCI_INDEX, index, annotations={NAME_ANNOTATION: name, REF_ANNOTATION: tag})],
    }
    files = [("oci-layout", _json({"imageLayoutVersion": "1.0.0"})), ("index.json", _json(top))]
    files += [(f"blobs/sha256/{d.split(':', 1)[1]}", data) for d, data in sorted(blobs.items())]
    return OciArchive(_tar(files), name, platforms, _digest(index))


# --- reading an exported archive -----------------------------------------------------------
def read_members(data: bytes) -> dict[str, bytes]:
    """Every regular file of a tar, by normalised path."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
            return {
                m.name.removeprefix("./"): tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers()
                if m.isfile()
            }
    except tarfile.TarError as exc:
        raise ArchiveError(f"the exported archive is not a tar file ({exc})") from exc


def complete_platforms(data: bytes) -> list[str]:
    """The platforms of an exported archive whose manifest, config and layers are all present.

    Follows ``index.json`` through nested indexes. A manifest without a ``platform`` field
    (``docker save`` of a single-platform image) is placed by its config's os/architecture.
    """
    files = read_members(data)
    if "index.json" not in files:
        raise ArchiveError("the exported archive has no index.json: it is not an OCI layout")

    def blob(digest: str) -> bytes | None:
        algo, _, hexd = str(digest).partition(":")
        return files.get(f"blobs/{algo}/{hexd}")

    def load(raw: bytes | None) -> dict[str, Any] | None:
        try:
            doc = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        return doc if isinstance(doc, dict) else None

    found: list[str] = []
    seen: set[str] = set()

    def walk(index: dict[str, Any], depth: int) -> None:
        for desc in index.get("manifests") or []:
            if not isinstance(desc, dict) or desc.get("digest") in seen or depth > 8:
                continue
            seen.add(desc.get("digest"))
            doc = load(blob(desc.get("digest", "")))
            if doc is None:
                continue
            kind = desc.get("mediaType") or doc.get("mediaType")
            if kind in INDEX_TYPES or "manifests" in doc:
                walk(doc, depth + 1)
                continue
            if kind not in MANIFEST_TYPES and "layers" not in doc:
                continue
            config = load(blob((doc.get("config") or {}).get("digest", "")))
            layers_ok = all(blob(layer.get("digest", "")) is not None for layer in doc.get("layers") or [])
            if config is None or not layers_ok:
                continue
            platform = desc.get("platform") or {k: config.get(k) for k in ("os", "architecture", "variant")}
            name = join_platform(platform)
            if name not in found:
                found.append(name)

    top = load(files["index.json"])
    if top is None:
        raise ArchiveError("the exported archive's index.json is not a JSON object")
    walk(top, 0)
    return found
