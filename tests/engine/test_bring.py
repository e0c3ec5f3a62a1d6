"""Bringing chosen images along a switch, on a real engine (issue 15, item 1).

classic -> containerd with two of three images (one of 200 MB of random bytes): the two are on the
containerd store with the same tags, the same config (the manifest the containerd store names
points at the classic image's config) and the same layer diff IDs; the third is not; all three are
still in the classic store after switching back. containerd -> classic with ``--bring-all`` and a
two-platform image among single-platform ones: brought as the host platform where the engine can
export one platform (API 1.48+, the sid engine), refused before anything stops where it cannot
(Engine 26.1.5, API 1.45), naming only the two-platform image.
"""

from __future__ import annotations

import json

import pytest

from backend.bring_images import api_at_least
from backend.oci_archive import build_archive, complete_platforms, read_members
from tests.engine.bring_support import MB, content_blob, import_random_image
from tests.engine.cli_support import module_engine

pytestmark = pytest.mark.engine

engine = pytest.fixture(scope="module")(module_engine)


def platform_configs(archive) -> dict[str, str]:
    """Architecture -> config digest, read from the generated archive itself (what the classic store's ID must be)."""
    configs = {}
    for name, data in read_members(archive.data).items():
        try:
            doc = json.loads(data)
        except ValueError:
            continue
        if isinstance(doc, dict) and "architecture" in doc and "rootfs" in doc:
            configs[doc["architecture"]] = "sha256:" + name.rsplit("/", 1)[-1]
    return configs


def test_classic_to_containerd_brings_two_of_three(engine):
    with engine.client() as c:
        ids = {
            "ssw/big:v1": import_random_image(c, "ssw/big", "v1", 200 * MB),
            "ssw/small:v1": import_random_image(c, "ssw/small", "v1", 3 * MB),
            "ssw/left:v1": import_random_image(c, "ssw/left", "v1", 1 * MB),
        }
        c.request("POST", "/images/ssw/small:v1/tag", params={"repo": "ssw/small", "tag": "extra"})
        layers = {name: c.inspect_image(name)["RootFS"]["Layers"] for name in ids}
    proc = engine.run("switch", "containerd", "--bring", "ssw/big:v1", "--bring", "ssw/small:v1", "--json", timeout=600)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["live_store"] == "containerd"
    brought = {b["name"]: b for b in result["brought"]}
    assert set(brought) == {"ssw/big:v1", "ssw/small:v1"}
    assert all(b["verified"] for b in brought.values()), brought
    assert brought["ssw/big:v1"]["size"] >= 200 * MB
    assert sorted(brought["ssw/small:v1"]["tags"]) == ["ssw/small:extra", "ssw/small:v1"]
    assert not list((engine.profile.state_dir / "bring").glob("*")), "the archive was not removed"

    data_root = engine.profile.managed_data_root
    with engine.client() as c:
        listed = {t for img in c.images() for t in (img.get("RepoTags") or [])}
        assert {"ssw/big:v1", "ssw/small:v1", "ssw/small:extra"} <= listed
        assert "ssw/left:v1" not in listed
        for name in ("ssw/big:v1", "ssw/small:v1", "ssw/small:extra"):
            got = c.inspect_image(name)
            source = name if name != "ssw/small:extra" else "ssw/small:v1"
            assert got["RootFS"]["Layers"] == layers[source]
            manifest = content_blob(data_root, got["Id"])  # the containerd store's ID is the manifest's digest
            assert manifest["config"]["digest"] == ids[source], "a different image config"

    back = engine.run("switch", "classic", "--json", check=True)
    assert json.loads(back.stdout)["brought"] == []
    with engine.client() as c:
        for name, ident in ids.items():
            assert c.inspect_image(name)["Id"] == ident, f"{name} changed in the classic store"


