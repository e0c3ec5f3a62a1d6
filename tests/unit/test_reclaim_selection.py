"""Reclaim's selection rules and byte arithmetic on a store graph, and its journal (no engine).

The graph is built by hand with its units as real files of known sizes, so the bytes each rule
frees are exact: a layer shared with a kept image is never counted, an image a container uses
stays (or, named, is refused), a container named with --remove-container frees its own layer and
lets its image go, and an untagged parent of a kept image stays.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from backend.journal import JournalDamaged, Step
from backend.profile import Profile
from backend.reclaim import ReclaimRefused, Selection, _children_first, _matches, select
from backend.reclaim_graph import GraphContainer, GraphImage, StoreGraph, decode_uvarint
from backend.reclaim_journal import RECLAIM_JOURNAL_SCHEMA, ReclaimEntry, ReclaimJournal, reclaim_journal_path
from backend.stores import Store

SIZES = {"base": 3000, "a": 200, "b": 400, "used": 1000, "rw": 50, "parent": 700, "child": 80}


@pytest.fixture
def graph(tmp_path) -> StoreGraph:
    g = StoreGraph(Store.CONTAINERD)
    for unit, size in SIZES.items():
        path = tmp_path / unit
        path.write_bytes(b"x" * size)
        g.unit_paths[unit] = [str(path)]
    g.images = {
        "sha256:aaaa1111": GraphImage("sha256:aaaa1111", ["shared-a:v1"], {"base", "a"}),
        "sha256:bbbb2222": GraphImage("sha256:bbbb2222", ["shared-b:v1"], {"base", "b"}),
        "sha256:cccc3333": GraphImage("sha256:cccc3333", ["used:latest"], {"used"}),
    }
    g.containers = [GraphContainer("f00d" * 16, "keeper", "sha256:cccc3333", "exited", {"rw"})]
    return g


def removed(plan) -> set[str]:
    return {i.name for i in plan.images if i.removed}


def test_unused_keeps_what_a_container_uses_and_counts_shared_layers_once(graph):
    plan = select(graph, Store.CLASSIC, Selection("unused"))
    assert removed(plan) == {"shared-a:v1", "shared-b:v1"}
    assert plan.bytes_estimated == SIZES["base"] + SIZES["a"] + SIZES["b"]
    assert plan.kept_in_use == [{"name": "used:latest", "id": "sha256:cccc3333", "containers": ["keeper"]}]
    assert plan.containers == []


def test_one_of_two_images_sharing_a_layer_frees_only_its_own(graph):
    plan = select(graph, Store.CLASSIC, Selection("images", ["shared-a:v1"]))
    assert removed(plan) == {"shared-a:v1"}
    assert plan.bytes_estimated == SIZES["a"]
    by_name = {i.name: i for i in plan.images}
    assert by_name["shared-a:v1"].bytes == SIZES["a"] and by_name["shared-b:v1"].reason == "not named"


def test_all_keeps_images_in_use_unless_their_container_is_named(graph):
    plan = select(graph, Store.CLASSIC, Selection("all"))
    assert "used:latest" not in removed(plan)
    plan = select(graph, Store.CLASSIC, Selection("all", remove_containers=["keeper"]))
    assert removed(plan) == {"shared-a:v1", "shared-b:v1", "used:latest"}
    assert plan.containers[0]["name"] == "keeper"
    assert plan.bytes_estimated == sum(SIZES[u] for u in ("base", "a", "b", "used", "rw"))
    assert plan.kept_in_use == []


def test_a_named_image_in_use_is_refused_naming_the_container(graph):
    with pytest.raises(ReclaimRefused, match="keeper.*--remove-container"):
        select(graph, Store.CLASSIC, Selection("images", ["used"]))  # "used" means used:latest
    plan = select(graph, Store.CLASSIC, Selection("images", ["used"], ["keeper"]))
    assert removed(plan) == {"used:latest"}


@pytest.mark.parametrize("ref", ["nope:v1", "sha256:dead", "shared"])
def test_unknown_or_ambiguous_names_are_refused(graph, ref):
    with pytest.raises(ReclaimRefused, match="nothing was changed"):
        select(graph, Store.CLASSIC, Selection("images", [ref]))


def test_unknown_container_is_refused(graph):
    with pytest.raises(ReclaimRefused, match="no single container 'ghost'.*keeper"):
        select(graph, Store.CLASSIC, Selection("all", remove_containers=["ghost"]))


def test_names_ids_and_prefixes_match():
    names = ["web:latest", "web:1.0"]
    assert _matches("web", "sha256:abcdef12", names)
    assert _matches("web:1.0", "sha256:abcdef12", names)
    assert _matches("abcd", "sha256:abcdef12", names) and _matches("sha256:abcdef", "sha256:abcdef12", names)
    assert not _matches("abc", "sha256:abcdef12", [])  # too short to be an ID prefix
    assert not _matches("web:2", "sha256:abcdef12", names)


def test_an_untagged_parent_of_a_kept_image_stays_and_children_go_first(graph):
    graph.images["sha256:9999"] = GraphImage("sha256:9999", [], {"parent"})
    graph.images["sha256:8888"] = GraphImage("sha256:8888", ["child:v1"], {"parent", "child"}, parent="sha256:9999")
    plan = select(graph, Store.CLASSIC, Selection("images", ["shared-a:v1", "sha256:9999"]))
    assert "sha256:9999" not in {i.id for i in plan.images if i.removed}
    assert {i.id: i.reason for i in plan.images}["sha256:9999"] == "parent of kept image child:v1"
    plan = select(graph, Store.CLASSIC, Selection("unused"))
    order = [i.id for i in _children_first(plan)]
    assert order.index("sha256:8888") < order.index("sha256:9999")


def test_uvarint_is_containerds_snapshot_id_encoding():
    assert decode_uvarint(b"\x05") == 5 and decode_uvarint(b"\x80\x01") == 128
    with pytest.raises(ValueError):
        decode_uvarint(b"\x80")


# --- the journal ---------------------------------------------------------------------------
def entry(step: str = "planned") -> ReclaimEntry:
    return ReclaimEntry("id1", "managed", "/x/daemon.json", "classic", "containerd", "e30K", "e30K",
                        ["sha256:aa"], [], 1.0, 10, step=step)


def test_journal_round_trip_and_the_rollback_it_asks_for(tmp_path):
    profile = Profile.from_dir(tmp_path / "p")
    journal = ReclaimJournal(profile)
    assert journal.path == reclaim_journal_path(profile) and journal.read() is None
    e = entry()
    journal.write(e, "removed")
    back = journal.read()
    assert back.step == "removed" and back.schema_version == RECLAIM_JOURNAL_SCHEMA and back.original_config == b"{}\n"
    # Before the engine stopped only the file is put back; afterwards the engine is restarted too.
    assert entry("config-written").as_switch_entry().last_step is Step.CONFIG_WRITTEN
    for step in ("hidden-started", "removed", "config-restored", "restored"):
        sw = entry(step).as_switch_entry()
        assert sw.last_step is Step.ENGINE_STARTED and sw.from_store == "classic" and sw.engine_was_running
    journal.clear()
    assert not journal.path.exists()


@pytest.mark.parametrize("content", ["{not json", '{"schema_version": 99}', '{"reclaim_id": "x"}', "[]"])
def test_a_damaged_or_newer_journal_is_refused_and_kept(tmp_path, content):
    profile = Profile.from_dir(tmp_path / "p")
    path = reclaim_journal_path(profile)
    path.parent.mkdir(parents=True)
    path.write_text(content)
    with pytest.raises(JournalDamaged, match="reclaim journal|newer storeswitch"):
        ReclaimJournal(profile).read()
    assert path.read_text() == content


def test_cli_usage_errors_exit_2(tmp_path):
    argv = [sys.executable, "-m", "backend.cli", "--profile", str(tmp_path / "p"), "--target", "managed", "reclaim"]
    for extra in (["--unused", "web"], ["--unused", "--remove-container", "c"], ["--unused", "--all"]):
        proc = subprocess.run([*argv, *extra], capture_output=True, text=True)
        assert proc.returncode == 2, (extra, proc.stderr)


def test_dry_run_reads_the_disk_with_the_engine_stopped(tmp_path):
    """No engine runs: the dry run takes daemon.json's store as the live one and reads the other from disk."""
    argv = [sys.executable, "-m", "backend.cli", "--profile", str(tmp_path / "p"), "--target", "managed", "reclaim"]
    proc = subprocess.run([*argv, "--dry-run", "--json"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (data["dry_run"], data["live_store"], data["store"], data["images"], data["bytes_estimated"]) == (
        True, "classic", "containerd", [], 0)
    proc = subprocess.run([*argv, "--json", "--yes"], capture_output=True, text=True)  # a real run needs the engine
    assert proc.returncode == 1 and "storeswitch engine start" in json.loads(proc.stdout)["error"]


def test_a_reclaim_waits_for_no_one_while_a_switch_holds_the_lock(profile):
    """The switch lock is the reclaim's too: a second operation is refused at once (exit 3)."""
    from backend.errors import SwitchInProgress
    from backend.reclaim import Reclaim
    from backend.switch import SwitchTransaction
    from backend.targets.managed import ManagedTarget

    target = ManagedTarget(profile)
    holder = SwitchTransaction(target, profile)
    holder.check_not_busy(hold=True)
    try:
        with pytest.raises(SwitchInProgress):
            Reclaim(target, profile).run(Selection())
    finally:
        holder.release()


def test_a_damaged_reclaim_journal_stops_commands_but_diagnose(tmp_path):
    profile = Profile.from_dir(tmp_path / "p")
    path = reclaim_journal_path(profile)
    path.parent.mkdir(parents=True)
    path.write_text("{torn")
    argv = [sys.executable, "-m", "backend.cli", "--profile", str(tmp_path / "p"), "--target", "managed"]
    status = subprocess.run([*argv, "status"], capture_output=True, text=True)
    assert status.returncode == 1 and "reclaim journal cannot be read" in status.stderr
    diagnose = subprocess.run([*argv, "diagnose", "--json", "--no-sizes", "--no-known-issues"], capture_output=True, text=True)
    assert diagnose.returncode == 0, diagnose.stderr
    assert "reclaim journal" in json.loads(diagnose.stdout)["journal"]["problem"]
    assert path.read_text() == "{torn"
