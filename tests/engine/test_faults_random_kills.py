"""Random SIGKILLs of a real switch, both directions, each followed by the next command's recovery.

The fixed-step crash tests (test_crash_safety.py) kill a switch right after each journal step.
Here the kill comes at a random moment (a seeded delay across a switch's whole length: during
validate, a write, the engine's stop or start, the verify probe), at least :data:`KILLS` times
across both directions. After each kill, ``storeswitch status`` runs (every command recovers
first), and the test asserts what the user must be able to count on:

* the engine is up on a known store, the one its daemon.json names, and no journal is left;
* daemon.json holds either its original bytes or the switched bytes, nothing else;
* both stores' images and containers are all there, read from disk (the hidden store too);
* no ``storeswitch-verify`` probe image is left in either store.

The seed is printed (``STORESWITCH_FAULT_SEED=N`` replays a run) and every failure message names it.
"""

from __future__ import annotations

import os
import random
import signal
import sys
import time

import pytest

from backend.inspect.inventory import read_from_disk
from backend.stores import Store, store_roots
from backend.verify import PROBE_REPO
from tests.engine.cli_support import CliEngine, cli_engine_or_skip

pytestmark = pytest.mark.engine
KILLS = 32
ORIGINAL = b'{\n    "debug": false,\n    "features": {"containerd-snapshotter": false}\n}\n'
SWITCHED = ORIGINAL.replace(b"false}", b"true}")
OTHER = {"classic": "containerd", "containerd": "classic"}


def on_disk(eng: CliEngine) -> dict[str, tuple[set[str], set[str]]]:
    """Each store's image names and container names, read from its files."""
    roots = store_roots(eng.profile.managed_data_root)
    found = read_from_disk(roots, eng.profile.managed_data_root, image_sizes=False)
    return {s.value: ({i.name for i in inv.images if i.name}, {c.name for c in inv.containers}) for s, inv in found.items()}


def say(capsys, text: str) -> None:
    """Printed past pytest's capture: the seed must be in the log of every run, passed or failed."""
    with capsys.disabled():
        print(text, file=sys.stderr, flush=True)


def test_random_kills_always_end_on_a_known_store_with_nothing_lost(capsys, record_property):
    seed = int(os.environ.get("STORESWITCH_FAULT_SEED") or random.SystemRandom().randrange(1, 10**6))
    record_property("seed", seed)
    say(capsys, f"\nrandom-kill seed: {seed} (replay: STORESWITCH_FAULT_SEED={seed})")
    rng = random.Random(seed)
    eng = cli_engine_or_skip()
    try:
        eng.run("engine", "stop", check=True)
        eng.profile.managed_config_path.write_bytes(ORIGINAL)
        eng.run("engine", "start", check=True)
        with eng.client() as c:  # one image and one container in each store
            eng.import_image("ssw/kill-classic")
            c.create_container("ssw/kill-classic:v1", "box-classic")
        started = time.monotonic()
        eng.switch_to("containerd")
        switch_seconds = time.monotonic() - started
        with eng.client() as c:
            eng.import_image("ssw/kill-containerd")
            c.create_container("ssw/kill-containerd:v1", "box-containerd")
        eng.switch_to("classic")
        expected = on_disk(eng)
        assert "ssw/kill-classic:v1" in str(expected["classic"]) and "ssw/kill-containerd:v1" in str(expected["containerd"])

        kills = attempts = 0
        live = "classic"
        while kills < KILLS:
            attempts += 1
            assert attempts < KILLS * 3, f"seed {seed}: the switches kept finishing before the kill"
            to = OTHER[live]
            delay = rng.uniform(0.05, switch_seconds * 1.1)
            proc = eng.popen("switch", to)
            time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.communicate(timeout=120)
            where = f"seed {seed}, kill {kills} ({live} -> {to} after {delay:.2f} s)"

            status = eng.status()  # recovers first
            assert status["engine"]["reachable"], f"{where}: engine down: {status}"
            assert status["live_store"] in ("classic", "containerd"), where
            assert status["configured_store"] == status["live_store"], f"{where}: {status}"
            assert not eng.profile.journal_path.exists(), where
            config = eng.profile.managed_config_path.read_bytes()
            assert config == (SWITCHED if status["live_store"] == "containerd" else ORIGINAL), f"{where}: {config!r}"
            now = on_disk(eng)
            assert now == expected, f"{where}: the stores changed on disk: {now} != {expected}"
            assert not any(PROBE_REPO in name for images, _ in now.values() for name in images), f"{where}: {now}"
            live = status["live_store"]
        say(capsys, f"random-kill seed {seed}: {kills} kills in {attempts} switches, all recovered")
    finally:
        eng.close()
