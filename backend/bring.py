"""Bring chosen images along a switch: exported from the store the engine leaves, imported into the one it
starts on, verified there. The store left keeps its copy.

The copy goes through the engine's own ``docker save`` / ``docker load`` endpoints
(``GET /images/get``, ``POST /images/load``), streamed through one archive file in the profile
(``<state>/bring/<switch id>.tar``), never through memory. In a switch
(:class:`backend.switch.SwitchTransaction`) it goes:

1. **plan**, before anything is written: the names resolved against the live store, the images that
   cannot be brought refused with the reason (a multi-platform image from the containerd store to
   the classic one needs the export's ``platform`` parameter, API 1.48), the free space checked
   (the archive in the profile, and the import on the engine's data-root) - a refusal changes nothing;
2. **export**, after the journal is begun and before the engine stops; the journal records the
   archive (``bring.state``: ``exporting`` -> ``exported``);
3. **import**, once the new store is verified (``importing`` -> ``imported``), then each image
   **verified**: every tag there, the same config (the classic store's image ID is the config's
   digest; the containerd store's is the manifest's, whose config the archive names) and the same
   layer diff IDs (``RootFS.Layers``); then the archive is removed.

A cancel (SIGINT, the GUI's Cancel: :meth:`SwitchTransaction.interrupt`) during the export ends the
switch with nothing changed; during the import it stops the upload and removes the tags the
import added, so both stores are as they were. A switch killed after the restart is finished by
:func:`resume` (from :mod:`backend.recovery`) while the archive exists, or reported plainly if it
is gone; one killed before the restart is rolled back and its archive removed (:func:`discard`).
"""

from __future__ import annotations

import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

from backend.bring_images import (
    ArchiveFacts,
    ImageChoice,
    api_at_least,
    archive_facts,
    content_blobs,
    host_platform,
    list_images,
    resolve,
)
from backend.engine.api import STREAM_CHUNK, EngineClient
from backend.errors import EngineAPIError, EngineError, SwitchError, SwitchInterrupted
from backend.inspect.model import human_bytes
from backend.journal import fault_point
from backend.oci_archive import split_platform
from backend.stores import Store

PLATFORM_API = "1.48"  # GET /images/get gained `platform` (moby image_routes.go: "introduced in API version 1.48")
ARCHIVE_SLACK = 1.05  # tar headers and the small JSON files beside the layers
MARGIN = 64 << 20  # room left free on a file system after the copy
EVERY = 0.2  # seconds between two byte reports


class BringRefused(SwitchError):
    """The chosen images cannot be brought; nothing was changed (exit 1)."""


@dataclass
class BringRequest:
    """What the user chose: names (``--bring``), every image (``--bring-all``), the platform (``--platform``)."""

    names: list[str] = field(default_factory=list)
    all: bool = False
    platform: str | None = None
    on_bytes: Callable[[str, int, int], None] | None = None  # (phase "export"/"import", bytes done, bytes expected)

    @property
    def wanted(self) -> bool:
        return self.all or bool(self.names)


@dataclass
class BroughtImage:
    name: str
    tags: list[str]
    size: int
    source_id: str
    diff_ids: list[str]
    platform: str | None = None  # the one platform brought (containerd -> classic), else None
    config_digest: str = ""
    manifest_digest: str = ""
    verified: bool = False
    problem: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "tags": self.tags, "size": self.size, "verified": self.verified,
                "platform": self.platform, "config_digest": self.config_digest, "problem": self.problem or None}


def archive_dir(state_dir: Path) -> Path:
    return Path(state_dir) / "bring"


