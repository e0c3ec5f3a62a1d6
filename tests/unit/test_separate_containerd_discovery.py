"""How storeswitch learns a separate containerd's socket and root with the engine stopped.

The real layout (a real dockerd using a real separate containerd) is in
tests/engine/test_separate_containerd.py; here the sources are files: daemon.json's
``containerd``, the service units Debian and Docker ship, containerd's config.toml, and a
containerd command line as /proc shows it.
"""

from __future__ import annotations

from pathlib import Path

from backend.separate_containerd import (
    DEFAULT_CONTAINERD_ROOT,
    containerd_root,
    dockerd_containerd_address,
    separate_containerd,
    service_containerd_flag,
)

DEBIAN_UNIT = """[Service]
Type=notify
# the default is not to use systemd for cgroups because the delegate issues still
ExecStart=/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS
ExecReload=/bin/kill -s HUP $MAINPID
"""


def test_debian_unit_names_the_system_containerd(tmp_path):
    unit = tmp_path / "docker.service"
    unit.write_text(DEBIAN_UNIT)
    assert service_containerd_flag([unit]) == ("/run/containerd/containerd.sock", unit)


def test_sysv_defaults_docker_opts(tmp_path):
    defaults = tmp_path / "docker"
    defaults.write_text('# DOCKER_OPTS="--containerd /nope"\nDOCKER_OPTS="--dns 8.8.8.8 --containerd /run/c/c.sock"\n')
    assert service_containerd_flag([defaults]) == ("/run/c/c.sock", defaults)


def test_daemon_json_key_wins_and_none_means_its_own(tmp_path):
    unit = tmp_path / "docker.service"
    unit.write_text(DEBIAN_UNIT)
    assert dockerd_containerd_address({"containerd": "unix:///x/c.sock"}, None, [unit]) == ("/x/c.sock", "daemon.json `containerd`")
    assert dockerd_containerd_address({}, {"Containerd": {"Address": "/var/run/docker/containerd/containerd.sock"}}, []) is None
    found = dockerd_containerd_address({}, {"Containerd": {"Address": "/run/containerd/containerd.sock"}}, [])
    assert found == ("/run/containerd/containerd.sock", "the engine's /info")


def test_root_from_containerd_config_then_default(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('version = 2\nroot = "/srv/containerd"\n[grpc]\n  address = "/run/containerd/containerd.sock"\n')
    env = {"STORESWITCH_CONTAINERD_CONFIG": str(config)}
    assert containerd_root("/run/containerd/containerd.sock", env, processes=[]) == (Path("/srv/containerd"), f"`root` in {config}")
    env = {"STORESWITCH_CONTAINERD_CONFIG": str(tmp_path / "missing.toml")}
    root, how = containerd_root("/run/containerd/containerd.sock", env, processes=[])
    assert root == DEFAULT_CONTAINERD_ROOT and "default" in how


def test_root_from_the_running_containerd_serving_that_socket(tmp_path):
    config = tmp_path / "c.toml"
    config.write_text(f'root = "{tmp_path / "r"}"\n[grpc]\naddress = "{tmp_path / "s.sock"}"\n')
    processes = [["/usr/bin/containerd", "--address", "/other.sock", "--root", "/wrong"],
                 ["/usr/bin/containerd", "--config", str(config)]]
    root, how = containerd_root(str(tmp_path / "s.sock"), {}, processes=processes)
    assert root == tmp_path / "r" and "running containerd" in how
    root, _ = containerd_root("/other.sock", {}, processes=processes)
    assert root == Path("/wrong")


def test_layout_note_says_where_it_came_from(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('root = "/srv/c"\n')
    socket = str(tmp_path / "no-such" / "c.sock")  # served by no running containerd, so the config file decides
    layout = separate_containerd({"containerd": socket}, None,
                                 {"STORESWITCH_CONTAINERD_CONFIG": str(config)}, service_files=())
    assert layout is not None and layout.root == Path("/srv/c")
    assert "daemon.json" in layout.note and "not moved by data-root" in layout.note
