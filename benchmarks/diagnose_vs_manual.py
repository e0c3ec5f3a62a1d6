"""Benchmark: ``storeswitch diagnose --json`` against what a support person runs by hand.

Part 1 (real engine, needs root and the fetched engine): images and containers in both stores, the
containerd store live. Timed in the same run, alternating, median of several rounds:

* ours:   ``storeswitch diagnose --json`` (a fresh process, as a user runs it);
* manual: ``docker info``, ``docker image ls -a``, ``docker ps -a``, ``du -sb`` on the classic
  store's roots and on the containerd store's root, one after the other, with DOCKER_HOST
  pointing at the same engine. (They still do not name the hidden store's images; diagnose does.)

The ratio ours/manual is printed; the target is 1.0 or under.

Part 2 (no engine): inspection time (both stores read from disk, and their bytes measured) on
synthetic stores of 100, 1,000 and 10,000 images in each store, printed with the growth factor
from one size to the next (linear growth: about 10x for 10x the images).

    sudo .venv/bin/python benchmarks/diagnose_vs_manual.py [--rounds 7] [--images 20] [--skip-engine]
"""

from __future__ import annotations

import argparse
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

from backend.inspect.inventory import measure, read_from_disk  # noqa: E402
from backend.stores import Store, store_roots  # noqa: E402
from tests.synthetic_stores import make_classic, make_container, make_containerd  # noqa: E402

DOCKER = shutil.which("docker") or "/usr/local/bin/docker"


def timed(cmds: list[list[str]], env: dict[str, str]) -> float:
    start = time.perf_counter()
    for cmd in cmds:
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def storeswitch_cmd() -> list[str]:
    script = Path(sys.executable).with_name("storeswitch")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backend.cli"]


def part_engine(rounds: int, images: int) -> None:
    from backend.profile import Profile
    from backend.switch import SwitchTransaction
    from backend.targets.managed import ManagedTarget
    from tests.conftest import tiny_tar

    if os.geteuid() != 0:
        print("part 1 skipped: dockerd needs root")
        return
    root = Path(tempfile.mkdtemp(prefix="ssb-"))
    profile = Profile.from_dir(root)
    target = ManagedTarget(profile)
    docker_config = Path(tempfile.mkdtemp(prefix="ssb-docker-"))
    try:
        print(f"part 1: real engine, {images} images and 1 container in each store; {rounds} rounds, same run")
        target.start()
        with target.client() as c:
            for i in range(images):
                c.import_image(tiny_tar(f"classic {i}".encode()), f"bench/classic-{i}", "v1")
            c.create_container("bench/classic-0:v1", name="bench-classic")
        SwitchTransaction(target, profile).run(Store.CONTAINERD)
        with target.client() as c:
            for i in range(images):
                c.import_image(tiny_tar(f"containerd {i}".encode()), f"bench/ctrd-{i}", "v1")
            c.create_container("bench/ctrd-0:v1", name="bench-ctrd")
            roots = target.store_roots(c.info())
        env = {**os.environ, "DOCKER_HOST": target.host, "DOCKER_CONFIG": str(docker_config), "STORESWITCH_PROFILE": str(root)}
        for live in (Store.CONTAINERD, Store.CLASSIC):
            if live is Store.CLASSIC:
                SwitchTransaction(target, profile).run(Store.CLASSIC)
            with target.client() as c:
                roots = target.store_roots(c.info())
            compare(live, roots, env, rounds)
    finally:
        try:
            target.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)
            shutil.rmtree(profile.run_dir, ignore_errors=True)
            shutil.rmtree(docker_config, ignore_errors=True)


def compare(live: Store, roots, env: dict[str, str], rounds: int) -> None:
    ours = [storeswitch_cmd() + ["--target", "managed", "diagnose", "--json"]]
    ours_lean = [storeswitch_cmd() + ["--target", "managed", "diagnose", "--json", "--no-known-issues"]]
    manual = [
        [DOCKER, "info"],
        [DOCKER, "image", "ls", "-a"],
        [DOCKER, "ps", "-a"],
        ["du", "-sb", *map(str, roots[Store.CLASSIC].roots)],
        ["du", "-sb", *map(str, roots[Store.CONTAINERD].roots)],
    ]
    floor = [storeswitch_cmd() + ["--help"]]  # interpreter start and imports, no work
    listing = [[DOCKER, "image", "ls", "-a"]]  # the engine's own listing time, paid by both sides
    cases = {"diagnose --json": ours, "diagnose --json --no-known-issues": ours_lean, "manual (5 commands)": manual,
             "storeswitch --help (start-up only)": floor, "docker image ls -a alone": listing}
    for cmds in cases.values():
        timed(cmds, env)  # warm caches
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, cmds in cases.items():  # alternating, so drift hits every case alike
            times[name].append(timed(cmds, env))
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"  live store: {live.value}")
    for name, t in times.items():
        print(f"    {name:<38} median {med[name] * 1000:7.1f} ms  (min {min(t) * 1000:.1f})")
    floor = med["storeswitch --help (start-up only)"] + med["docker image ls -a alone"]
    print(f"    floor for any Python CLI doing the same: start-up + the engine's listing = {floor * 1000:.1f} ms")
    manual_t = med["manual (5 commands)"]
    print(f"    ratio diagnose/manual = {med['diagnose --json'] / manual_t:.2f}; "
          f"without the known-issue probe = {med['diagnose --json --no-known-issues'] / manual_t:.2f}  (target <= 1.0)")


def build_synthetic(data_root: Path, n: int) -> None:
    make_classic(data_root, [f"bench/classic-{i}:v1" for i in range(n)])
    make_containerd(data_root / "containerd" / "daemon", [f"bench/ctrd-{i}:v1" for i in range(n)])
    for i in range(max(1, n // 100)):
        make_container(data_root, f"{i:064x}", f"c{i}", "bench/classic-0:v1", "overlay2")


def inspect_once(data_root: Path) -> tuple[float, float, int]:
    roots = store_roots(data_root)
    start = time.perf_counter()
    inv = read_from_disk(roots, data_root)
    read = time.perf_counter() - start
    measure(inv, roots)
    total = time.perf_counter() - start
    return read, total, sum(i.image_count for i in inv.values())


def part_synthetic(sizes: list[int], repeat: int) -> None:
    print("part 2: inspection of synthetic stores (both stores from disk; N images in each)")
    print(f"  {'images':>7} {'read names (ms)':>16} {'+ bytes (ms)':>13} {'us/image':>9} {'growth':>7}")
    previous = None
    for n in sizes:
        base = Path(tempfile.mkdtemp(prefix="ssb-syn-"))
        try:
            build_synthetic(base, n)
            runs = [inspect_once(base) for _ in range(repeat)]
            read = min(r[0] for r in runs)
            total = min(r[1] for r in runs)
            assert runs[0][2] == 2 * n, runs[0][2]
            growth = f"{total / previous[1]:.1f}x" if previous else "-"
            factor = f" (for {n // previous[0]}x)" if previous else ""
            print(f"  {n:>7} {read * 1000:>16.1f} {total * 1000:>13.1f} {total / (2 * n) * 1e6:>9.1f} {growth:>7}{factor}")
            previous = (n, total)
        finally:
            shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--images", type=int, default=20, help="images per store for part 1")
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-engine", action="store_true")
    args = parser.parse_args()
    if not args.skip_engine:
        part_engine(args.rounds, args.images)
    part_synthetic([int(s) for s in args.sizes.split(",")], args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
