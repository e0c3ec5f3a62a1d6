"""Checks that a switched engine really works on the store it was asked for: by use, not by label.

``verify_store`` is what every switch runs before it declares success. It reads ``/info``
(driver-type decides the store, never the Driver name), then *stores and removes a tiny image*
(:func:`probe_store`). The label is not enough: with ``storage-driver: stargz`` and no stargz
plugin, dockerd starts normally and ``/info`` says ``Driver stargz``, but storing an image fails
with ``failed to unpack image: ... snapshotter not loaded: stargz: invalid argument`` (seen here).
A switch that only read ``/info`` would report success on a broken engine; with the probe, such
a switch is refused and rolled back, quoting the engine's message.

The probe imports a one-file tar (``POST /images/create?fromSrc=-``: no registry, no network)
under a unique name ``storeswitch-verify:<random>`` and always removes it again, also when the
import failed (a failed unpack still leaves the image record behind on the containerd store,
seen here). :func:`verify_engine` is the same check on its own, for ``storeswitch verify`` and the
GUI's Troubleshoot tab; it reports instead of raising.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import time
from dataclasses import dataclass
from typing import Any

from backend.engine.api import EngineClient
from backend.errors import EngineAPIError, EngineError
from backend.stores import Store, live_store, store_phrase

PROBE_REPO = "storeswitch-verify"


class VerificationFailed(EngineError):
    """The engine is up but does not work on the requested store; the text is the engine's reason.

    ``engine_message`` is the engine's own words, verbatim (None when the failure is ours, such as
    the wrong store); ``stage`` says what failed: ``store``, ``driver``, ``import`` or ``remove``.
    """

    def __init__(self, message: str, engine_message: str | None = None, stage: str = "store") -> None:
        super().__init__(message)
        self.engine_message = engine_message
        self.stage = stage


def probe_archive() -> bytes:
    """The tar the probe imports: one small file, different each time so no layer is shared."""
    content = f"storeswitch verification probe {secrets.token_hex(8)}\n".encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("storeswitch-probe.txt")
        info.size = len(content)
        info.mtime = int(time.time())
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def _engine_words(exc: EngineError) -> str:
    return exc.message if isinstance(exc, EngineAPIError) else str(exc)


def _hint(message: str) -> str:
    if "snapshotter not loaded" in message:
        return (" (containerd has no such snapshotter loaded: choose another with "
                "`storeswitch switch containerd --snapshotter NAME`; `storeswitch snapshotters` lists them)")
    return ""


def probe_store(client: EngineClient, info: dict[str, Any] | None = None) -> str:
    """Store and remove a tiny image; return its name. Raise :class:`VerificationFailed` if either fails.

    The image is removed in every case; a removal that fails after a failed import is not
    reported over the import's own error, which is the one that explains the engine.
    """
    info = info if info is not None else client.info()
    tag = secrets.token_hex(6)
    return _finish_probe(client, tag, _store_probe(client, tag), info)


def _store_probe(client: EngineClient, tag: str) -> EngineError | None:
    """Import the probe image as ``storeswitch-verify:<tag>``; the engine's error, or None."""
    try:
        client.import_image(probe_archive(), PROBE_REPO, tag)
    except EngineError as exc:
        return exc
    return None


def _finish_probe(client: EngineClient, tag: str, error: EngineError | None, info: dict[str, Any]) -> str:
    """Remove the probe image; raise :class:`VerificationFailed` for *error* (its import) or the removal."""
    phrase = store_phrase(info)
    name = f"{PROBE_REPO}:{tag}"
    if error is not None:
        _remove_quietly(client, name)
        words = _engine_words(error)
        raise VerificationFailed(
            f"the engine started ({phrase}) but could not store an image: {words}{_hint(words)}", words, "import"
        ) from error
    from backend.journal import fault_point

    fault_point("probe-imported")  # crash tests only: a kill here leaves the probe image behind
    try:
        client.remove_image(name)
    except EngineError as exc:
        words = _engine_words(exc)
        raise VerificationFailed(
            f"the engine ({phrase}) stored a test image but could not remove it ({name}): {words}", words, "remove"
        ) from exc
    return name


