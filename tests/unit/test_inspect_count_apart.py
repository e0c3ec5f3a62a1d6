"""The byte count made by ``find`` in a process of its own gives what the walk gives (issue 16: faster, still exact).

:class:`backend.inspect.counting.CountApart` is compared with :func:`backend.inspect.sizes.disk_usage`
on the same files: a synthetic store, hard links within and across roots, a missing root, a file
root, mount points inside a root (a real tmpfs and a real bind mount: needs root, which CI is), a
really unreadable directory, no ``find`` on PATH; the containerd store's blob listings handed to the
reading; and the scan that uses
it (:func:`scan_disk`) with the plain reading and count.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from backend.inspect import counting
from backend.inspect.counting import CountApart, worth_apart
from backend.inspect.containerd import BLOBS
from backend.inspect.inventory import RootCounts, apply_usage, measure, read_from_disk, scan_disk
from backend.inspect.sizes import disk_usage
from backend.stores import Store, store_roots
from tests.synthetic_stores import make_classic
from tests.unit.test_inspect_fast_paths import comparable, data_root  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
# On CI (root) these always run: a non-root CI fails loudly at the mount instead of skipping.
needs_root = pytest.mark.skipif(os.geteuid() != 0 and not os.environ.get("CI"), reason="mounting needs root (CI runs as root)")


def classic_roots(data_root):
    return [data_root / "image" / "overlay2", data_root / "overlay2"]


def apart(roots, progress=None, made_by="find", record_under=()):
    """CountApart's result, checked to come from *made_by* (else a test would compare the walk with itself)."""
    count = CountApart(roots, progress, record_under)
    got = count.result()
    assert count.made_by == made_by
    return got


def test_same_as_the_walk_on_a_store(data_root):
    roots = classic_roots(data_root)
    got = apart(roots)
    assert got == disk_usage(roots) and got.files > 100 and got.errors == []


def test_hard_links_once_across_roots_missing_roots_and_file_roots(data_root, tmp_path):
    roots = classic_roots(data_root)
    layer = next((data_root / "overlay2").iterdir())
    config = next((data_root / "image" / "overlay2" / "imagedb" / "content" / "sha256").iterdir())
    os.link(config, layer / "linked-config")  # across the two roots
    (layer / "own").write_bytes(b"x" * 3000)
    os.link(layer / "own", layer / "own-again")  # within one
    (layer / "link").symlink_to("/usr/bin")  # not followed
    single = tmp_path / "single-file"
    single.write_bytes(b"y" * 123)
    roots = [*roots, tmp_path / "absent", single]
    got = apart(roots)
    assert got == disk_usage(roots)
    assert got.missing == [str(tmp_path / "absent")]


def test_a_root_given_twice_or_inside_another_is_counted_once(data_root):
    roots = classic_roots(data_root)
    for more in ([roots[0]], [next((data_root / "overlay2").iterdir())]):
        assert apart([*roots, *more], made_by="walk") == disk_usage([*roots, *more])  # find cannot stand in


def containerd_store(data_root):
    root = data_root / "containerd" / "daemon"
    return [root], [str(root / BLOBS)]


def test_blob_listings_are_the_walks(data_root):
    """The containerd store's count hands over its blob directories' listings: the same as the walk's."""
    roots, record = containerd_store(data_root)
    blobs = Path(record[0])
    (blobs / "sha512").mkdir()
    (blobs / "sha512" / ("e" * 128)).write_bytes(b"x" * 77)
    (blobs / "empty").mkdir()  # listed, empty, by both
    (blobs / "sha256" / "stray-dir").mkdir()  # an entry of the listing; its contents are not
    (blobs / "sha256" / "stray-dir" / "deeper").write_bytes(b"d" * 5)
    first = next((blobs / "sha256").iterdir())
    os.link(first, blobs / "sha512" / ("f" * 128))  # a hard link: in both listings, counted once
    got = apart(roots, record_under=record)
    walked = disk_usage(roots, record_under=record)
    assert got == walked
    assert set(got.listed) == {str(blobs / "sha256"), str(blobs / "sha512"), str(blobs / "empty")}
    assert got.listed[str(blobs / "empty")] == {} and got.listed[str(blobs / "sha512")]["e" * 128] == 77


def test_the_reading_gets_the_same_images_from_either_listing(data_root, monkeypatch):
    roots = store_roots(data_root)
    plain = read_from_disk(roots, data_root)
    measure(plain, roots)
    monkeypatch.setattr(counting, "BLOB_DIR_BYTES", 0)  # this small store counted apart, as a big one is
    monkeypatch.setattr(counting, "APART_FROM", 0)
    with RootCounts(tuple(Store), roots) as counts:
        assert set(counts.apart) == set(Store)
        scanned = read_from_disk(roots, data_root, listed=counts.listings())
        for store, (usage, free) in counts.result().items():
            apply_usage(scanned[store], usage, free)
        assert all(count.made_by == "find" for count in counts.apart.values())
    assert comparable(scanned) == comparable(plain)
    assert all(image.size for image in scanned[Store.CONTAINERD].images)


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True)


