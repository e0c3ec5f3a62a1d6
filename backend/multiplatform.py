"""The multi-platform check: does the live store keep an image of two platforms whole?

It generates a tiny OCI archive (linux/amd64 and linux/arm64, one small layer each:
:mod:`backend.oci_archive`), loads it with ``POST /images/load``, exports it again with
``GET /images/get`` and counts the platforms whose manifest, config and layer all came back.
Seen here: the containerd store keeps both; the classic store cannot load an OCI index at all
(``open .../blobs/json: no such file or directory``). Either way the result is a sentence:
"multi-platform images: supported / not supported on the current store".

The image goes in under a unique name (``storeswitch-check/multiplatform:<random>``) and is
removed whatever happens, so the check leaves nothing behind; if removal fails, the leftover is
named in the result so the user can remove it by hand.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

from backend.engine.api import EngineClient
from backend.errors import EngineAPIError, EngineError
from backend.oci_archive import DEFAULT_PLATFORMS, ArchiveError, build_archive, complete_platforms
from backend.stores import Store, live_store, store_phrase

CHECK_REPO = "storeswitch-check/multiplatform"


@dataclass
class MultiPlatformResult:
    supported: bool
    store: Store | None
    driver: str | None
    platforms: list[str]  # what the archive held
    kept: list[str] = field(default_factory=list)  # what came back whole
    reason: str = ""  # why not supported (the engine's words when it refused), or how it was shown
    image: str = ""
    leftover: str | None = None  # an image the check could not remove (None: nothing left behind)
    store_phrase: str = ""
    seconds: float = 0.0

    @property
    def phrase(self) -> str:
        """The line the CLI prints and the GUI shows."""
        return f"multi-platform images: {'supported' if self.supported else 'not supported'} on the current store"

    def as_dict(self) -> dict[str, Any]:
        return {
            "supported": self.supported,
            "phrase": self.phrase,
            "store": self.store.value if self.store else None,
            "driver": self.driver,
            "platforms": self.platforms,
            "kept": self.kept,
            "reason": self.reason,
            "image": self.image,
            "leftover": self.leftover,
            "store_phrase": self.store_phrase,
            "seconds": round(self.seconds, 3),
        }


def check_multiplatform(client: EngineClient, platforms: Iterable[str] = DEFAULT_PLATFORMS) -> MultiPlatformResult:
    """Load, export and remove a generated multi-platform image on the live store.

    Raises :class:`EngineError` only when the engine cannot be reached at all; an engine that
    refuses the archive is an answer ("not supported"), not an error.
    """
    t0 = time.monotonic()
    info = client.info()
    store = live_store(info)
    tag = secrets.token_hex(6)
    short = f"{CHECK_REPO}:{tag}"
    archive = build_archive(f"docker.io/{short}", platforms)
    result = MultiPlatformResult(False, store, info.get("Driver"), list(archive.platforms), image=short,
                                 store_phrase=store_phrase(info))
    loaded = False
    try:
        client.load_images(archive.data)
        loaded = True
        exported = client.export_image(short)
        result.kept = complete_platforms(exported)
    except EngineAPIError as exc:
        step = "export" if loaded else "load"
        result.reason = f"the {store.title} refused to {step} a {len(archive.platforms)}-platform OCI image: {exc.message}"
    except ArchiveError as exc:
        result.reason = f"the {store.title} exported something unreadable: {exc}"
    finally:
        result.leftover = _clean_up(client, short)
    missing = [p for p in archive.platforms if p not in result.kept]
    result.supported = loaded and not result.reason and not missing
    if loaded and not result.reason:
        result.reason = (
            f"the {store.title} kept all {len(archive.platforms)} platforms ({', '.join(result.kept)})"
            if not missing
            else f"the {store.title} kept only {', '.join(result.kept) or 'none'} of {', '.join(archive.platforms)}"
        )
    result.seconds = time.monotonic() - t0
    return result


def _clean_up(client: EngineClient, name: str) -> str | None:
    """Remove the check's image; return its name if it is still there afterwards."""
    try:
        client.remove_image(name)
    except EngineAPIError:
        pass  # 404 when the load failed; either way the image list below says what is left
    except EngineError:
        return name
    try:  # every image, not a reference filter: some engines' containerd store mishandles that filter
        left = [img for img in client.images() if name in (img.get("RepoTags") or [])]
    except EngineError:
        return name
    return name if left else None


def run_check(target: Any, platforms: Iterable[str] = DEFAULT_PLATFORMS, timeout: float = 60.0) -> MultiPlatformResult:
    """The check against a target's running engine (what the CLI and the GUI call)."""
    with target.client(timeout=timeout) as client:
        return check_multiplatform(client, platforms)


def describe(result: MultiPlatformResult) -> list[str]:
    lines = [result.phrase, f"  store:  {result.store_phrase}", f"  why:    {result.reason}"]
    if result.leftover:
        lines.append(f"  ! the test image {result.leftover} could not be removed: remove it with `docker rmi {result.leftover}`")
    return lines
