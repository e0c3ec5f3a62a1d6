"""Real engine: ``storeswitch verify`` proves by use that the live store works, and cleans up.

A working store stores and removes the probe image; an engine started with a snapshotter it does
not have (``storage-driver: stargz``, no plugin) starts fine but fails the probe with the
engine's own message. Either way no probe image stays behind and the user's images are untouched.
"""

from __future__ import annotations

import json

from backend.cli import main
from backend.stores import Store, live_store
from backend.targets.managed import ManagedTarget
from backend.verify import PROBE_REPO, verify_engine
from tests.conftest import image_names, tiny_tar


def _verify_json(capsys) -> tuple[int, dict]:
    rc = main(["--target", "managed", "verify", "--json"])
    return rc, json.loads(capsys.readouterr().out)


def test_verify_works_on_classic_and_keeps_user_images(managed, capsys):
    with managed.client() as c:
        c.import_image(tiny_tar(b"mine"), "ssw/mine", "v1")
    rc, out = _verify_json(capsys)
    assert rc == 0 and out["ok"] is True
    assert out["store"] == "classic" and out["driver"] == "overlay2"
    assert out["store_phrase"] == "classic store, storage driver overlay2"
    assert out["image"].startswith(f"{PROBE_REPO}:")
    with managed.client() as c:
        assert image_names(c) == {"ssw/mine:v1"}
        assert len(c.images()) == 1


def test_verify_quotes_the_engine_when_the_snapshotter_is_missing(engine_profile, capsys):
    target = ManagedTarget(engine_profile)
    target.config_path.parent.mkdir(parents=True, exist_ok=True)
    target.config_path.write_text('{"features": {"containerd-snapshotter": true}, "storage-driver": "stargz"}\n')
    target.start()
    with target.client() as c:
        info = c.info()
        assert live_store(info) is Store.CONTAINERD and info["Driver"] == "stargz"  # the label looks fine
    rc, out = _verify_json(capsys)
    assert rc == 1 and out["ok"] is False
    assert out["stage"] == "import"
    assert out["engine_message"].startswith("failed to unpack image")
    assert "snapshotter not loaded: stargz: invalid argument" in out["engine_message"]
    assert out["engine_message"] in out["message"]
    assert out["store_phrase"] == "containerd store, snapshotter stargz"
    with target.client() as c:
        assert c.images() == []  # the failed import's image record was removed too

    target.stop()
    report = verify_engine(target, timeout=5)
    assert not report.ok and report.stage == "engine" and "is it started?" in report.message