@needs_root
def test_a_mount_point_inside_a_root_is_not_crossed(data_root):
    """A running container's merged overlay, as a real tmpfs: neither walk nor find counts it."""
    roots = classic_roots(data_root)
    before = disk_usage(roots)
    merged = next((data_root / "overlay2").iterdir()) / "merged"
    merged.mkdir()
    mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(merged))
    try:
        (merged / "inside").write_bytes(b"z" * 100_000)
        got = apart(roots)
        assert got == disk_usage(roots)
        assert got.bytes == before.bytes and got.files == before.files  # the mount point entry is skipped too
    finally:
        subprocess.run(["umount", str(merged)], check=True)


@needs_root
def test_a_blob_directory_on_another_file_system_is_not_listed(data_root):
    """Neither walk nor find goes in; the reading then lists it itself (test_inspect_fast_paths)."""
    roots, record = containerd_store(data_root)
    other = Path(record[0]) / "sha512"
    other.mkdir()
    mount("-t", "tmpfs", "-o", "size=4m", "tmpfs", str(other))
    try:
        (other / ("e" * 128)).write_bytes(b"x" * 77)
        got = apart(roots, record_under=record)
        assert got == disk_usage(roots, record_under=record) and str(other) not in got.listed
    finally:
        subprocess.run(["umount", str(other)], check=True)


@needs_root
def test_a_bind_mount_inside_a_root_is_counted_once(data_root):
    """Same file system, so -xdev goes in; the walk counts the directory once: the walk's figure."""
    roots = classic_roots(data_root)
    target = next((data_root / "overlay2").iterdir()) / "bound"
    target.mkdir()
    mount("--bind", str(data_root / "image" / "overlay2" / "layerdb"), str(target))
    try:
        assert apart(roots, made_by="walk") == disk_usage(roots)
    finally:
        subprocess.run(["umount", str(target)], check=True)


COMPARE = """
import json, sys
from backend.inspect.counting import CountApart
from backend.inspect.sizes import disk_usage
roots = sys.argv[1:]
count = CountApart(roots)
got = vars(count.result())
print(json.dumps([count.made_by, got, vars(disk_usage(roots))]))
"""


def test_an_unreadable_directory_gives_the_walks_errors(tmp_path):
    """find fails on it; the count is then the walk's: a lower bound, with its sentence. Root reads
    every directory, so as root the check runs without the capabilities that allow it (setpriv,
    util-linux): the Permission denied an ordinary user meets, for real."""
    make_classic(tmp_path, [f"ex/u{i}:v1" for i in range(5)])
    locked = next((tmp_path / "overlay2").iterdir())
    unprivileged = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    (locked / "inner").mkdir()

    def compare(*roots):
        out = subprocess.run([*unprivileged, sys.executable, "-c", COMPARE, *map(str, roots)], capture_output=True,
                             text=True, check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
        return json.loads(out.stdout)

    try:
        os.chmod(locked, 0)
        made_by, got, walked = compare(tmp_path / "image" / "overlay2", tmp_path / "overlay2")
        root_made_by, root_got, root_walked = compare(locked / "inner")  # a root that cannot even be lstat'ed
    finally:
        os.chmod(locked, 0o755)
    assert made_by == "walk" and got == walked
    assert len(got["errors"]) == 1 and str(locked) in got["errors"][0] and "Permission denied" in got["errors"][0]
    assert root_made_by == "walk" and root_got == root_walked and root_got["errors"]


def test_no_find_on_path_means_the_walk(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # a real PATH with no find in it
    assert apart(classic_roots(data_root), made_by="walk") == disk_usage(classic_roots(data_root))


def test_progress_is_reported(tmp_path):
    root = tmp_path / "many"
    root.mkdir()
    for i in range(12000):
        (root / str(i)).touch()
    seen: list[int] = []
    assert apart([root], seen.append) == disk_usage([root])
    assert seen and seen == sorted(set(seen)) and all(n % 5000 == 0 for n in seen) and seen[-1] == 10000


def test_leaving_early_stops_find(data_root):
    count = CountApart(classic_roots(data_root))
    count.close()
    assert count._find is not None and count._find.proc is not None and count._find.proc.poll() is not None


def test_scan_disk_with_the_count_apart_is_the_plain_scan(data_root, monkeypatch):
    (data_root / "image" / "overlay2" / "repositories.json").unlink()  # damaged a little, too
    roots = store_roots(data_root)
    plain = read_from_disk(roots, data_root)
    measure(plain, roots)
    monkeypatch.setattr(counting, "APART_FROM", 0)  # this small store counted apart, as a big one is
    assert worth_apart(roots[Store.CLASSIC].roots)
    assert comparable(scan_disk(roots, data_root)) == comparable(plain)
    assert plain[Store.CLASSIC].bytes and plain[Store.CLASSIC].errors


def test_worth_apart_reads_the_layer_count(tmp_path):
    small, big = tmp_path / "small", tmp_path / "big"
    for i in range(3):
        (small / str(i)).mkdir(parents=True)
    for i in range(counting.APART_FROM):
        (big / str(i)).mkdir(parents=True)
    assert not worth_apart([small, tmp_path / "absent"])
    assert worth_apart([big])