# --- plan ----------------------------------------------------------------------------------
def plan(client: EngineClient, request: BringRequest, from_store: Store, to: Store, blobs_dir: Path | None,
         archive: Path) -> list[BroughtImage]:
    """Resolve, refuse what cannot be brought, check the space. Raises :class:`BringRefused`."""
    images = list_images(client, from_store, blobs_dir)
    chosen, missing = (images, []) if request.all else resolve(images, request.names)
    if missing:
        have = ", ".join(c.name for c in images[:8]) or "none"
        raise BringRefused(f"cannot bring {', '.join(missing)}: not an image of the {from_store.title} (its images: {have}). "
                           "Nothing was changed; check the names with `docker images`.")
    if not chosen:
        raise BringRefused(f"--bring-all: the {from_store.title} holds no tagged image to bring. Nothing was changed.")
    platform = None
    if from_store is Store.CONTAINERD and to is Store.CLASSIC:
        platform = request.platform or host_platform(client)
        _refuse_platforms(client, chosen, platform, bool(request.platform))
    brought = []
    for c in chosen:
        try:
            one = platform if platform and request.platform and api_at_least(client, "1.49") else None  # inspect's platform: 1.49
            data = client.inspect_image(c.id, platform=split_platform(one) if one else None)
        except EngineError as exc:
            raise BringRefused(f"cannot bring {c.name}: the engine cannot inspect it ({exc}). Nothing was changed.") from exc
        layers = list((data.get("RootFS") or {}).get("Layers") or [])
        brought.append(BroughtImage(c.name, c.tags, c.size, c.id, layers, platform))
    check_space(brought, archive.parent, _data_root(client), to)
    return brought


def _refuse_platforms(client: EngineClient, chosen: list[ImageChoice], platform: str, asked: bool) -> None:
    """Containerd -> classic: one platform per image, which the export can only pick from API 1.48."""
    can_pick = api_at_least(client, PLATFORM_API)
    cannot = []
    for c in chosen:
        plats = c.platforms
        if not can_pick and (plats is None or len(plats) > 1 or (asked and plats != [platform])):
            what = "has platforms " + ", ".join(plats) if plats else "has platforms this engine does not list"
            cannot.append(f"{c.name} ({what})")
        elif can_pick and plats is not None and platform not in plats:
            cannot.append(f"{c.name} (no {platform} variant; it has {', '.join(plats)})")
    if not cannot:
        return
    if not can_pick:
        why = (f"this engine (API {client.api_version}) exports every platform of an image: choosing one ("
               f"the `platform` parameter of GET /images/get) came with API {PLATFORM_API}, Docker Engine 28, and the "
               "classic store holds one platform per image")
        step = "Leave them out, or update the engine to 28 or later and try again."
    else:
        why = f"the classic store holds one platform per image and {platform} is the one to bring"
        step = "Leave them out, or choose another platform with --platform."
    raise BringRefused(f"cannot bring {'; '.join(cannot)} to the classic store: {why}. Nothing was changed "
                       f"(the engine still runs the containerd store). {step}")


def _data_root(client: EngineClient) -> Path | None:
    try:
        root = client.info().get("DockerRootDir")
    except EngineError:
        return None
    return Path(root) if root else None


def check_space(images: list[BroughtImage], archive_parent: Path, data_root: Path | None, to: Store) -> None:
    """Refuse unless the archive fits in the profile and the import on the data-root (same disk: both)."""
    total = sum(i.size for i in images)
    need_archive = int(total * ARCHIVE_SLACK) + MARGIN
    need_import = total * (2 if to is Store.CONTAINERD else 1) + MARGIN  # containerd keeps the blobs and unpacks them
    archive_parent.mkdir(parents=True, exist_ok=True)
    import shutil

    places = [(archive_parent, need_archive, "the archive")]
    if data_root is not None and data_root.exists():
        if os.stat(data_root).st_dev == os.stat(archive_parent).st_dev:
            places = [(archive_parent, need_archive + need_import, "the archive and the import")]
        else:
            places.append((data_root, need_import, "the import"))
    for path, need, what in places:
        free = shutil.disk_usage(path).free
        if free < need:
            raise BringRefused(
                f"not enough free space to bring {len(images)} image{'s' if len(images) != 1 else ''} "
                f"({human_bytes(total)}): {what} need{'s' if what == 'the archive' else ''} about {human_bytes(need)} on "
                f"{path}, which has {human_bytes(free)} free. Nothing was changed; free some space or bring fewer images.")


