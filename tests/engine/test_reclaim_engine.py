"""``storeswitch reclaim`` against a real engine (issue 15, part 2).

One managed engine per module. Each hidden store is filled once through the engine (switch to it,
load images made without a registry, switch back), then reclaimed: the dry run's estimate is
compared with the bytes freed as measured on disk, images used by containers stay, and a reclaim
killed at each step ends with the engine on the store that was live and daemon.json byte-identical.
"""

from __future__ import annotations

import json

import pytest

from backend.reclaim_journal import reclaim_journal_path
from tests.engine.cli_support import CliEngine, cli_engine_or_skip
from tests.layered_images import layer, save_archive

pytestmark = pytest.mark.engine
MB = 1_000_000


@pytest.fixture(scope="module")
def engine():
    eng = cli_engine_or_skip()
    try:
        yield eng
    finally:
        eng.close()


def fill_hidden(eng: CliEngine, hidden: str, images: dict[str, list[bytes]], containers: dict[str, str] = {}) -> None:  # noqa: B006
    """Load *images* (and create *containers*: name -> image) into *hidden*, then switch back."""
    live = eng.status()["live_store"]
    if live == hidden:
        eng.switch_to("classic" if hidden == "containerd" else "containerd")
        live = eng.status()["live_store"]
    eng.switch_to(hidden)
    with eng.client() as c:
        c.load_images(save_archive(images))
        for name, image in containers.items():
            c.create_container(image, name)
    eng.switch_to(live)


def reclaim(eng: CliEngine, *args: str, fault: str | None = None):
    proc = eng.run("reclaim", *args, "--json", fault=fault)
    data = json.loads(proc.stdout) if proc.stdout.strip() else {}
    return proc, data


def hidden_names(eng: CliEngine) -> set[str]:
    _, data = reclaim(eng, "--dry-run", "--all")
    return {n for i in data["images"] for n in i["names"]}


@pytest.mark.parametrize("hidden", ["containerd", "classic"])
def test_dry_run_bytes_match_bytes_freed_and_used_images_stay(engine, hidden):
    base = layer(3 * MB)
    fill_hidden(engine, hidden, {
        "shared-a:v1": [base, layer(2 * MB)],
        "shared-b:v1": [base, layer(2 * MB)],
        "used:v1": [layer(2 * MB)],
    }, {"keeper": "used:v1"})
    live = engine.status()["live_store"]
    assert live != hidden
    engine.import_image("live-only")
    config = engine.profile.managed_config_path.read_bytes()

    # The inactive-store notice: status (a cheap count) and diagnose (measured on disk).
    proc = engine.run("status", "--json", check=True)
    quick = json.loads(proc.stdout)["hidden_store"]
    assert (quick["store"], quick["images"], quick["bytes_kind"]) == (hidden, 3, "content")
    assert quick["bytes"] >= 7 * MB and "storeswitch reclaim" in quick["notice"] and "--bring" in quick["notice"]
    assert "hidden store:" in engine.run("status", check=True).stdout
    proc = engine.run("diagnose", "--json", "--no-known-issues", check=True)
    measured = json.loads(proc.stdout)["hidden_store"]
    assert (measured["store"], measured["images"]) == (hidden, 3) and measured["bytes"] >= quick["bytes"]
    assert "hidden store:" in engine.run("diagnose", "--no-known-issues", check=True).stdout

    # The containerd store keeps each layer twice: its blob and its unpacked snapshot.
    copies = 2 if hidden == "containerd" else 1
    # One of two images sharing a base layer frees only its own layer.
    proc, one = reclaim(engine, "--dry-run", "shared-a:v1")
    assert proc.returncode == 0, proc.stderr
    assert 2 * MB * copies <= one["bytes_estimated"] < 2.5 * MB * copies, one
    assert one["dry_run"] is True and one["store"] == hidden

    # An image a container uses, named without its container: refused, nothing changes.
    proc, refused = reclaim(engine, "used:v1")
    assert proc.returncode == 1 and "--remove-container" in refused["error"] and refused["exit_code"] == 1

    proc, dry = reclaim(engine, "--dry-run", "--unused")
    assert proc.returncode == 0, proc.stderr
    removed = {i["name"] for i in dry["images"] if i["reason"] == "removed"}
    assert removed == {"shared-a:v1", "shared-b:v1"}
    assert dry["kept_in_use"] == [{"name": "used:v1", "id": dry["kept_in_use"][0]["id"], "containers": ["keeper"]}]
    assert 7 * MB * copies <= dry["bytes_estimated"] < 7.5 * MB * copies
    assert engine.status()["live_store"] == live  # a dry run restarts nothing

    proc, done = reclaim(engine, "--unused", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert done["dry_run"] is False
    assert abs(done["bytes_freed"] - dry["bytes_estimated"]) <= 0.01 * dry["bytes_estimated"], done
    assert done["bytes_before"] - done["bytes_after"] == done["bytes_freed"]
    assert engine.status()["live_store"] == live
    assert engine.profile.managed_config_path.read_bytes() == config
    assert "live-only:v1" in engine.images()
    assert hidden_names(engine) == {"used:v1"}
    assert not reclaim_journal_path(engine.profile).exists()

    # --all with the container named removes both; the freed bytes again match the estimate.
    proc, dry_all = reclaim(engine, "--dry-run", "--all", "--remove-container", "keeper")
    assert [c["name"] for c in dry_all["containers_removed"]] == ["keeper"]
    proc, done_all = reclaim(engine, "--all", "--remove-container", "keeper", "--yes")
    assert proc.returncode == 0, proc.stderr
    assert abs(done_all["bytes_freed"] - dry_all["bytes_estimated"]) <= 0.01 * max(dry_all["bytes_estimated"], MB), done_all
    assert hidden_names(engine) == set()
    assert engine.status()["live_store"] == live
    assert engine.status()["hidden_store"]["images"] == 0 and engine.status()["hidden_store"]["notice"] is None
    with engine.client() as c:  # the other parameter's hidden store starts empty
        c.remove_image("live-only:v1")


KILL_POINTS = ["reclaim-hidden-started", "reclaim-image-removed", "reclaim-removed", "reclaim-restored"]


@pytest.fixture(scope="module")
def kill_images(engine):
    """One image per kill test in the hidden containerd store (the engine runs classic)."""
    names = {f"kill-{n}:v1": [layer(MB // 2)] for n in range(len(KILL_POINTS))}
    fill_hidden(engine, "containerd", names)
    return sorted(names)


@pytest.mark.parametrize("point", KILL_POINTS)
def test_killed_reclaim_ends_on_the_store_that_was_live(engine, kill_images, point):
    live = engine.status()["live_store"]
    config = engine.profile.managed_config_path.read_bytes()
    image = kill_images[KILL_POINTS.index(point)]
    proc, _ = reclaim(engine, image, "--yes", fault=point)
    assert proc.returncode == -9, proc.stderr
    assert reclaim_journal_path(engine.profile).exists()

    proc = engine.run("status", "--json")
    assert proc.returncode == 0, proc.stderr
    status = json.loads(proc.stdout)
    assert status["live_store"] == live
    assert engine.profile.managed_config_path.read_bytes() == config
    assert not reclaim_journal_path(engine.profile).exists()
    left = hidden_names(engine)
    if point == "reclaim-hidden-started":
        assert image in left  # killed before any removal: the image is still there
    else:
        assert image not in left
