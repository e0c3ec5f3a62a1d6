"""Bringing N images along a switch vs the same ``docker save | docker load`` done by hand around a switch.

What a user does today (Docker's own advice before switching): ``docker save IMAGES -o FILE``,
switch, ``docker load -i FILE``, remove FILE. ``storeswitch switch containerd --bring …`` does the
same copy through the same engine endpoints, plus its journal, free-space check and a verification
of every image in the new store. Target: the bring at most 1.1 times the by-hand sequence (issue 15).

Both run in the same run against one managed engine with N images of random (incompressible)
bytes, interleaved round by round so that drift hits both alike:

- *bring*: ``storeswitch switch containerd --bring A --bring B …`` (a subprocess; wall time).
- *by hand*: ``docker save A B … -o FILE`` + ``storeswitch switch containerd`` + ``docker load -i FILE``
  + removing FILE, with the docker CLI when it is on PATH (``--baseline api`` or no CLI: the same
  two calls over the API, streamed through a file as the CLI does: ``GET /images/get``, ``POST
  /images/load``).

Between rounds (untimed) the copies are removed from the containerd store and the engine switched
back to classic. Usage (as root, with the engine fetched by ``scripts/fetch-engine``)::

    .venv/bin/python benchmarks/bring_vs_save_load.py [--rounds 3] [--sizes 200,50,10] [--json]

Exit status 0 whatever the ratio (a benchmark reports; it does not pass or fail), 1 when it cannot run.
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

from backend.engine.api import EngineClient  # noqa: E402
from backend.engine.managed import ManagedEngine  # noqa: E402
from backend.profile import Profile  # noqa: E402
from tests.engine.bring_support import MB, import_random_image  # noqa: E402

TARGET = 1.10


def storeswitch(profile_dir: Path, *args: str) -> None:
    exe = Path(sys.executable).with_name("storeswitch")
    argv = [str(exe)] if exe.exists() else [sys.executable, "-m", "backend.cli"]
    proc = subprocess.run([*argv, "--profile", str(profile_dir), "--target", "managed", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark: `storeswitch {' '.join(args)}` failed ({proc.returncode}): {proc.stderr.strip()}")


def by_hand(profile_dir: Path, host: str, names: list[str], archive: Path, use_cli: bool) -> None:
    if use_cli:
        env = {**os.environ, "DOCKER_HOST": host}
        subprocess.run(["docker", "save", *names, "-o", str(archive)], check=True, env=env, capture_output=True)
        storeswitch(profile_dir, "switch", "containerd")
        subprocess.run(["docker", "load", "-q", "-i", str(archive)], check=True, env=env, capture_output=True)
    else:
        with EngineClient(host, timeout=600) as c, open(archive, "wb") as out:
            c.save_images(names, out)
        storeswitch(profile_dir, "switch", "containerd")
        with EngineClient(host, timeout=600) as c, open(archive, "rb") as f:
            c.load_images_from(iter(lambda: f.read(1 << 20), b""))
    archive.unlink()


def reset(profile_dir: Path, host: str, names: list[str]) -> None:
    with EngineClient(host, timeout=600) as c:
        for name in names:
            c.remove_image(name)
    storeswitch(profile_dir, "switch", "classic")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sizes", default="200,50,10", help="image sizes in MB (one image each)")
    ap.add_argument("--baseline", choices=("auto", "cli", "api"), default="auto")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("benchmark: dockerd must run as root", file=sys.stderr)
        return 1
    use_cli = args.baseline == "cli" or (args.baseline == "auto" and shutil.which("docker") is not None)
    root = Path(tempfile.mkdtemp(prefix="ssw-bb-"))
    profile_dir = root / "p"
    profile = Profile.from_dir(profile_dir)
    host = f"unix://{profile.managed_socket}"
    try:
        storeswitch(profile_dir, "engine", "start")
        sizes = [int(s) for s in args.sizes.split(",")]
        names = [f"ssw/bench{i}:v1" for i in range(len(sizes))]
        with EngineClient(host, timeout=600) as c:
            for name, size in zip(names, sizes):
                import_random_image(c, *name.split(":"), size * MB)
        bring_args = [a for n in names for a in ("--bring", n)]
        times: dict[str, list[float]] = {"bring": [], "by_hand": []}
        for r in range(args.rounds):
            order = ("bring", "by_hand") if r % 2 == 0 else ("by_hand", "bring")
            for kind in order:
                t0 = time.perf_counter()
                if kind == "bring":
                    storeswitch(profile_dir, "switch", "containerd", *bring_args)
                else:
                    by_hand(profile_dir, host, names, root / "by-hand.tar", use_cli)
                times[kind].append(time.perf_counter() - t0)
                reset(profile_dir, host, names)
        bring, hand = statistics.median(times["bring"]), statistics.median(times["by_hand"])
        ratio = bring / hand
        figures = {"images": len(names), "megabytes": sum(sizes), "rounds": args.rounds,
                   "baseline": "docker CLI" if use_cli else "engine API", "bring_s": times["bring"],
                   "by_hand_s": times["by_hand"], "bring_median_s": round(bring, 3),
                   "by_hand_median_s": round(hand, 3), "ratio": round(ratio, 3), "target": TARGET}
        if args.json:
            print(json.dumps(figures, indent=2))
        else:
            print(f"{len(names)} images, {sum(sizes)} MB of random bytes, {args.rounds} rounds, baseline: {figures['baseline']}")
            print(f"  bring along (switch --bring):        median {bring:.2f} s  {[round(t, 2) for t in times['bring']]}")
            print(f"  save + switch + load by hand:         median {hand:.2f} s  {[round(t, 2) for t in times['by_hand']]}")
            print(f"  ratio {ratio:.2f} (target {TARGET} or less): {'met' if ratio <= TARGET else 'NOT met'}")
        return 0
    finally:
        try:
            ManagedEngine(profile).stop()
        finally:
            shutil.rmtree(profile.run_dir, ignore_errors=True)
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