# --- the part of a switch ---------------------------------------------------------------------
class Bringer:
    """The bring part of one switch; :class:`SwitchTransaction` calls it at its three points."""

    def __init__(self, tx: Any, request: BringRequest, from_store: Store, to: Store, images: list[BroughtImage],
                 archive: Path) -> None:
        self.tx, self.request, self.from_store, self.to = tx, request, from_store, to
        self.images, self.archive = images, archive

    @classmethod
    def prepare(cls, tx: Any, request: BringRequest, from_store: Store, to: Store, running: Store | None,
                restart: bool, switch_id: str) -> "Bringer":
        if running is None or not restart or from_store is to:
            why = ("the engine is not running" if running is None else "--no-restart was given" if not restart
                   else f"the engine already runs the {to.title}")
            raise BringRefused(f"cannot bring images along: {why} (they are exported from the running engine before "
                               "it restarts on the other store). Nothing was changed.")
        archive = archive_dir(tx.profile.state_dir) / f"{switch_id}.tar"
        with tx.target.client(timeout=60) as client:
            blobs = content_blobs(tx.target, client.info(), from_store)
            images = plan(client, request, from_store, to, blobs, archive)
        return cls(tx, request, from_store, to, images, archive)

    def record(self, state: str = "planned") -> dict[str, Any]:
        return {"archive": str(self.archive), "state": state, "from_store": self.from_store.value,
                "to_store": self.to.value, "images": [asdict(i) for i in self.images]}

    def _save(self, entry: Any, state: str) -> None:
        entry.bring = {**entry.bring, "state": state, "images": [asdict(i) for i in self.images]}
        self.tx.journal.save(entry)

    def export(self, entry: Any, say: Callable[[str, str], None], progress: Callable[[str, str], None]) -> None:
        """Export the chosen images into the archive (engine still on the old store). On a cancel or an
        error the archive and the journal are removed and nothing else was changed."""
        total = sum(i.size for i in self.images)
        say("bring", f"Exporting {len(self.images)} image{'s' if len(self.images) != 1 else ''} "
                     f"({human_bytes(total)}) from the {self.from_store.title}…")
        try:
            self._save(entry, "exporting")
            platform = split_platform(self.images[0].platform) if self.images[0].platform else None
            report = _Reporter("export", total, self.request.on_bytes, progress, "Exporting", self.tx)
            with self.tx.target.client(timeout=60) as client:
                names = [t for i in self.images for t in i.tags]  # every tag: the archive keeps each name
                if platform is not None and not api_at_least(client, PLATFORM_API):
                    platform = None  # refused by plan() when it mattered: every image here has one platform
                # Not fsynced: the archive must outlive this process (a kill leaves it in the page cache),
                # not a power cut; after one, a truncated archive fails its import, which recovery reports
                # (the images stay in the old store). An fsync of gigabytes would cost the user seconds.
                def chunk(done: int) -> None:
                    report.chunk(done)
                    if done * 2 >= total > (done - STREAM_CHUNK) * 2:
                        fault_point("bring-exporting")  # tests: SIGKILL with about half of the archive written

                with open(self.archive, "wb") as out:
                    size = client.save_images(names, out, platform, chunk)
            report.done(size)
            self._facts(archive_facts(self.archive))
            refuse_taken_names(self.tx.target, self.images, self.to)
            self._save(entry, "exported")
        except BaseException as exc:
            self.archive.unlink(missing_ok=True)
            self.tx.journal.clear()
            if isinstance(exc, _Cancelled):
                message = (f"interrupted while exporting the images to bring: nothing was changed "
                           f"(the engine still runs the {self.from_store.title})")
                self.tx._record(self.from_store, self.to, "refused", message)
                raise SwitchInterrupted(message) from None
            if isinstance(exc, EngineError):
                message = (f"exporting {', '.join(i.name for i in self.images)} to bring along failed: {exc}. Nothing was changed "
                           f"(the engine still runs the {self.from_store.title}).")
                self.tx._record(self.from_store, self.to, "refused", message)
                raise SwitchError(message) from exc
            if isinstance(exc, OSError):
                from backend.fs_errors import file_error

                raise file_error(exc, self.archive, "writing the archive of the images to bring",
                                 f"nothing was changed (the engine still runs the {self.from_store.title})") from exc
            raise
        fault_point("bring-exported")

    def discard(self) -> str:
        """The switch was rolled back: remove the archive; the images stay where they were."""
        self.archive.unlink(missing_ok=True)
        return f"The images chosen to bring stay in the {self.from_store.title} only (the switch did not happen)."

    def _facts(self, facts: ArchiveFacts) -> None:
        for img in self.images:
            img.config_digest = next((facts.config[t] for t in img.tags if t in facts.config), "")
            img.manifest_digest = next((facts.manifest[t] for t in img.tags if t in facts.manifest), "")
            if self.from_store is Store.CLASSIC and img.config_digest and img.config_digest != img.source_id:
                raise SwitchError(f"the export of {img.name} holds config {img.config_digest}, not its image "
                                  f"{img.source_id}: the engine changed it meanwhile. Nothing was changed.")

    def finish(self, entry: Any, say: Callable[[str, str], None], progress: Callable[[str, str], None]) -> str:
        """Import and verify (the new store is verified); returns a problem sentence, or ''."""
        say("bring", f"Importing {len(self.images)} image{'s' if len(self.images) != 1 else ''} into the {self.to.title}…")
        return import_and_verify(self.tx.target, entry, self.images, self.archive, self.to, self.from_store,
                                 lambda state: self._save(entry, state),
                                 _Reporter("import", self.archive.stat().st_size if self.archive.exists() else 0,
                                           self.request.on_bytes, progress, "Importing", self.tx))


