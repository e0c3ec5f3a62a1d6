"""Cancelling a bring (SIGINT / the GUI's Cancel: ``SwitchTransaction.interrupt()``) on a real engine.

The cancel is asked from the byte-progress callback, at the first chunk of the export or of the
import, so the moment is exact. During the export: nothing changed (the engine never restarted,
daemon.json byte-identical, no journal, no archive). During the import: the switch has happened
(the engine was already stopped), the upload is cut off and the import undone, so the new store
does not hold the image and the old one still does.
"""

from __future__ import annotations

import pytest

from backend.bring import BringRequest
from backend.errors import SwitchInterrupted
from backend.stores import Store
from backend.switch import SwitchTransaction
from tests.engine.bring_support import MB, import_random_image

pytestmark = pytest.mark.engine


def cancelling_at(tx: SwitchTransaction, phase: str, seen: list):
    def on_bytes(p: str, done: int, total: int) -> None:
        seen.append((p, done, total))
        if p == phase:
            tx.interrupt()
    return on_bytes


def test_cancel_during_export_changes_nothing(managed, engine_profile):
    with managed.client() as c:
        ident = import_random_image(c, "ssw/cancel", "v1", 16 * MB)
    config = managed.config_path.read_bytes()
    pid = engine_profile.managed_pidfile.read_text()
    tx = SwitchTransaction(managed, engine_profile)
    seen: list = []
    with pytest.raises(SwitchInterrupted, match="nothing was changed"):
        tx.run(Store.CONTAINERD, bring=BringRequest(["ssw/cancel:v1"], on_bytes=cancelling_at(tx, "export", seen)))
    assert seen and seen[0][0] == "export" and seen[0][1] > 0
    assert managed.config_path.read_bytes() == config
    assert engine_profile.managed_pidfile.read_text() == pid, "the engine was restarted"
    assert not engine_profile.journal_path.exists()
    assert not list((engine_profile.state_dir / "bring").glob("*"))
    with managed.client() as c:
        assert c.info()["Driver"] == "overlay2" and c.inspect_image("ssw/cancel:v1")["Id"] == ident


def test_cancel_during_import_leaves_both_stores_as_they_were(managed, engine_profile):
    with managed.client() as c:
        ident = import_random_image(c, "ssw/cancel", "v2", 16 * MB)
    tx = SwitchTransaction(managed, engine_profile)
    seen: list = []
    result = tx.run(Store.CONTAINERD, bring=BringRequest(["ssw/cancel:v2"], on_bytes=cancelling_at(tx, "import", seen)))
    assert result.live_store is Store.CONTAINERD
    assert result.bring_problem.startswith("interrupted while importing"), result.bring_problem
    assert [b.verified for b in result.brought] == [False]
    assert any(p == "import" for p, _, _ in seen)
    assert not engine_profile.journal_path.exists()
    assert not list((engine_profile.state_dir / "bring").glob("*"))
    with managed.client() as c:
        assert "ssw/cancel:v2" not in {t for i in c.images() for t in (i.get("RepoTags") or [])}
    SwitchTransaction(managed, engine_profile).run(Store.CLASSIC)
    with managed.client() as c:
        assert c.inspect_image("ssw/cancel:v2")["Id"] == ident


def test_too_little_space_for_the_archive_is_refused_before_anything_changes(managed, engine_profile):
    """The archive's folder on a 32 MB tmpfs (a real small file system), a 40 MB image to bring."""
    import os

    from backend.bring import BringRefused
    from tests.engine.test_faults_files import mounted

    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    with managed.client() as c:
        import_random_image(c, "ssw/space", "v1", 40 * MB)
    config = managed.config_path.read_bytes()
    pid = engine_profile.managed_pidfile.read_text()
    place = engine_profile.state_dir / "bring"
    place.mkdir(parents=True, exist_ok=True)
    with mounted("-t", "tmpfs", "-o", "size=32m", "tmpfs", target=place):
        with pytest.raises(BringRefused) as refused:
            SwitchTransaction(managed, engine_profile).run(Store.CONTAINERD, bring=BringRequest(["ssw/space:v1"]))
        assert not list(place.glob("*"))
    text = str(refused.value)
    assert "not enough free space" in text and str(place) in text and "Nothing was changed" in text
    assert managed.config_path.read_bytes() == config and engine_profile.managed_pidfile.read_text() == pid
    assert not engine_profile.journal_path.exists()


def test_an_export_the_engine_refuses_is_an_error_with_its_words(managed):
    import io

    from backend.errors import EngineAPIError

    with managed.client() as c, pytest.raises(EngineAPIError) as failed:
        c.save_images(["ssw/never-was:v1"], io.BytesIO())
    assert failed.value.status == 404 and failed.value.message  # the engine's own words, kept verbatim