def test_containerd_to_classic_multiplatform(engine):
    engine.switch_to("containerd")
    archive = build_archive("docker.io/ssw/multi:v1")
    with engine.client() as c:
        c.load_images(archive.data)
        can_pick = api_at_least(c, "1.48")
        host = c.version()["Arch"]
        pid_before = c.info().get("ID"), engine.profile.managed_pidfile.read_text()
    with engine.client() as c:
        here = {t for i in c.images() for t in (i.get("RepoTags") or [])}
    assert {"ssw/big:v1", "ssw/small:v1"} <= here  # brought by the first test: single-platform images
    proc = engine.run("switch", "classic", "--bring-all", "--json", timeout=300)
    if not can_pick:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        err = json.loads(proc.stdout)["error"]
        assert "ssw/multi:v1" in err and "1.48" in err and "linux/arm64" in err and "Nothing was changed" in err
        assert "ssw/big:v1" not in err  # only the images that cannot be brought are named
        assert engine.status()["live_store"] == "containerd"
        assert engine.profile.managed_pidfile.read_text() == pid_before[1], "the engine was restarted"
        assert not engine.profile.journal_path.exists()
        return
    assert proc.returncode == 0, proc.stderr
    brought = {b["name"]: b for b in json.loads(proc.stdout)["brought"]}
    assert {"ssw/multi:v1", "ssw/big:v1", "ssw/small:v1"} <= {t for b in brought.values() for t in b["tags"]}
    assert all(b["verified"] for b in brought.values()), brought
    assert brought["ssw/multi:v1"]["platform"] == f"linux/{host}"
    with engine.client() as c:
        got = c.inspect_image("ssw/multi:v1")
        assert got["Architecture"] == host and got["Id"] == platform_configs(archive)[host]
    engine.switch_to("containerd")
    with engine.client() as c:  # the containerd store kept its copy, both platforms whole
        assert sorted(complete_platforms(c.export_image("ssw/multi:v1"))) == ["linux/amd64", "linux/arm64"]
    engine.switch_to("classic")


def test_an_unknown_image_is_refused_before_anything_changes(engine):
    engine.switch_to("classic") if engine.status()["live_store"] != "classic" else None
    config = engine.profile.managed_config_path.read_bytes()
    proc = engine.run("switch", "containerd", "--bring", "ssw/not-here:v9", "--json")
    assert proc.returncode == 1
    err = json.loads(proc.stdout)["error"]
    assert "ssw/not-here:v9" in err and "not an image of the classic store" in err and "Nothing was changed" in err
    assert engine.profile.managed_config_path.read_bytes() == config
    assert engine.status()["live_store"] == "classic"


def test_platform_option_brings_the_other_platform_or_is_refused(engine):
    """``--platform linux/arm64``: that platform's image on the classic store (API 1.48+), or refused up front."""
    if engine.status()["live_store"] != "containerd":
        engine.switch_to("containerd")
    archive = build_archive("docker.io/ssw/multi:v2")  # the same content as ssw/multi:v1: one image, two names
    with engine.client() as c:
        c.load_images(archive.data)
        c.remove_image("ssw/multi:v1", force=False)  # the classic store has v1 as amd64: bring v2 alone
        can_pick = api_at_least(c, "1.48")
    proc = engine.run("switch", "classic", "--bring", "ssw/multi:v2", "--platform", "linux/arm64", "--json", timeout=300)
    if not can_pick:
        assert proc.returncode == 1 and "ssw/multi:v2" in json.loads(proc.stdout)["error"]
        assert engine.status()["live_store"] == "containerd"
        return
    assert proc.returncode == 0, proc.stderr
    brought = json.loads(proc.stdout)["brought"]
    assert brought[0]["platform"] == "linux/arm64" and brought[0]["verified"], brought
    with engine.client() as c:
        got = c.inspect_image("ssw/multi:v2")
    assert got["Architecture"] == "arm64" and got["Id"] == brought[0]["config_digest"] == platform_configs(archive)["arm64"]


def test_a_name_the_other_store_gives_another_image_is_refused(engine):
    """The load would move the name and leave the other store's image untagged: refused before the stop."""
    from tests.conftest import tiny_tar

    if engine.status()["live_store"] != "containerd":
        engine.switch_to("containerd")
    with engine.client() as c:
        c.import_image(tiny_tar(b"the containerd store's own"), "ssw/clash", "v1")
        theirs = c.inspect_image("ssw/clash:v1")["Id"]
    engine.switch_to("classic")
    with engine.client() as c:
        c.import_image(tiny_tar(b"the classic store's own"), "ssw/clash", "v1")
    pid = engine.profile.managed_pidfile.read_text()
    proc = engine.run("switch", "containerd", "--bring", "ssw/clash:v1", "--json")
    assert proc.returncode == 1
    err = json.loads(proc.stdout)["error"]
    assert "ssw/clash:v1" in err and theirs in err and "Nothing was changed" in err
    assert engine.profile.managed_pidfile.read_text() == pid and engine.status()["live_store"] == "classic"
    assert not list((engine.profile.state_dir / "bring").glob("*")) and not engine.profile.journal_path.exists()
