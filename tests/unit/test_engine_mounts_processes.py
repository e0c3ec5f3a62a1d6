"""The managed engine's helpers that read the kernel's tables: which mount is dockerd's, which process is ours.

``self_binds`` reads mountinfo lines (proc(5)); these are real lines of the shape this machine
writes, for the cases the engine meets: dockerd's bind of its data-root onto itself (removed by
``engine stop``), a file system a user mounted on the data-root (never touched), and an escaped
path. The process lookups run against this test's own real child process.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from backend.engine import processes
from backend.engine.managed_containerd import CONFIG, DISABLED_PLUGINS
from backend.engine.mounts import mounts, self_binds

ROOT_MOUNT = "27 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
TMPFS = "30 27 0:40 / /srv rw,relatime shared:5 - tmpfs tmpfs rw\n"


def test_dockerds_bind_of_its_data_root_onto_itself_is_found():
    table = mounts(ROOT_MOUNT + "46 27 254:0 /tmp/p/data/engine /tmp/p/data/engine rw,relatime shared:2 - ext4 /dev/vda rw\n")
    found = self_binds(Path("/tmp/p/data/engine"), table)
    assert [m.mount_id for m in found] == [46]
    assert self_binds(Path("/tmp/p/data"), table) == []


def test_a_file_system_mounted_on_the_data_root_is_not_a_self_bind():
    disk = "47 27 254:16 / /tmp/p/data/engine rw,relatime shared:3 - ext4 /dev/vdb rw\n"
    assert self_binds(Path("/tmp/p/data/engine"), mounts(ROOT_MOUNT + disk)) == []
    other_dir = "48 27 254:0 /elsewhere /tmp/p/data/engine rw,relatime shared:4 - ext4 /dev/vda rw\n"
    assert self_binds(Path("/tmp/p/data/engine"), mounts(ROOT_MOUNT + other_dir)) == []


def test_a_self_bind_below_another_mount_and_an_escaped_path():
    inside = "49 30 0:40 /my\\040data/engine /srv/my\\040data/engine rw - tmpfs tmpfs rw\n"
    found = self_binds(Path("/srv/my data/engine"), mounts(ROOT_MOUNT + TMPFS + inside))
    assert [m.mount_point for m in found] == ["/srv/my data/engine"]


def test_options_are_matched_as_flag_and_value_in_either_spelling():
    argv = ["/usr/sbin/dockerd", "--data-root", "/d", "--pidfile=/run/p.pid", "--containerd=/s"]
    assert processes.has_option(argv, "--data-root", "/d")
    assert processes.has_option(argv, "--pidfile", "/run/p.pid")
    assert not processes.has_option(argv, "--data-root", "/d/x")
    assert processes.program(argv) == "dockerd"


def test_a_real_process_is_found_by_its_arguments_and_waited_for(tmp_path):
    marker = str(tmp_path / "marker")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", marker])
    try:
        found: list[int] = []
        for _ in range(200):  # under load the child may not have exec'd into its argv yet (seen on CI)
            found = processes.find(lambda argv: marker in argv)
            if found:
                break
            time.sleep(0.01)
        assert found == [child.pid]
        pidfile = tmp_path / "child.pid"
        pidfile.write_text("999999999\n")  # stale: the lookup falls back to /proc
        assert processes.running(pidfile, lambda argv: marker in argv) == child.pid
        assert processes.wait_gone(child.pid, 0.05) is False
    finally:
        processes.terminate(child.pid, 10)
    assert not processes.alive(child.pid)
    assert processes.find(lambda argv: marker in argv) == []


def test_containerd_config_turns_off_the_cri_plugins_of_both_containerd_versions():
    assert "version = 2" in CONFIG and "imports = []" in CONFIG
    for plugin in DISABLED_PLUGINS:
        assert f'"{plugin}"' in CONFIG
    assert {"io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime"} <= set(DISABLED_PLUGINS)