def refuse_taken_names(target: Any, images: list[BroughtImage], to: Store) -> None:
    """Refuse a tag the other store already gives to another image: the load would move the name
    there and leave that image untagged. Read from disk (the other store is hidden); where its
    files cannot be read (an ordinary user and a system engine) the check is skipped."""
    from backend.inspect.inventory import read_from_disk
    from backend.inspect.model import familiar_name

    try:
        with target.client(timeout=30) as client:
            info = client.info()
        inventory = read_from_disk(target.store_roots(info), Path(info.get("DockerRootDir") or "/"),
                                   image_sizes=False, stores=(to,))[to]
    except (EngineError, OSError):
        return
    there = {familiar_name(r.name): r.id for r in inventory.images if r.name}
    taken = []
    for img in images:
        expected = img.config_digest if to is Store.CLASSIC else img.manifest_digest
        taken += [f"{tag} (there it is {there[tag]})" for tag in img.tags
                  if expected and there.get(tag) not in (None, expected)]
    if taken:
        raise BringRefused(f"cannot bring {'; '.join(taken)}: the {to.title} already has that name for another image, "
                           "which the copy would leave without its name. Nothing was changed (the engine still runs "
                           f"the {to.other.title}). Rename one of them (docker tag) or leave it out.")


class _Cancelled(Exception):
    pass


class _Reporter:
    """Bytes moved, to the callback (every chunk) and as a sentence (every :data:`EVERY` s); checks the cancel."""

    def __init__(self, phase: str, total: int, on_bytes, progress, verb: str, tx: Any = None) -> None:
        self.phase, self.total, self.on_bytes, self.progress, self.verb, self.tx = phase, total, on_bytes, progress, verb, tx
        self.last = 0.0

    def chunk(self, done: int) -> None:
        if self.tx is not None and self.tx.interrupted:
            raise _Cancelled()
        total = max(self.total, done)
        if self.on_bytes is not None:
            self.on_bytes(self.phase, done, total)
        now = time.monotonic()
        if now - self.last >= EVERY:
            self.last = now
            self.progress("bring", f"{self.verb}: {human_bytes(done)} of {human_bytes(total)}…")

    def done(self, size: int) -> None:
        self.total = size
        if self.on_bytes is not None:
            self.on_bytes(self.phase, size, size)


def _chunks(path: Path, report: _Reporter) -> Iterator[bytes]:
    size = path.stat().st_size
    half = size // 2
    sent = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(STREAM_CHUNK)
            if not block:
                return
            yield block
            sent += len(block)
            report.chunk(sent)
            if sent - len(block) < max(half, 1) <= sent:
                fault_point("bring-importing")  # tests: SIGKILL with half of the archive sent


def import_and_verify(target: Any, entry: Any, images: list[BroughtImage], archive: Path, to: Store, from_store: Store,
                      save: Callable[[str], None], report: _Reporter) -> str:
    """Load the archive into the running (new) store, verify each image, remove the archive.

    A cancel removes the tags the import added and leaves the archive's removal to here; an engine
    error reports which images were not brought (they stay in the old store). Returns '' when every
    image is verified, else a sentence.
    """
    with target.client(timeout=60) as client:
        before = _tags(client)
        try:
            save("importing")
            client.load_images_from(_chunks(archive, report))
            report.done(archive.stat().st_size)
            save("imported")
        except _Cancelled:
            removed = _remove_added(client, images, before)
            archive.unlink(missing_ok=True)
            return (f"interrupted while importing: nothing was brought ({', '.join(removed) or 'no tag'} removed again), "
                    f"the images are still in the {from_store.title} only")
        except (EngineError, OSError) as exc:
            archive.unlink(missing_ok=True)
            return (f"importing the images failed ({exc}): {', '.join(i.name for i in images)} "
                    f"{'were' if len(images) > 1 else 'was'} not brought and stay in the {from_store.title}")
        verify(client, images, to)
    archive.unlink(missing_ok=True)
    bad = [f"{i.name}: {i.problem}" for i in images if not i.verified]
    return f"not verified in the {to.title}: {'; '.join(bad)}" if bad else ""


