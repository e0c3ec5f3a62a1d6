"""The images a switch can bring along: the live store's tagged images, their platforms and sizes,
and what an exported archive says about them.

Both the CLI's ``--bring`` and the GUI's list (``bringImagesList``) read the same listing, so a
name the window shows is a name the switch accepts. Platforms come from the engine where it says
them: the classic store holds one platform per image (``/images/{id}/json``: Os, Architecture,
Variant); the containerd store lists an image's platform manifests from API 1.47
(``/images/json?manifests=1``). Older engines on the containerd store (Engine 26: API 1.45) do not,
so there the image's target blob is read from containerd's content store on disk (an index names
its platforms; a manifest's config names its one platform), as :mod:`backend.inspect.containerd`
does for the hidden store.

The archive facts (:func:`archive_facts`) are read from the export itself: ``manifest.json``
(``docker save``'s own format, which both stores write) gives each tag's config blob, and
``index.json`` each tag's manifest, so the verification after the import compares content
digests, not names.
"""

from __future__ import annotations

import json
import tarfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from backend.engine.api import EngineClient
from backend.errors import EngineError
from backend.inspect.model import familiar_name
from backend.oci_archive import INDEX_TYPES, NAME_ANNOTATION, join_platform
from backend.stores import Store

UNKNOWN_PLATFORM = "unknown/unknown"  # BuildKit's attestation manifests carry this; they are not a platform


@dataclass
class ImageChoice:
    """One image of the live store, as the list shows it and the switch brings it."""

    tags: list[str]
    id: str
    size: int
    platforms: list[str] | None  # None: not known on this engine
    created: int = 0

    @property
    def name(self) -> str:
        return self.tags[0]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tags": self.tags, "id": self.id, "size": self.size, "platforms": self.platforms}


def api_at_least(client: EngineClient, version: str) -> bool:
    def parts(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split(".") if p.isdigit())

    return parts(client.api_version) >= parts(version)


def host_platform(client: EngineClient) -> str:
    """The engine's own platform, as Go names it (``/version``: Os, Arch), e.g. ``linux/amd64``."""
    version = client.version()
    return f"{version.get('Os', 'linux')}/{version.get('Arch', 'amd64')}"


def list_images(client: EngineClient, store: Store, blobs_dir: Path | None = None) -> list[ImageChoice]:
    """The live store's tagged images, largest first; untagged ones cannot be named and are left out."""
    containerd_manifests = store is Store.CONTAINERD and api_at_least(client, "1.47")
    listing = client.images_with_manifests() if containerd_manifests else client.images(all=False)
    found = []
    for img in listing:
        tags = [t for t in (img.get("RepoTags") or []) if t and t != "<none>:<none>"]
        if not tags:
            continue
        if store is Store.CLASSIC:
            platforms = _classic_platforms(client, img["Id"])
        elif containerd_manifests:
            platforms = _listed_platforms(img.get("Manifests"))
        else:
            platforms = target_platforms(blobs_dir, img["Id"]) if blobs_dir is not None else None
        found.append(ImageChoice(sorted(tags), img["Id"], int(img.get("Size") or 0), platforms, int(img.get("Created") or 0)))
    found.sort(key=lambda c: (-c.size, c.name))
    return found


def _classic_platforms(client: EngineClient, ident: str) -> list[str] | None:
    try:
        data = client.inspect_image(ident)
    except EngineError:
        return None
    return [join_platform({"os": data.get("Os", ""), "architecture": data.get("Architecture", ""),
                           "variant": data.get("Variant", "")})]


def _listed_platforms(manifests: Any) -> list[str] | None:
    if not isinstance(manifests, list):
        return None
    found = []
    for m in manifests:
        if not isinstance(m, dict) or m.get("Kind") != "image":
            continue
        plat = ((m.get("ImageData") or {}).get("Platform")) or {}
        name = join_platform(plat)
        if "?" not in name and name != UNKNOWN_PLATFORM and name not in found:
            found.append(name)
    return found or None


