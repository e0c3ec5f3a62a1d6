"""Real engine: the managed engine's layout, containerd a process of its own beside dockerd.

- dockerd runs with ``--containerd=<socket>`` and the containerd storeswitch started keeps the
  root the containerd dockerd used to start for itself had (``<data-root>/containerd/daemon``);
- a switch restarts dockerd alone (containerd's pid is the same before and after);
- ``engine stop`` stops both and leaves no bind mount of the data-root;
- a profile made by the previous layout (dockerd starting its own containerd; built here by
  starting dockerd exactly as storeswitch did before, without ``--containerd``) keeps its
  containerd store's images, listed after the first switch with the new layout, whether its old
  dockerd was still running or was killed and left its containerd behind.
"""

from __future__ import annotations

import signal
import subprocess
import time

import pytest

from backend.engine import processes
from backend.engine.managed import ManagedEngine
from backend.engine.mounts import self_binds
from tests.engine.cli_support import CliEngine, cli_engine_or_skip

pytestmark = pytest.mark.engine


def profile_processes(eng: CliEngine) -> dict[str, list[int]]:
    """dockerd and containerd processes that name this profile's paths."""
    root = str(eng.root)
    run = str(eng.profile.run_dir)
    found: dict[str, list[int]] = {"dockerd": [], "containerd": []}
    for name in found:
        found[name] = processes.find(
            lambda argv, name=name: processes.program(argv) == name and any(root in a or run in a for a in argv))
    return found


def dockerd_argv(eng: CliEngine) -> list[str]:
    pid = ManagedEngine(eng.profile).pid()
    assert pid is not None, "no dockerd runs"
    return processes.cmdline(pid) or []


def start_previous_layout(eng: CliEngine) -> subprocess.Popen:
    """dockerd as storeswitch started it before this layout: no --containerd, so it starts its own."""
    engine = ManagedEngine(eng.profile)
    binaries = engine.binaries()
    argv = [a for a in engine.command(binaries) if not a.startswith("--containerd=")]
    for d in (eng.profile.managed_data_root, eng.profile.managed_exec_root, eng.profile.log_dir):
        d.mkdir(parents=True, exist_ok=True)
    with open(eng.profile.engine_log_path, "ab") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                env=binaries.env(), start_new_session=True)
    deadline = time.monotonic() + 60
    with eng.client() as c:
        while not c.ping(timeout=1.0):
            assert proc.poll() is None, f"dockerd (previous layout) exited {proc.returncode}: {engine.log_tail(5)}"
            assert time.monotonic() < deadline, "dockerd (previous layout) did not answer within 60 s"
            time.sleep(0.05)
    return proc


def write_store(eng: CliEngine, store: str) -> None:
    value = "true" if store == "containerd" else "false"
    eng.profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    eng.profile.managed_config_path.write_text(f'{{"features": {{"containerd-snapshotter": {value}}}}}\n')


@pytest.fixture
def fresh():
    from tests.conftest import engine_unavailable_reason

    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(reason)
    eng = CliEngine.create()
    try:
        yield eng
    finally:
        eng.close()


def test_containerd_is_its_own_process_and_a_switch_restarts_dockerd_alone():
    eng = cli_engine_or_skip()
    try:
        argv = dockerd_argv(eng)
        assert f"--containerd={eng.profile.managed_containerd_socket}" in argv
        running = profile_processes(eng)
        assert len(running["dockerd"]) == 1 and len(running["containerd"]) == 1, running
        containerd = ManagedEngine(eng.profile).containerd
        assert containerd.pid() == running["containerd"][0]
        cd_argv = processes.cmdline(running["containerd"][0]) or []
        assert processes.has_option(cd_argv, "--root", str(eng.profile.managed_data_root / "containerd" / "daemon"))
        dockerd_before = running["dockerd"][0]

        eng.switch_to("containerd")
        eng.import_image("ssw/layout-containerd")
        after = profile_processes(eng)
        assert after["containerd"] == running["containerd"], "a switch restarted containerd"
        assert after["dockerd"] != [dockerd_before] and len(after["dockerd"]) == 1
        # the containerd store lives where it always did: in containerd's root under the data-root
        meta = eng.profile.managed_data_root / "containerd/daemon/io.containerd.metadata.v1.bolt/meta.db"
        assert meta.is_file()

        eng.switch_to("classic")
        assert profile_processes(eng)["containerd"] == running["containerd"]
        eng.switch_to("containerd")
        assert "ssw/layout-containerd:v1" in eng.images()

        stopped = eng.run("engine", "stop", check=True)
        assert "engine stopped" in stopped.stdout
        assert profile_processes(eng) == {"dockerd": [], "containerd": []}
        assert self_binds(eng.profile.managed_data_root) == []

        eng.run("engine", "start", check=True)  # both come back, the store with them
        assert "ssw/layout-containerd:v1" in eng.images()
        assert len(profile_processes(eng)["containerd"]) == 1
    finally:
        eng.close()
    assert profile_processes(eng) == {"dockerd": [], "containerd": []}


def test_previous_layout_profile_keeps_its_containerd_images_after_the_first_switch(fresh):
    eng = fresh
    # The previous layout: dockerd starts its own containerd. An image in each store.
    write_store(eng, "containerd")
    old = start_previous_layout(eng)
    eng.import_image("ssw/old-layout-containerd")
    old_containerd = profile_processes(eng)["containerd"]
    assert len(old_containerd) == 1
    assert processes.has_option(processes.cmdline(old_containerd[0]) or [], "--config",
                                str(eng.profile.managed_exec_root / "containerd" / "containerd.toml"))
    old.send_signal(signal.SIGTERM)
    old.wait(60)
    write_store(eng, "classic")
    old = start_previous_layout(eng)  # left running, as an upgraded user's engine would be
    eng.import_image("ssw/old-layout-classic")

    result = eng.switch_to("containerd")  # the first switch with the new layout
    assert '"outcome": "switched"' in result.stdout
    old.wait(60)  # the previous dockerd was stopped by the switch (and took its containerd along)
    assert f"--containerd={eng.profile.managed_containerd_socket}" in dockerd_argv(eng)
    names = eng.images()
    assert "ssw/old-layout-containerd:v1" in names, sorted(names)
    assert "ssw/old-layout-classic:v1" not in names
    eng.switch_to("classic")
    assert "ssw/old-layout-classic:v1" in eng.images()
    assert len(profile_processes(eng)["containerd"]) == 1


def test_previous_layout_engine_killed_comes_back_in_the_new_layout(fresh):
    """A SIGKILLed dockerd of the previous layout (its containerd dies with it: dockerd starts it
    with a parent-death signal; one still found on the store would be stopped first)."""
    eng = fresh
    write_store(eng, "containerd")
    old = start_previous_layout(eng)
    eng.import_image("ssw/killed-old-layout")
    old.send_signal(signal.SIGKILL)
    old.wait(60)
    left = profile_processes(eng)["containerd"]

    eng.run("engine", "start", check=True)
    assert not any(processes.alive(pid) for pid in left)
    assert "ssw/killed-old-layout:v1" in eng.images()
    assert f"--containerd={eng.profile.managed_containerd_socket}" in dockerd_argv(eng)
    assert len(profile_processes(eng)["containerd"]) == 1
