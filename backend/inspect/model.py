"""What an inspection of one image store finds: images, containers, bytes, and what could not be read.

One shape for both stores and both sources (the files on disk, or the engine's API when the store
is live), so that the report, the CLI and the GUI's ``switchImpact`` read the same fields. An
inspection never raises for a damaged store: what it could not read goes into ``errors`` as a
sentence naming the file, and everything else is still reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.stores import Store

DOCKER_HUB = "docker.io/"
DANGLING_PREFIX = "moby-dangling@"  # the containerd store's name for an untagged image


@dataclass(frozen=True)
class ImageRecord:
    """One image name (``repo:tag``), or an untagged image (``name`` None), and what it points to."""

    name: str | None
    id: str  # classic: the image ID; containerd: the target (manifest or index) digest
    size: int | None = None  # bytes of the image's layers/blobs, when known

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "id": self.id, "size": self.size}


@dataclass(frozen=True)
class ContainerRecord:
    id: str
    name: str
    image: str
    driver: str
    state: str  # "running", "created", "exited", ...

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "image": self.image, "driver": self.driver, "state": self.state}


@dataclass
class StoreInventory:
    """One store's contents. ``source`` says where the images and containers were read from."""

    store: Store
    roots: list[str]
    source: str = "disk"  # "disk" or "engine"
    images: list[ImageRecord] = field(default_factory=list)
    containers: list[ContainerRecord] = field(default_factory=list)
    bytes: int | None = None  # apparent size of the roots, like ``du -sb``
    free_bytes: int | None = None  # free space on the roots' file system(s), for the user
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # False: the store is where storeswitch cannot read it (inside Docker Desktop's VM); its
    # counts are then not known (not zero), and ``notes`` says why.
    readable: bool = True

    @property
    def image_ids(self) -> set[str]:
        return {i.id for i in self.images}

    @property
    def image_count(self) -> int:
        """Distinct images (what ``docker image ls -a`` counts), tagged or not."""
        return len(self.image_ids)

    @property
    def image_names(self) -> list[str]:
        return sorted({i.name for i in self.images if i.name})

    @property
    def container_count(self) -> int:
        return len(self.containers)

    @property
    def images_bytes(self) -> int:
        """The images' own sizes added up, each distinct image once."""
        sizes: dict[str, int] = {}
        for image in self.images:
            if image.size is not None:
                sizes[image.id] = image.size
        return sum(sizes.values())

    @property
    def complete(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict[str, Any]:
        return {
            "store": self.store.value,
            "roots": self.roots,
            "source": self.source,
            "bytes": self.bytes,
            "free_bytes": self.free_bytes,
            "image_count": self.image_count,
            "container_count": self.container_count,
            "image_names": self.image_names,
            "images": [i.as_dict() for i in self.images],
            "containers": [c.as_dict() for c in self.containers],
            "errors": list(self.errors),
            "notes": list(self.notes),
            "readable": self.readable,
        }


def familiar_name(name: str) -> str:
    """``docker.io/library/alpine:3`` -> ``alpine:3``, as the docker CLI and the engine show names."""
    if name.startswith(DOCKER_HUB):
        name = name[len(DOCKER_HUB):]
        if name.startswith("library/") and "/" not in name[len("library/"):]:
            name = name[len("library/"):]
    return name


def is_tag(reference: str) -> bool:
    """True for ``repo:tag``; False for a digest reference ``repo@sha256:...`` or a bare name."""
    if "@" in reference:
        return False
    last = reference.rsplit("/", 1)[-1]
    return ":" in last


def human_bytes(n: int | None) -> str:
    """Sizes as people read them, in powers of 1000 like the docker CLI: ``310 MB``, ``4.2 GB``."""
    if n is None:
        return "unknown size"
    if n < 1000:
        return f"{n} B"
    value = float(n)
    for unit in ("kB", "MB", "GB", "TB", "PB"):
        value /= 1000.0
        text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(text) < 1000 or unit == "PB":
            return f"{text} {unit}"
    raise AssertionError("unreachable")


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural_form or singular + 's')}"
