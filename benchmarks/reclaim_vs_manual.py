"""Benchmark: ``storeswitch reclaim`` against Docker's own advice, switching twice and pruning by hand.

Part 1 (real engine, needs root and the fetched engine). The engine runs the classic store; the
hidden containerd store is filled with the same images before each measurement (N images loaded
through the engine from one ``docker save`` archive made without a registry, some sharing a base
layer, one used by a container). Then, alternating, in the same run, for ``--rounds`` rounds:

* ours:   ``storeswitch reclaim --unused --yes --json`` (a fresh process, as a user runs it);
* manual: ``storeswitch switch containerd``, ``POST /images/prune`` with ``dangling=false`` (what
  ``docker image prune --all --force`` sends), ``storeswitch switch classic``.

Both remove the same images (every image no container uses). Printed per round: the seconds, the
bytes freed (the hidden store measured on disk before and after, ``du -sb`` of its root, the
same figure for both), and for ours the dry-run estimate beside the measured bytes. Then the
medians and the ratio ours/manual (target: 1.1 or under: the reclaim adds a dry-run reading of
the disk, the journal and two measurements to the same two restarts).

Part 2 (no engine): what the hidden-store notice costs ``storeswitch status`` on synthetic stores
of 100, 1,000 and 10,000 images (``backend.hidden_store.quick_summary``), against measuring the
hidden store's roots (``du -sb``, what ``diagnose`` does) in the same run.

    sudo .venv/bin/python benchmarks/reclaim_vs_manual.py [--rounds 3] [--images 8] [--skip-engine]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.inspect.sizes import disk_usage  # noqa: E402
from backend.stores import Store  # noqa: E402

MB = 1_000_000
TARGET_RATIO = 1.1


def hidden_bytes(eng) -> int:
    return disk_usage([eng.profile.managed_data_root / "containerd" / "daemon"]).bytes


def fill(eng, archive: bytes) -> None:
    eng.switch_to("containerd")
    with eng.client() as c:
        c.load_images(archive)
        if not any("/keeper" in (n for n in ct.get("Names", [])) for ct in c.containers()):
            c.create_container("used:v1", "keeper")
    eng.switch_to("classic")


def ours(eng) -> tuple[float, int, int]:
    before = hidden_bytes(eng)
    start = time.perf_counter()
    proc = eng.run("reclaim", "--unused", "--yes", "--json", check=True)
    took = time.perf_counter() - start
    data = json.loads(proc.stdout)
    return took, before - hidden_bytes(eng), data["bytes_estimated"]


def manual(eng) -> tuple[float, int]:
    before = hidden_bytes(eng)
    start = time.perf_counter()
    eng.run("switch", "containerd", check=True)
    with eng.client() as c:
        c.request("POST", "/images/prune", params={"filters": json.dumps({"dangling": ["false"]})}, timeout=300)
    eng.run("switch", "classic", check=True)
    took = time.perf_counter() - start
    return took, before - hidden_bytes(eng)


def part_engine(rounds: int, n_images: int) -> None:
    from tests.conftest import engine_unavailable_reason
    from tests.engine.cli_support import cli_engine_or_skip
    from tests.layered_images import layer, save_archive

    reason = engine_unavailable_reason()
    if reason:
        print(f"part 1 skipped: {reason}")
        return
    base = layer(8 * MB)
    images = {f"img{i}:v1": ([base] if i % 2 else []) + [layer(4 * MB)] for i in range(n_images)}
    images["used:v1"] = [layer(2 * MB)]
    archive = save_archive(images)
    eng = cli_engine_or_skip()
    print(f"part 1: reclaim vs switch + prune + switch back, {n_images} unused images "
          f"(half sharing an 8 MB base) and 1 used, in the hidden containerd store; {rounds} rounds, alternating")
    rows: list[tuple[str, float, int, int | None]] = []
    try:
        eng.run("status", check=True)
        for r in range(rounds):
            for kind in (("ours", "manual") if r % 2 == 0 else ("manual", "ours")):
                fill(eng, archive)
                if kind == "ours":
                    took, freed, estimate = ours(eng)
                else:
                    (took, freed), estimate = manual(eng), None
                rows.append((kind, took, freed, estimate))
                extra = f", estimated {estimate / MB:.1f} MB ({(freed - estimate) / max(estimate, 1) * 100:+.2f}%)" if estimate else ""
                print(f"  round {r + 1} {kind:<6} {took:6.2f} s, freed {freed / MB:6.1f} MB{extra}")
    finally:
        eng.close()
    med = {k: statistics.median(t for kind, t, _, _ in rows if kind == k) for k in ("ours", "manual")}
    ratio = med["ours"] / med["manual"]
    print(f"  median: reclaim {med['ours']:.2f} s, manual {med['manual']:.2f} s; ratio reclaim/manual = {ratio:.2f} "
          f"(target <= {TARGET_RATIO}: {'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    freed = {k: statistics.median(f for kind, _, f, _ in rows if kind == k) for k in ("ours", "manual")}
    print(f"  bytes freed (median): reclaim {freed['ours'] / MB:.1f} MB, manual {freed['manual'] / MB:.1f} MB")


def part_status(sizes: list[int]) -> None:
    from backend.hidden_store import quick_summary
    from backend.profile import Profile
    from backend.targets.managed import ManagedTarget
    from tests.synthetic_stores import make_classic, make_containerd

    print("part 2: the hidden-store notice in `status` (quick count) vs measuring the hidden store (du -sb), synthetic stores")
    print(f"  {'images':>7} {'hidden':>11} {'quick count':>12} {'du -sb':>9} {'ratio':>6}")
    for n in sizes:
        root = Path(tempfile.mkdtemp(prefix="ssw-bench-"))
        try:
            profile = Profile.from_dir(root)
            target = ManagedTarget(profile)
            names = [f"img{i}:v1" for i in range(n)]
            make_classic(profile.managed_data_root, names)
            make_containerd(target.store_roots(None)[Store.CONTAINERD].roots[0], names)
            for live in (Store.CONTAINERD, Store.CLASSIC):
                hidden = live.other
                t0 = time.perf_counter()
                summary = quick_summary(target, None, live)
                quick = time.perf_counter() - t0
                t0 = time.perf_counter()
                disk_usage(target.store_roots(None)[hidden].roots)
                du = time.perf_counter() - t0
                bytes_note = "" if summary["bytes"] is not None else "  (count only: bytes left to diagnose)"
                print(f"  {n:>7} {hidden.value:>11} {quick * 1000:>10.1f}ms {du * 1000:>7.1f}ms {quick / du:>6.2f}{bytes_note}")
        finally:
            shutil.rmtree(root, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--images", type=int, default=8)
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    if not args.skip_engine:
        part_engine(args.rounds, args.images)
    part_status([100, 1000, 10_000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
