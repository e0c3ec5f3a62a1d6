"""Crash safety: a switch SIGKILLed at every journal step, both directions, is recovered by the next command.

Each case runs ``storeswitch switch`` as a subprocess with ``STORESWITCH_FAULT_KILL_AFTER=<step>``
(the documented fault hook: the process kills itself right after the journal records that step),
checks that it died by SIGKILL, then runs ``storeswitch status --json`` and checks the state it
recovered to: the recovery message, no journal, the engine running on the store its config
names, nothing pending, and the live store's image listed (the other store's image not).

One engine serves all ten cases (an engine start costs about a second; CI has two cores). The
cases are ordered so that each starts where the previous one left the engine: a kill before the
engine restarted rolls back (the engine stays on the old store), a kill after it came up on the
new store is finished (the engine is on the new store). Whenever a case lands on a store, that
store's image must be there, so a loss in either store shows at its next visit; the last test
visits both stores once more.
"""

from __future__ import annotations

import json

import pytest

from backend.journal import Step
from tests.engine.cli_support import CliEngine, cli_engine_or_skip

pytestmark = pytest.mark.engine

IMAGE = {"classic": "ssw/crash-classic:v1", "containerd": "ssw/crash-containerd:v1"}
OTHER = {"classic": "containerd", "containerd": "classic"}
FINISHED_FROM = Step.ENGINE_STARTED.index  # from this step on, the engine already ran the new store

# (from, to, step) in an order where each case starts on the store the previous one ended on.
CASES = [
    ("classic", "containerd", "planned"),
    ("classic", "containerd", "config-written"),
    ("classic", "containerd", "engine-stopped"),
    ("classic", "containerd", "engine-started"),
    ("containerd", "classic", "planned"),
    ("containerd", "classic", "config-written"),
    ("containerd", "classic", "engine-stopped"),
    ("containerd", "classic", "engine-started"),
    ("classic", "containerd", "verified"),
    ("containerd", "classic", "verified"),
]


@pytest.fixture(scope="module")
def engine():
    """One engine with one image in each store, on the classic store."""
    eng = cli_engine_or_skip()
    try:
        eng.import_image("ssw/crash-classic")
        eng.switch_to("containerd")
        eng.import_image("ssw/crash-containerd")
        eng.switch_to("classic")
        yield eng
    finally:
        eng.close()


def assert_store_shows_its_own_image(eng: CliEngine, store: str) -> None:
    names = eng.images()
    assert IMAGE[store] in names, f"the {store} store lost its image: {sorted(names)}"
    assert IMAGE[OTHER[store]] not in names, f"the {store} store shows the other store's image: {sorted(names)}"


def ensure_on(eng: CliEngine, store: str) -> None:
    if eng.status()["live_store"] != store:
        eng.switch_to(store)
        assert eng.status()["live_store"] == store
    assert_store_shows_its_own_image(eng, store)


@pytest.mark.parametrize(("from_store", "to_store", "step"), CASES, ids=[f"{f}-to-{t}-killed-after-{s}" for f, t, s in CASES])
def test_killed_switch_is_recovered_by_the_next_command(engine, from_store, to_store, step):
    ensure_on(engine, from_store)
    config_before = engine.profile.managed_config_path.read_bytes()

    killed = engine.run("switch", to_store, fault=step)
    assert killed.returncode == -9, f"expected death by SIGKILL after {step!r}: {killed.returncode} {killed.stderr}"
    journal = json.loads(engine.profile.journal_path.read_text())
    assert journal["step"] == step  # the kill came right after this step was recorded

    status = engine.status()  # any command recovers first; status reports what it did
    assert status["recovered"], status
    assert "interrupted switch" in status["recovered"]
    assert not engine.profile.journal_path.exists()
    assert status["switch_in_progress"] is False
    assert status["engine"]["reachable"] is True
    assert status["configured_store"] == status["live_store"]
    assert status["pending_restart"] is False

    finished = Step(step).index >= FINISHED_FROM
    expected = to_store if finished else from_store
    assert status["live_store"] == expected, status["recovered"]
    if not finished:
        assert engine.profile.managed_config_path.read_bytes() == config_before  # restored byte for byte
    assert status["last_switch"]["outcome"] == ("recovered" if finished else "rolled-back")
    assert_store_shows_its_own_image(engine, expected)


def test_both_stores_kept_their_images_after_all_crashes(engine):
    live = engine.status()["live_store"]
    ensure_on(engine, live)
    ensure_on(engine, OTHER[live])  # the store the last case left behind
