"""A switch bringing images along, SIGKILLed after the export, after the restart and during the import.

Each case runs ``storeswitch switch containerd --bring …`` with ``STORESWITCH_FAULT_KILL_AFTER``
(the documented fault hook: ``bring-exporting`` with half of the archive written (a partial archive
left behind), ``bring-exported`` once the archive is complete and journaled,
``engine-started`` once the engine runs the new store, ``bring-importing`` with half of the archive
sent to the engine), checks it died by SIGKILL, then runs ``storeswitch status --json``: the next
command finishes the switch and imports the image (killed after the restart), or rolls it back and
removes the archive (killed before the stop). No image of either store is lost: every image is
checked in both stores at the end. A last case removes the archive before the next command: the
recovery says plainly that the image was not brought and where it still is.
"""

from __future__ import annotations

import json

import pytest

from tests.engine.bring_support import MB, import_random_image
from tests.engine.cli_support import module_engine

pytestmark = pytest.mark.engine

engine = pytest.fixture(scope="module")(module_engine)
IMAGES = {"bring-exporting": "ssw/k-exporting:v1", "bring-exported": "ssw/k-exported:v1", "engine-started": "ssw/k-started:v1",
          "bring-importing": "ssw/k-importing:v1", "archive-gone": "ssw/k-gone:v1"}


def tags(eng) -> set[str]:
    with eng.client() as c:
        return {t for img in c.images() for t in (img.get("RepoTags") or [])}


@pytest.fixture(scope="module")
def images(engine):
    with engine.client() as c:
        return {name: import_random_image(c, *name.split(":"), 8 * MB) for name in IMAGES.values()}


def on_classic(eng) -> None:
    if eng.status()["live_store"] != "classic":
        eng.switch_to("classic")


@pytest.mark.parametrize("fault", ["bring-exporting", "bring-exported", "engine-started", "bring-importing"])
def test_killed_bring_is_completed_or_rolled_back(engine, images, fault):
    on_classic(engine)
    image = IMAGES[fault]
    killed = engine.run("switch", "containerd", "--bring", image, fault=fault, timeout=300)
    assert killed.returncode == -9, f"expected death by SIGKILL at {fault}: {killed.returncode} {killed.stderr}"
    assert engine.profile.journal_path.exists()
    archives = list((engine.profile.state_dir / "bring").glob("*.tar"))
    assert len(archives) == 1 and archives[0].stat().st_size > 0, "the kill should leave the (partial) archive"

    status = engine.status()  # the next command recovers
    assert not engine.profile.journal_path.exists()
    assert not list((engine.profile.state_dir / "bring").glob("*")), "the archive was left behind"
    recovered = status.get("recovered") or ""
    if fault in ("bring-exporting", "bring-exported"):  # the engine never stopped: rolled back, nothing brought
        assert status["live_store"] == "classic"
        assert "rolled back" in recovered and "not brought" in recovered, recovered
        assert image in tags(engine)
    else:  # the engine ran the new store: finished, and the image imported and verified
        assert status["live_store"] == "containerd"
        assert "finished" in recovered and f"brought {image} along" in recovered and "verified" in recovered, recovered
        assert image in tags(engine)
        with engine.client() as c:
            assert c.inspect_image(image)["RootFS"]["Layers"] == _LAYERS[image]


_LAYERS: dict[str, list[str]] = {}


@pytest.fixture(scope="module", autouse=True)
def remember_layers(engine, images):
    with engine.client() as c:
        for name in images:
            _LAYERS[name] = c.inspect_image(name)["RootFS"]["Layers"]


def test_archive_gone_is_reported_plainly(engine, images):
    on_classic(engine)
    image = IMAGES["archive-gone"]
    killed = engine.run("switch", "containerd", "--bring", image, fault="engine-started", timeout=300)
    assert killed.returncode == -9
    journal = json.loads(engine.profile.journal_path.read_text())
    assert journal["schema_version"] == 2 and journal["bring"]["state"] == "exported"
    archive = engine.profile.state_dir / "bring" / f"{journal['switch_id']}.tar"
    assert archive.is_file()
    archive.unlink()

    status = engine.status()
    recovered = status.get("recovered") or ""
    assert status["live_store"] == "containerd" and "is gone" in recovered and image in recovered, recovered
    assert "still in the classic store" in recovered, recovered
    assert image not in tags(engine)


def test_no_image_of_either_store_is_lost(engine, images):
    on_classic(engine)
    with engine.client() as c:
        for name, ident in images.items():
            assert c.inspect_image(name)["Id"] == ident
    engine.switch_to("containerd")
    have = tags(engine)
    for fault in ("engine-started", "bring-importing"):
        assert IMAGES[fault] in have
    engine.switch_to("classic")