def _tags(client: EngineClient) -> set[str]:
    return {t for img in client.images(all=False) for t in (img.get("RepoTags") or [])}


def _remove_added(client: EngineClient, images: list[BroughtImage], before: set[str]) -> list[str]:
    removed = []
    for tag in (t for i in images for t in i.tags):
        if tag in before:
            continue
        try:
            client.remove_image(tag, force=False)
            removed.append(tag)
        except EngineAPIError:
            pass  # not there: the load never got to it
    return removed


def verify(client: EngineClient, images: list[BroughtImage], to: Store) -> None:
    """Each image in *to*: every tag, one image, its config and its layer diff IDs as exported."""
    for img in images:
        try:
            found = {t: client.inspect_image(t) for t in img.tags}
        except EngineAPIError as exc:
            img.problem = f"not in the {to.title} ({exc.message})"
            continue
        ids = {d["Id"] for d in found.values()}
        data = next(iter(found.values()))
        layers = list((data.get("RootFS") or {}).get("Layers") or [])
        if len(ids) != 1:
            img.problem = f"its tags name different images there ({', '.join(sorted(ids))})"
        elif layers != img.diff_ids:
            img.problem = f"layer diff IDs differ ({len(layers)} there, {len(img.diff_ids)} exported)"
        elif to is Store.CLASSIC and img.config_digest and data["Id"] != img.config_digest:
            img.problem = f"its config is {data['Id']}, the export's is {img.config_digest}"
        elif to is Store.CONTAINERD and img.manifest_digest and data["Id"] != img.manifest_digest:
            img.problem = f"its manifest is {data['Id']}, the export's is {img.manifest_digest}"
        else:
            img.verified = True


# --- after a crash: recovery's part ----------------------------------------------------------------
def images_of(entry: Any) -> list[BroughtImage]:
    known = set(BroughtImage.__dataclass_fields__)
    return [BroughtImage(**{k: v for k, v in i.items() if k in known}) for i in (entry.bring or {}).get("images", [])]


def resume(target: Any, journal: Any, entry: Any) -> str:
    """The switch was finished by recovery: import what it had exported, or say plainly why not."""
    record = entry.bring or {}
    images = images_of(entry)
    names = ", ".join(i.name for i in images)
    archive = Path(record.get("archive", ""))
    from_store, to = Store(record.get("from_store", entry.from_store)), Store(record.get("to_store", entry.to_store))
    if record.get("state") in ("planned", "exporting"):  # never exported: the switch went on without it? not reached
        return f"the images chosen to bring ({names}) were not exported; they are still in the {from_store.title}"
    if not archive.is_file():
        return (f"the images chosen to bring ({names}) were not brought: their archive {archive} is gone. They are still "
                f"in the {from_store.title}: switch back and bring them again")

    def save(state: str) -> None:
        entry.bring = {**record, "state": state, "images": [asdict(i) for i in images]}
        journal.save(entry)

    problem = import_and_verify(target, entry, images, archive, to, from_store, save,
                                _Reporter("import", archive.stat().st_size, None, lambda *_: None, "Importing"))
    if problem:
        return f"bringing {names} along: {problem}"
    return f"brought {names} along into the {to.title} (verified)"


def discard(entry: Any) -> str:
    """The switch was rolled back: the archive (if any) goes, the images stay where they were."""
    record = entry.bring or {}
    archive = Path(record.get("archive", ""))
    if record.get("archive"):
        archive.unlink(missing_ok=True)
    names = ", ".join(i.name for i in images_of(entry))
    return f"the images chosen to bring ({names}) were not brought and are still in the {Store(entry.from_store).title}"
