"""The inactive-store notice's cheap count (``status``'s ``hidden_store``) on synthetic stores, and
the reclaim graph read from the same stores: counts, content bytes, shared layers, the notice."""

from __future__ import annotations

from backend.hidden_store import from_report, notice, quick_summary
from backend.reclaim_graph import read_graph
from backend.stores import Store
from backend.targets.managed import ManagedTarget
from tests.synthetic_stores import make_classic, make_containerd


def test_hidden_classic_store_is_counted_from_its_index_files(profile):
    target = ManagedTarget(profile)
    data_root = profile.managed_data_root
    exp = make_classic(data_root, ["web:1", "web:2", "db:9"], untagged=1)
    summary = quick_summary(target, None, Store.CONTAINERD)  # engine stopped, daemon.json asks for containerd
    assert summary["store"] == "classic" and summary["images"] == 4
    assert summary["bytes"] == 1000 + sum(10 + i for i in range(4))  # the shared base layer once
    assert "4 images" in summary["notice"] and "reclaim" in summary["notice"]
    graph = read_graph(Store.CLASSIC, target.store_roots(None)[Store.CLASSIC], data_root)
    assert set(graph.images) == exp.ids
    web1 = next(i for i in graph.images.values() if i.names == ["web:1"])
    # Removing one image frees its own layer (and config), never the base the others share.
    assert graph.freed({web1.id}) == graph.unique_bytes(web1.id) < graph.freed(set(graph.images))


def test_hidden_containerd_store_is_counted_from_meta_db(profile):
    target = ManagedTarget(profile)
    exp = make_containerd(target.store_roots(None)[Store.CONTAINERD].roots[0], ["a:1", "b:2"])
    summary = quick_summary(target, None, Store.CLASSIC)
    assert (summary["store"], summary["images"]) == ("containerd", 2)
    assert summary["bytes"] == sum(exp.sizes.values())
    graph = read_graph(Store.CONTAINERD, target.store_roots(None)[Store.CONTAINERD], profile.managed_data_root)
    assert {i: graph.freed({i}) for i in graph.images} == exp.sizes


def test_no_notice_for_an_empty_hidden_store(profile):
    assert quick_summary(ManagedTarget(profile), None, Store.CLASSIC)["notice"] is None
    assert notice(Store.CLASSIC, 0, 0) is None


def test_diagnose_figures_give_the_measured_notice():
    report = {"live_store": "classic", "stores": {"containerd": {"image_count": 2, "bytes": 5_000_000}}}
    hidden = from_report(report)
    assert (hidden["store"], hidden["images"], hidden["bytes"], hidden["bytes_kind"]) == ("containerd", 2, 5_000_000, "on disk")
    assert "5.0 MB on disk" in hidden["notice"]
    assert from_report({"live_store": None, "config": {"configured_store": None}}) is None


def test_big_stores_are_counted_without_adding_up_bytes(profile, monkeypatch):
    """Above QUICK_LIMIT images status stays fast: a count, no bytes, and where to get them."""
    monkeypatch.setattr("backend.hidden_store.QUICK_LIMIT", 2)
    target = ManagedTarget(profile)
    make_classic(profile.managed_data_root, ["a:1", "b:1", "c:1"])
    make_containerd(target.store_roots(None)[Store.CONTAINERD].roots[0], ["a:1", "b:1", "c:1"])
    for live in (Store.CLASSIC, Store.CONTAINERD):
        summary = quick_summary(target, None, live)
        assert summary["images"] == 3 and summary["bytes"] is None and "diagnose" in summary["bytes_note"]
        assert "3 images" in summary["notice"]
