"""The configured store by the engine's own rule (backend/store_choice.py): one case per row.

No Engine 29 binary is available to these machines (Debian ships 28.5.2 at most, and only Debian
packages can be fetched here), so these cases follow moby's source, not a run: each case's id and
docstring name the line of ``daemon/image_store_choice.go`` (moby b985e2313a; 29.0.x rows: tag
docker-v29.0.0) or ``daemon/command/daemon_linux.go`` it follows. The engines before 29 that do
run here (26.1.5, 28.5.2) are checked against /info by the real-engine tests.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from backend.store_choice import decide, migration_notes, prior_driver_dir
from backend.stores import Store

V29 = Version("29.1.3")
V29_0 = Version("29.0.4")
V28 = Version("28.5.2")


def data_root(tmp_path: Path, *filled: str, empty: tuple[str, ...] = ()) -> Path:
    root = tmp_path / "docker"
    root.mkdir()
    for name in filled:
        (root / name).mkdir()
        (root / name / "l").mkdir()
    for name in empty:
        (root / name).mkdir()
    return root


# (id citing the source line, config, env, dirs with content, engine version, expected store, rule)
ROWS = [
    pytest.param({"features": {"containerd-snapshotter": True}}, {}, ("overlay2",), V29, Store.CONTAINERD, "explicit",
                 id="explicit-true-wins-over-prior-dir:image_store_choice.go:L115-120"),
    pytest.param({"features": {"containerd-snapshotter": False}}, {}, (), V29, Store.CLASSIC, "explicit",
                 id="explicit-false-classic:image_store_choice.go:L121-123"),
    pytest.param({"features": {"containerd-snapshotter": True}, "storage-driver": "overlay2"}, {}, (), V29,
                 Store.CONTAINERD, "explicit", id="explicit-true-with-graph-driver-name:image_store_choice.go:L137,L148-149"),
    pytest.param({}, {"DOCKER_DRIVER": "overlay2"}, (), V29, Store.CLASSIC, "driver-name",
                 id="env-DOCKER_DRIVER-graph-driver:image_store_choice.go:L110-113,L137-139"),
    pytest.param({"storage-driver": "overlayfs"}, {"DOCKER_DRIVER": "vfs"}, (), V29, Store.CLASSIC, "driver-name",
                 id="env-DOCKER_DRIVER-beats-storage-driver:image_store_choice.go:L110-113"),
    pytest.param({}, {"DOCKER_DRIVER": "native"}, (), V29, Store.CONTAINERD, "driver-name",
                 id="env-DOCKER_DRIVER-snapshotter:image_store_choice.go:L148-149"),
    *[pytest.param({"storage-driver": d}, {}, (), V29, Store.CLASSIC, "driver-name",
                   id=f"storage-driver-{d}-graph-driver:image_store_choice.go:L137-139")
      for d in ("overlay2", "vfs", "btrfs", "zfs", "fuse-overlayfs")],
    *[pytest.param({"storage-driver": d}, {}, (), V29, Store.CONTAINERD, "driver-name",
                   id=f"storage-driver-{d}-snapshotter:image_store_choice.go:L148-149")
      for d in ("overlayfs", "native", "stargz")],
    *[pytest.param({}, {}, (d,), V29, Store.CLASSIC, "prior-driver",
                   id=f"prior-dir-{d}-not-empty:image_store_choice.go:L130-134,driver.go:L243-256")
      for d in ("overlay2", "btrfs", "zfs", "fuse-overlayfs")],
    pytest.param({}, {}, ("vfs",), V29, Store.CONTAINERD, "engine-default",
                 id="prior-dir-vfs-ignored:driver.go:L247"),
    pytest.param({"storage-driver": "overlayfs"}, {}, ("overlay2",), V29, Store.CLASSIC, "prior-driver",
                 id="29.1-prior-dir-before-snapshotter-name:image_store_choice.go:L130-134"),
    pytest.param({"storage-driver": "overlayfs"}, {}, ("overlay2",), V29_0, Store.CONTAINERD, "driver-name",
                 id="29.0-snapshotter-name-before-prior-dir:v29.0.0-image_store_choice.go:L114-145"),
    pytest.param({"storage-driver": "zfs"}, {}, (), V29_0, Store.CONTAINERD, "driver-name",
                 id="29.0-zfs-is-no-classic-name:v29.0.0-image_store_choice.go:L116-124,L143-144"),
    pytest.param({}, {}, (), V29, Store.CONTAINERD, "engine-default",
                 id="nothing-set-fresh-install:image_store_choice.go:L105,L152"),
    pytest.param({"userns-remap": "default"}, {}, (), V29, Store.CLASSIC, "userns-remap",
                 id="userns-remap-without-key-off:daemon_linux.go:L36-40"),
    pytest.param({"userns-remap": "default", "features": {"containerd-snapshotter": True}}, {}, (), V29, None,
                 "userns-remap", id="userns-remap-with-key-true-refuses-to-start:daemon_linux.go:L31-34"),
    pytest.param({"features": {"containerd-snapshotter": False}, "storage-driver": "overlayfs"}, {}, (), V29, None,
                 "explicit", id="explicit-false-with-snapshotter-name-refuses:image_store_choice.go:L140-145"),
    pytest.param({}, {}, (), V28, Store.CLASSIC, "before-29", id="engine-28-off-unless-set:before-Engine-29"),
    pytest.param({"storage-driver": "overlayfs"}, {}, (), V28, Store.CLASSIC, "before-29",
                 id="engine-28-snapshotter-name-does-not-turn-it-on:before-Engine-29"),
    pytest.param({"features": {"containerd-snapshotter": True}}, {}, (), V28, Store.CONTAINERD, "explicit",
                 id="engine-28-explicit-key:before-Engine-29"),
    pytest.param({"features": {"containerd-snapshotter": True}}, {}, (), Version("20.10.24"), Store.CLASSIC, "before-24",
                 id="engine-20.10-ignores-the-key:before-Engine-24"),
]


@pytest.mark.parametrize(("config", "env", "dirs", "version", "expected", "rule"), ROWS)
def test_engine_rule_row(tmp_path, config, env, dirs, version, expected, rule):
    """One row of moby's determineImageStoreChoice (or daemon_linux.go's userns-remap rule), cited in the id.

    No Engine 29 binary is available to these machines: the expected store is the source's answer,
    read in moby/moby daemon/image_store_choice.go at the cited lines, not a run.
    """
    choice = decide(config, version, data_root(tmp_path, *dirs), env)
    assert (choice.store, choice.rule) == (expected, rule)
    if expected is None:
        assert choice.refusal and "refuses to start" in choice.refusal
    assert choice.configured_by


def test_fresh_engine_29_says_why_in_the_contract_wording(tmp_path):
    """status shows "engine default: containerd store (Engine 29: `<data-root>/overlay2` is empty)"."""
    root = data_root(tmp_path, empty=("overlay2",))
    choice = decide({}, V29, root)
    assert choice.configured_by == f"engine default: containerd store (Engine 29: `{root / 'overlay2'}` is empty)"


def test_prior_dir_says_emptying_it_flips_the_store(tmp_path):
    """image_store_choice.go L130-134: key absent + non-empty overlay2 -> classic; the note names the directory."""
    root = data_root(tmp_path, "overlay2")
    choice = decide({}, V29, root)
    assert choice.prior_driver_dir == root / "overlay2"
    assert any(f"emptying {root / 'overlay2'} would flip" in n for n in choice.notes)


def test_empty_prior_dir_does_not_count(tmp_path):
    """driver.go L250: an empty <data-root>/overlay2 is no prior driver."""
    assert prior_driver_dir(data_root(tmp_path, empty=("overlay2", "btrfs"))) is None


def test_unknown_version_without_key_says_so(tmp_path):
    choice = decide({}, None, data_root(tmp_path))
    assert choice.store is Store.CLASSIC and choice.rule == "version-unknown" and "unknown" in choice.configured_by


@pytest.mark.parametrize(("env", "words"), [({}, "no images either"), ({"DOCKER_MIGRATE_SNAPSHOTTER_THRESHOLD": "2GB"}, "up to 2GB")])
def test_containerd_migration_note(env, words):
    """daemon.go L930-946 and L1223-1272: migrates only with no containers; the threshold variable sizes it."""
    notes = migration_notes({"features": {"containerd-migration": True}}, env)
    assert len(notes) == 1 and "no containers" in notes[0] and words in notes[0] and "never sets it" in notes[0]
    assert migration_notes({"features": {"containerd-migration": False}}) == ()