def _remove_quietly(client: EngineClient, name: str) -> None:
    try:
        client.remove_image(name)
    except EngineError:
        pass  # most often 404: nothing was left; otherwise the import error is the one to report


def remove_probe_images(target: Any) -> list[str]:
    """Remove every ``storeswitch-verify:*`` image from the store the engine runs; their names.

    A switch killed between importing and removing its probe leaves one behind (recovery calls
    this). Never raises: an engine that is down has nothing to clean now.
    """
    removed: list[str] = []
    try:
        with target.client(timeout=10) as client:
            for image in client.images(filters={"reference": [PROBE_REPO]}):
                for name in image.get("RepoTags") or []:
                    if name.startswith(f"{PROBE_REPO}:"):
                        try:
                            client.remove_image(name)
                        except EngineError:
                            continue
                        removed.append(name)
    except EngineError:
        pass
    return removed


def verify_store(client: EngineClient, wanted: Store, snapshotter: str | None = None, probe: bool = True) -> dict:
    """Return ``/info`` if the engine runs *wanted* and works; raise :class:`VerificationFailed` if not.

    *snapshotter*, when given, must be the ``Driver`` the containerd store reports. *probe*
    stores and removes a tiny image (every switch does; a rollback only checks the label, since
    it restores what the user had, working or not). The label and the probe are independent
    requests, so the probe image is stored while ``/info`` is read (one round trip less on a
    switch's critical path); on the wrong store the image is removed before the refusal.
    """
    if not probe:
        info = client.info()
        _check_label(info, wanted, snapshotter)
        return info
    from backend.overlap import beside

    _ = client.api_version  # negotiated once here, not by both requests at once
    tag = secrets.token_hex(6)
    stored: list[EngineError | None] = []
    try:
        info = beside(lambda: stored.append(_store_probe(client, tag)), client.info)
        _check_label(info, wanted, snapshotter)
    except EngineError:
        _remove_quietly(client, f"{PROBE_REPO}:{tag}")
        raise
    _finish_probe(client, tag, stored[0], info)
    return info


def _check_label(info: dict, wanted: Store, snapshotter: str | None) -> None:
    got = live_store(info)
    if got is not wanted:
        raise VerificationFailed(
            f"the engine came up on the {got.title} (Driver {info.get('Driver')!r}) instead of the {wanted.title}"
        )
    if snapshotter and wanted is Store.CONTAINERD and info.get("Driver") != snapshotter:
        raise VerificationFailed(
            f"the engine came up with snapshotter {info.get('Driver')!r} instead of {snapshotter!r}", stage="driver"
        )


@dataclass
class VerifyReport:
    """The standalone check's result: what ``storeswitch verify`` prints and the GUI shows."""

    ok: bool
    message: str
    store: Store | None = None
    driver: str | None = None
    store_phrase: str = "engine not running"
    engine_message: str | None = None
    stage: str | None = None
    image: str | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "message": self.message,
            "store": self.store.value if self.store else None,
            "driver": self.driver,
            "store_phrase": self.store_phrase,
            "engine_message": self.engine_message,
            "stage": self.stage,
            "image": self.image,
            "seconds": round(self.seconds, 3),
        }


def verify_engine(target: Any, timeout: float = 30.0) -> VerifyReport:
    """Probe the target's running engine on whatever store it runs. Never raises for the engine.

    Read-only for the user's images: only the probe's own image is created and removed.
    """
    t0 = time.monotonic()
    try:
        with target.client(timeout=timeout) as client:
            info = client.info()
            report = VerifyReport(False, "", live_store(info), info.get("Driver"), store_phrase(info))
            try:
                report.image = probe_store(client, info)
            except VerificationFailed as exc:
                report.message, report.engine_message, report.stage = str(exc), exc.engine_message, exc.stage
            else:
                report.ok = True
                report.message = f"the engine works: {report.store_phrase} stored and removed a test image"
    except EngineError as exc:
        report = VerifyReport(False, f"the engine could not be checked: {exc}", stage="engine")
    report.seconds = time.monotonic() - t0
    return report