def target_platforms(blobs_dir: Path, digest: str) -> list[str] | None:
    """The platforms an image's target names, read from containerd's content store (None: unreadable)."""
    doc = _blob_json(blobs_dir, digest)
    if not isinstance(doc, dict):
        return None
    if doc.get("mediaType") in INDEX_TYPES or "manifests" in doc:
        names = [join_platform(m.get("platform") or {}) for m in doc.get("manifests", []) if isinstance(m, dict)]
        return [n for n in dict.fromkeys(names) if "?" not in n and n != UNKNOWN_PLATFORM] or None
    config = doc.get("config")
    conf = _blob_json(blobs_dir, config.get("digest", "")) if isinstance(config, dict) else None
    return [join_platform(conf)] if isinstance(conf, dict) else None


def _blob_json(blobs_dir: Path, digest: str) -> Any:
    algo, _, hexd = digest.partition(":")
    try:
        return json.loads((Path(blobs_dir) / algo / hexd).read_bytes())
    except (OSError, ValueError):
        return None


def resolve(images: list[ImageChoice], names: list[str]) -> tuple[list[ImageChoice], list[str]]:
    """The images *names* ask for (a tag, ``name`` meaning ``name:latest``, or an ID prefix), and the names not found."""
    chosen: list[ImageChoice] = []
    missing = []
    for name in names:
        wanted = familiar_name(name)
        wanted_tag = wanted if ":" in wanted.rsplit("/", 1)[-1] else f"{wanted}:latest"
        match = next((c for c in images if wanted in c.tags or wanted_tag in c.tags), None)
        if match is None and len(name.removeprefix("sha256:")) >= 12:
            match = next((c for c in images if c.id.removeprefix("sha256:").startswith(name.removeprefix("sha256:"))), None)
        if match is None:
            missing.append(name)
        elif all(c.id != match.id for c in chosen):
            first = next((t for t in (wanted, wanted_tag) if t in match.tags), match.tags[0])
            chosen.append(replace(match, tags=[first] + [t for t in match.tags if t != first]))  # named as asked
    return chosen, missing


@dataclass
class ArchiveFacts:
    """Per tag: the config blob (``manifest.json``) and the manifest (``index.json``) the export holds."""

    config: dict[str, str] = field(default_factory=dict)
    manifest: dict[str, str] = field(default_factory=dict)
    manifest_config: dict[str, str] = field(default_factory=dict)  # manifest digest -> its config digest


def archive_facts(path: Path) -> ArchiveFacts:
    """Read ``manifest.json``, ``index.json`` and the manifests they name from an exported archive."""
    facts = ArchiveFacts()
    with tarfile.open(path, mode="r:") as tar:  # seeks over the layer blobs: only the small files are read
        members = {m.name.lstrip("./"): m for m in tar.getmembers() if m.isfile()}

        def load(name: str) -> Any:
            member = members.get(name)
            handle = tar.extractfile(member) if member is not None else None
            if handle is None or member.size > 4 << 20:
                return None
            try:
                return json.loads(handle.read())
            except ValueError:
                return None

        for item in load("manifest.json") or []:
            config = str(item.get("Config", ""))
            digest = "sha256:" + config.rsplit("/", 1)[-1] if config.startswith("blobs/") else config.removesuffix(".json")
            if ":" not in digest:
                digest = f"sha256:{digest}"
            for tag in item.get("RepoTags") or []:
                facts.config[familiar_name(tag)] = digest
        index = load("index.json") or {}
        for desc in index.get("manifests", []) if isinstance(index, dict) else []:
            name = (desc.get("annotations") or {}).get(NAME_ANNOTATION)
            digest = desc.get("digest", "")
            if name:
                facts.manifest[familiar_name(name)] = digest
            doc = load(f"blobs/{digest.replace(':', '/')}")
            if isinstance(doc, dict) and isinstance(doc.get("config"), dict):
                facts.manifest_config[digest] = doc["config"].get("digest", "")
    return facts


def content_blobs(target: Any, info: dict[str, Any], store: Store) -> Path | None:
    """Where the containerd store's blobs are on disk (for :func:`target_platforms`), or None."""
    if store is not Store.CONTAINERD:
        return None
    from backend.inspect.containerd import BLOBS

    roots = target.store_roots(info).get(Store.CONTAINERD)
    return roots.roots[0] / BLOBS if roots and roots.roots else None


def list_live(target: Any) -> tuple[Store, list[ImageChoice]]:
    """The store the target's engine runs and its images (what the GUI's list shows)."""
    from backend.stores import live_store

    with target.client(timeout=60) as client:
        info = client.info()
        store = live_store(info)
        return store, list_images(client, store, content_blobs(target, info, store))
