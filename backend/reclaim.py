"""Reclaim the hidden store's space: choose images, estimate the bytes, remove them, measure.

Docker's own advice for the space the hidden store keeps is "switch to it, prune, switch back"
(docker/for-mac#7187). This does that as one journaled operation, with a dry run first:

* :func:`plan_reclaim` reads the hidden store from disk, no restart (:mod:`backend.reclaim_graph`),
  applies the selection rules and says which images would go and the bytes it would free: only the
  bytes no kept image or container shares.
* :class:`Reclaim` runs it under the switch lock: measure the hidden store, restart the engine on
  it (the switch's own validate / write / stop / start), remove the containers named with
  ``--remove-container`` and then the images (``DELETE /images/{id}``, parents kept: ``noprune``),
  put daemon.json's original bytes back, restart on the store that was live, verify it by use
  (:func:`backend.verify.verify_store`), measure again. Every step is in the reclaim journal
  (:mod:`backend.reclaim_journal`); a failure or a crash ends on the store that was live.

Selection rules (:func:`select`):

* ``--unused`` (the default): every image no container of the hidden store uses, like ``docker
  image prune --all``; it never removes a container.
* ``--all``: every image; one a container uses is removed only when that container is named with
  ``--remove-container``, else it is kept and listed in ``kept_in_use``.
* ``IMAGE…``: those images (``name[:tag]``, an ID or its prefix); one a container uses is refused
  unless the container is named with ``--remove-container``.
* The classic store's untagged parent of a kept image stays (the engine refuses to remove it).

The administrator's policy (:mod:`backend.policy`) decides which store the engine *runs*; a
reclaim ends on the store that was live, so a locked policy does not block it. The temporary
restart on the hidden store is part of the operation, not a switch a user keeps, and is allowed.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Callable

from backend.errors import EngineError, EngineNotInstalled, StoreswitchError, SwitchInterrupted
from backend.fs_errors import FileError
from backend.inspect.inventory import data_root_of, with_classic_driver_on_disk
from backend.inspect.model import human_bytes, plural
from backend.inspect.sizes import disk_usage
from backend.journal import fault_point
from backend.profile import Profile
from backend.reclaim_graph import StoreGraph, read_graph
from backend.reclaim_journal import ReclaimEntry, ReclaimJournal
from backend.stores import Store, live_store
from backend.targets.base import Target

Progress = Callable[[str, str], None]
MODES = ("unused", "all", "images")


def _no_progress(step: str, message: str) -> None:
    pass


class ReclaimRefused(StoreswitchError):
    """Nothing was changed: the selection cannot be done (an unknown name, an image in use...)."""


@dataclass
class Selection:
    mode: str = "unused"  # one of MODES
    images: list[str] = field(default_factory=list)
    remove_containers: list[str] = field(default_factory=list)


@dataclass
class PlannedImage:
    id: str
    names: list[str]
    bytes: int  # bytes of this image no other image shares
    removed: bool
    reason: str
    parent: str | None = None  # classic: the image it was built on

    @property
    def name(self) -> str | None:
        return self.names[0] if self.names else None

    def as_dict(self) -> dict:
        return {"name": self.name, "names": self.names, "id": self.id, "bytes": self.bytes,
                "reason": "removed" if self.removed else "kept", "why": self.reason}


@dataclass
class ReclaimPlan:
    live: Store
    hidden: Store
    images: list[PlannedImage]
    containers: list[dict]  # the containers to remove first: id, name, image_id, state
    bytes_estimated: int
    kept_in_use: list[dict]
    errors: list[str]

    @property
    def removing(self) -> list[PlannedImage]:
        return [i for i in self.images if i.removed]


@dataclass
class ReclaimResult:
    plan: ReclaimPlan
    dry_run: bool
    bytes_freed: int | None = None
    bytes_before: int | None = None
    bytes_after: int | None = None
    failed: list[dict] = field(default_factory=list)  # images the engine would not remove, and its words
    message: str = ""

    def as_dict(self) -> dict:
        return {
            "dry_run": self.dry_run,
            "store": self.plan.hidden.value,
            "live_store": self.plan.live.value,
            "images": [i.as_dict() for i in self.plan.images],
            "containers_removed": self.plan.containers,
            "bytes_estimated": self.plan.bytes_estimated,
            "bytes_freed": self.bytes_freed,
            "bytes_before": self.bytes_before,
            "bytes_after": self.bytes_after,
            "kept_in_use": self.plan.kept_in_use,
            "failed": self.failed,
            "errors": self.plan.errors,
            "message": self.message,
        }


# --- reading and choosing ---------------------------------------------------------------
def hidden_roots(target: Target, info: dict | None, stopped_ok: bool = False):
    """(live store, hidden store, the hidden store's roots, data-root); refused where it cannot be read.

    *stopped_ok* (the dry run): with the engine stopped, the store daemon.json asks for counts as
    the live one, as it will be at the next start.
    """
    if info is None and not stopped_ok:
        raise ReclaimRefused("the engine is not running: start it first (storeswitch engine start); "
                             "reclaim restarts it on the hidden store and back")
    if callable(getattr(target, "inspect_stores", None)):
        raise ReclaimRefused(f"the {target.name} target keeps its stores inside its VM, where storeswitch cannot "
                             "read or measure the hidden one; nothing was changed")
    live = live_store(info) if info is not None else target.read_config().store
    hidden = live.other
    roots = target.store_roots(info)
    data_root = data_root_of(roots, info)
    roots = with_classic_driver_on_disk(roots, data_root)
    return live, hidden, roots[hidden], data_root


def measure_store(roots) -> int:
    """The hidden store's bytes on disk (``du -sb`` of its roots): the same figure before and after."""
    return disk_usage(roots.roots).bytes


def _matches(ref: str, image_id: str, names: list[str]) -> bool:
    wanted = ref if (":" in ref.rsplit("/", 1)[-1] or "@" in ref) else f"{ref}:latest"
    if wanted in names or ref in names:
        return True
    hexd = ref.removeprefix("sha256:")
    return len(hexd) >= 4 and all(c in "0123456789abcdef" for c in hexd) and image_id.removeprefix("sha256:").startswith(hexd)


def select(graph: StoreGraph, live: Store, selection: Selection) -> ReclaimPlan:
    """Which images go and which stay, and why (raises :class:`ReclaimRefused`; nothing changes)."""
    hidden = graph.store
    removing_containers = []
    for ref in selection.remove_containers:
        found = [c for c in graph.containers if ref in (c.name, c.id) or (len(ref) >= 4 and c.id.startswith(ref))]
        if len(found) != 1:
            names = ", ".join(c.name for c in graph.containers) or "none"
            raise ReclaimRefused(f"no single container {ref!r} in the {hidden.title} (its containers: {names}); nothing was changed")
        removing_containers.append(found[0])
    removed_cids = {c.id for c in removing_containers}
    users: dict[str, list[str]] = {}
    for c in graph.containers:
        if c.id not in removed_cids:
            users.setdefault(c.image_id, []).append(c.name)

    if selection.mode == "images":
        chosen: set[str] = set()
        for ref in selection.images:
            hits = [i for i in graph.images.values() if _matches(ref, i.id, i.names)]
            if len(hits) != 1:
                why = "matches several images" if hits else "is not an image of the hidden store"
                raise ReclaimRefused(f"{ref!r} {why} ({hidden.title}); nothing was changed")
            image = hits[0]
            if image.id in users:
                raise ReclaimRefused(
                    f"{ref} is used by container {', '.join(users[image.id])} of the {hidden.title}; name it with "
                    f"--remove-container to remove it too; nothing was changed")
            chosen.add(image.id)
    else:
        chosen = {i for i in graph.images if i not in users}
    reasons: dict[str, str] = {}
    for image_id in graph.images:
        if image_id in users:
            reasons[image_id] = f"in use by container {', '.join(users[image_id])}"
        elif image_id not in chosen:
            reasons[image_id] = "not named"
    # A parent image whose child stays is kept (the engine refuses to remove it), until nothing changes.
    changed = True
    while changed:
        changed = False
        for image in graph.images.values():
            if image.id not in chosen and image.parent in chosen:
                chosen.discard(image.parent)
                reasons[image.parent] = f"parent of kept image {image.names[0] if image.names else image.id[:19]}"
                changed = True
    images = [
        PlannedImage(i.id, i.names, graph.unique_bytes(i.id), i.id in chosen,
                     "selected" if i.id in chosen else reasons.get(i.id, ""), i.parent)
        for i in sorted(graph.images.values(), key=lambda i: (i.names[0] if i.names else "~", i.id))
    ]
    kept_in_use = [{"name": i.name, "id": i.id, "containers": users[i.id]} for i in images if not i.removed and i.id in users]
    containers = [{"id": c.id, "name": c.name, "image_id": c.image_id, "state": c.state} for c in removing_containers]
    estimated = graph.freed(chosen, removed_cids)
    return ReclaimPlan(live, hidden, images, containers, estimated, kept_in_use, list(graph.errors))


def plan_reclaim(target: Target, selection: Selection, info: dict | None = None) -> ReclaimPlan:
    """The dry run: read the hidden store from disk and choose, no restart."""
    return plan_with_graph(target, selection, info)[0]


def plan_with_graph(target: Target, selection: Selection, info: dict | None = None) -> tuple[ReclaimPlan, StoreGraph]:
    """:func:`plan_reclaim` and the graph it read (the window recomputes the bytes as images are ticked)."""
    if info is None:
        try:
            with target.client(timeout=10) as client:
                info = client.info()
        except EngineError:
            info = None
    live, hidden, roots, data_root = hidden_roots(target, info, stopped_ok=True)
    graph = read_graph(hidden, roots, data_root)
    return select(graph, live, selection), graph


def confirmation_lines(plan: ReclaimPlan, running: list) -> list[str]:
    """What a real run does, for the CLI's and the window's confirmation."""
    lines = [
        f"Reclaim restarts the engine twice: on the {plan.hidden.title} to remove "
        f"{plural(len(plan.removing), 'image')} (about {human_bytes(plan.bytes_estimated)}), then back on the {plan.live.title}.",
        "Running containers stop twice (once for each restart); those with restart policy 'always' or "
        "'unless-stopped' start again at the end, the others stay stopped.",
    ]
    if running:
        lines.append("Running now: " + ", ".join(f"{r.name} ({r.restart_policy})" for r in running))
    if plan.containers:
        lines.append("Also removed first (named with --remove-container): " + ", ".join(c["name"] for c in plan.containers))
    return lines


# --- the real run ------------------------------------------------------------------------
class Reclaim:
    """One journaled reclaim; :meth:`run` holds the switch lock from start to end."""

    def __init__(self, target: Target, profile: Profile) -> None:
        self.target = target
        self.profile = profile
        self.journal = ReclaimJournal(profile)
        self._stop_removing = False
        self.step = "not started"

    def interrupt(self) -> None:
        """Stop removing (the CLI's SIGINT/SIGTERM): before the restart nothing happens, after it the
        engine goes straight back to the store that was live."""
        self._stop_removing = True

    def run(self, selection: Selection, progress: Progress = _no_progress) -> ReclaimResult:
        from backend.lock import acquire, switch_lock

        lock = switch_lock(self.profile)
        acquire(lock)
        try:
            return self._run(selection, progress)
        finally:
            lock.release()

    def _say(self, progress: Progress, step: str, message: str) -> None:
        self.step = step
        progress(step, message)

    def _run(self, selection: Selection, progress: Progress) -> ReclaimResult:
        from backend.switch import record_start, restore_config, rollback
        from backend.verify import verify_store

        say = lambda step, message: self._say(progress, step, message)  # noqa: E731
        say("plan", "Reading the hidden store from disk…")
        try:
            with self.target.client(timeout=10) as client:
                info = client.info()
        except EngineError:
            info = None
        live, hidden, roots, data_root = hidden_roots(self.target, info)
        plan = select(read_graph(hidden, roots, data_root), live, selection)
        if not plan.removing and not plan.containers:
            return ReclaimResult(plan, False, 0, message=f"nothing to remove in the {hidden.title}")
        refuse = getattr(self.target, "privileged", True) is False
        if refuse:
            raise ReclaimRefused(f"reclaim restarts the {self.target.name} engine directly, which needs root here: "
                                 "run it with sudo; nothing was changed")
        config = self.target.read_config()
        hidden_bytes = config.with_store(hidden)
        say("validate", f"Asking the engine whether it accepts the {hidden.title} config…")
        try:
            self.target.validate(hidden_bytes)
        except EngineError as exc:
            raise ReclaimRefused(f"the engine refuses the {hidden.title} config ({exc}); nothing was changed") from exc
        if self._stop_removing:
            raise SwitchInterrupted("interrupted before the reclaim began: nothing was changed")
        say("measure", f"Measuring the {hidden.title} on disk…")
        before = measure_store(roots)
        entry = ReclaimEntry(
            reclaim_id=uuid.uuid4().hex, target=self.target.name, config_path=str(self.target.config_path),
            live_store=live.value, hidden_store=hidden.value, original_config_b64=_b64(config.raw),
            hidden_config_b64=_b64(hidden_bytes) or "", images=[i.id for i in plan.removing],
            containers=[c["id"] for c in plan.containers], started_at=time.time(), bytes_before=before,
        )
        self.journal.write(entry)
        failed: list[dict] = []
        try:
            say("save", f"Saving the {hidden.title} in {config.path} for the reclaim…")
            config.write(hidden_bytes)
            self.journal.write(entry, "config-written")
            say("stop", "Stopping the engine (running containers stop)…")
            self.target.stop()
            say("start-hidden", f"Starting the engine on the {hidden.title}…")
            self.target.start()
            record_start(self.target, self.profile, hidden_bytes)
            with self.target.client(timeout=60) as client:
                verify_store(client, hidden, probe=False)
                self.journal.write(entry, "hidden-started")
                failed = self._remove(client, plan, entry, say)
            self.journal.write(entry, "removed")
            say("restore", f"Putting {config.path} back as it was…")
            restore_config(self.target, config.raw)
            self.journal.write(entry, "config-restored")
            say("stop", "Stopping the engine…")
            self.target.stop()
            say("start-live", f"Starting the engine on the {live.title}…")
            self.target.start()
            record_start(self.target, self.profile, config.raw)
            self.journal.write(entry, "restored")
            say("verify", f"Checking that the engine runs the {live.title}…")
            with self.target.client(timeout=60) as client:
                verify_store(client, live)
            self.journal.write(entry, "verified")
        except (EngineError, EngineNotInstalled, FileError, OSError) as exc:
            say("rollback", f"Something failed ({exc}); bringing the engine back on the {live.title}…")
            state = rollback(self.target, entry.as_switch_entry(), self.profile)
            self.journal.clear()
            raise StoreswitchError(
                f"reclaim of the {hidden.title} failed: {exc}. {len(entry.removed)} of {len(entry.images)} image(s) "
                f"had been removed. {state}") from exc
        self.journal.clear()
        after = measure_store(roots)
        freed = before - after
        removed = len(entry.removed)
        message = (f"removed {plural(removed, 'image')} from the {hidden.title} and freed {human_bytes(freed)} "
                   f"(estimated {human_bytes(plan.bytes_estimated)}); the engine is back on the {live.title}")
        if failed:
            message += f"; {plural(len(failed), 'image')} could not be removed"
        self._record(live, message)
        say("done", message[0].upper() + message[1:] + ".")
        return ReclaimResult(plan, False, freed, before, after, failed, message)

    def _remove(self, client, plan: ReclaimPlan, entry: ReclaimEntry, say) -> list[dict]:
        """Remove the named containers, then the images (children before parents); the engine's
        refusals are collected, not raised (the engine still goes back to the live store)."""
        failed: list[dict] = []
        for c in plan.containers:
            say("remove-container", f"Removing container {c['name']}…")
            client.remove_container(c["id"], force=True)
        order = _children_first(plan)
        for n, image in enumerate(order, 1):
            if self._stop_removing:
                failed.extend({"id": i.id, "name": i.name, "error": "interrupted"} for i in order[n - 1:])
                break
            say("remove-image", f"Removing {image.name or image.id[:19]} ({n} of {len(order)})…")
            try:
                for name in image.names:
                    _delete(client, name, force=False)
                _delete(client, image.id, force=True)
            except EngineError as exc:
                failed.append({"id": image.id, "name": image.name, "error": str(exc)})
                continue
            entry.removed.append(image.id)
            self.journal.write(entry)
            fault_point("reclaim-image-removed")
        return failed

    def _record(self, live: Store, message: str) -> None:
        from backend.journal import HistoryEntry, SwitchHistory

        SwitchHistory(self.profile.history_path).note(
            HistoryEntry(time.time(), live.value, live.value, "reclaimed", message, self.target.name))


def _children_first(plan: ReclaimPlan) -> list[PlannedImage]:
    """Removal order: an image before the (untagged) parent it was built on."""
    parents = {i.id: i.parent for i in plan.removing}

    def depth(image_id: str | None, seen: int = 0) -> int:
        return 0 if image_id not in parents or seen > len(parents) else 1 + depth(parents[image_id], seen + 1)

    return sorted(plan.removing, key=lambda i: -depth(i.id))


def _delete(client, ref: str, force: bool) -> None:
    """``DELETE /images/{ref}`` keeping parents (``noprune``); an image already gone is fine."""
    try:
        client.request("DELETE", f"/images/{ref}", params={"force": "1" if force else "0", "noprune": "1"})
    except EngineError as exc:
        if getattr(exc, "status", None) == 404 or "No such image" in str(exc):
            return
        raise


def _b64(raw: bytes | None) -> str | None:
    from backend.journal import encode

    return encode(raw)
