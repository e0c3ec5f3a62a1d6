"""Real engine, the issue's acceptance: with images in both stores, ``diagnose --json`` lists the
hidden store's images by name from disk while the other store is live, and the disk reading
agrees with the engine (names and counts) for whichever store is live.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from backend.inspect.inventory import data_root_of, read_from_disk, read_from_engine
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from tests.conftest import tiny_tar


def diagnose(profile) -> dict:
    """The real CLI in its own process, as a support person runs it."""
    env = {**os.environ, "STORESWITCH_PROFILE": str(profile.config_dir.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "backend.cli", "--target", "managed", "diagnose", "--json", "--no-known-issues"],
        capture_output=True, text=True, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def engine_view(client) -> tuple[set[str], int, int]:
    images = client.images(all=True)
    names = {t for i in images for t in (i.get("RepoTags") or []) if t != "<none>:<none>"}
    return names, len(images), len(client.containers(all=True))


def disk_agrees_with_engine(target, client, store: Store) -> None:
    info = client.info()
    assert live_store(info) is store
    roots = target.store_roots(info)
    disk = read_from_disk(roots, data_root_of(roots, info), stores=(store,))[store]
    engine = read_from_engine(client, store, roots[store])
    assert disk.errors == []
    assert disk.image_names == engine.image_names
    assert disk.image_count == engine.image_count
    assert sorted(c.name for c in disk.containers) == sorted(c.name for c in engine.containers)
    if store is Store.CLASSIC:  # the classic store's size is its layers', the same sum on both sides
        assert {i.id: i.size for i in disk.images} == {i.id: i.size for i in engine.images}


def test_hidden_store_listed_from_disk_and_counts_agree(managed, engine_profile):
    tx = SwitchTransaction(managed, engine_profile)
    with managed.client() as c:
        c.import_image(tiny_tar(b"classic one"), "ssw/classic-one", "v1")
        c.import_image(tiny_tar(b"classic two"), "ssw/classic-two", "v1")
        c.request("POST", "/images/ssw/classic-one:v1/tag", params={"repo": "ssw/alias", "tag": "same"})
        c.import_image(tiny_tar(b"untagged soon"), "ssw/retag", "v1")
        c.import_image(tiny_tar(b"retagged"), "ssw/retag", "v1")  # the first one loses its name
        c.create_container("ssw/classic-one:v1", name="classic-box")
        classic_names, classic_count, classic_containers = engine_view(c)
        assert classic_names == {"ssw/classic-one:v1", "ssw/classic-two:v1", "ssw/alias:same", "ssw/retag:v1"}
        assert classic_count == 4  # one, two (alias: the same image), the retagged one and its untagged predecessor
        disk_agrees_with_engine(managed, c, Store.CLASSIC)

    tx.run(Store.CONTAINERD)
    with managed.client() as c:
        c.import_image(tiny_tar(b"containerd one"), "ssw/ctrd-one", "v1")
        c.import_image(tiny_tar(b"containerd two"), "library/ctrd-two", "latest")
        c.request("POST", "/images/ssw/ctrd-one:v1/tag", params={"repo": "ssw/ctrd-alias", "tag": "x"})
        c.create_container("ssw/ctrd-one:v1", name="ctrd-box")
        ctrd_names, ctrd_count, ctrd_containers = engine_view(c)
        assert "ctrd-two:latest" in ctrd_names
        assert ctrd_count == 2  # the containerd store lists an image once per digest: the alias shares one
        disk_agrees_with_engine(managed, c, Store.CONTAINERD)

    report = diagnose(engine_profile)
    assert report["live_store"] == "containerd" and report["pending_restart"] is False
    hidden, live = report["stores"]["classic"], report["stores"]["containerd"]
    assert hidden["source"] == "disk" and live["source"] == "engine"
    assert set(hidden["image_names"]) == classic_names
    assert hidden["image_count"] == classic_count and hidden["container_count"] == classic_containers
    assert set(live["image_names"]) == ctrd_names and live["image_count"] == ctrd_count
    assert live["container_count"] == ctrd_containers
    assert hidden["bytes"] > 0 and live["bytes"] > 0 and hidden["errors"] == [] and live["errors"] == []
    assert report["switches"]["entries"][0]["to"] == "containerd"
    assert report["engine"]["version"]

    tx.run(Store.CLASSIC)
    with managed.client() as c:
        names, count, containers = engine_view(c)
        assert (names, count, containers) == (set(hidden["image_names"]), hidden["image_count"], hidden["container_count"])
        disk_agrees_with_engine(managed, c, Store.CLASSIC)
    report = diagnose(engine_profile)
    hidden = report["stores"]["containerd"]
    assert report["live_store"] == "classic" and hidden["source"] == "disk"
    assert set(hidden["image_names"]) == ctrd_names
    assert (hidden["image_count"], hidden["container_count"]) == (ctrd_count, ctrd_containers)
