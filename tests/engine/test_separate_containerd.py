"""Real engine: the system layout, a dockerd that uses a separate containerd (``containerd`` socket).

Debian's and Docker's service units start dockerd with ``--containerd=/run/containerd/containerd.sock``
of a containerd run by its own service; the containerd store then lives in containerd's root, not
under data-root. This module starts exactly that in isolated /tmp directories (never /etc/docker,
/var/lib/docker or /run/containerd): a real containerd with its own ``--config`` (root, state, socket)
and a real dockerd whose daemon.json names that socket, restarted by a small command the system
target runs as it would run ``systemctl restart docker``. storeswitch learns containerd's root from
containerd's config file (``STORESWITCH_CONTAINERD_CONFIG``), as it does ``/etc/containerd/config.toml``.

Round trip, a refusal rolled back, and both stores read from disk with both processes stopped. In
the matrix these run on containerd 1.7 (trixie) and 2.1 (sid): the bbolt reader reads both meta.db.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from backend.engine.install import find_dockerd
from backend.errors import SwitchError
from backend.inspect.inventory import inspect_stores
from backend.separate_containerd import CONTAINERD_CONFIG_ENV
from backend.stores import Store, live_store
from backend.switch import SwitchTransaction
from backend.targets.system import SystemTarget
from tests.conftest import container_names, engine_unavailable_reason, image_names, tiny_tar

pytestmark = pytest.mark.engine

# The service manager of these tests: `python -c SERVICE {stop|restart} ROOT`. It runs dockerd the way
# a service unit does, with the socket and exec-root of ROOT, and stops it by its pidfile.
SERVICE = r"""
import os, signal, subprocess, sys, time
from pathlib import Path
from backend.engine.api import EngineClient
from backend.engine.dockerd_log import last_error_line
from backend.engine.install import find_dockerd
action, root = sys.argv[1], Path(sys.argv[2])
pidfile = root / "dockerd.pid"
def stop():
    try:
        pid = int(pidfile.read_text())
        os.kill(pid, signal.SIGTERM)
    except (OSError, ValueError):
        return
    for _ in range(3000):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.01)
    os.kill(pid, signal.SIGKILL)
stop()
if action == "restart":
    b = find_dockerd()
    log = open(root / "dockerd.log", "ab")
    offset = log.tell()
    proc = subprocess.Popen([str(b.dockerd), "--config-file", str(root / "daemon.json"),
                             "--exec-root", str(root / "exec"), "-H", f"unix://{root / 'd.sock'}", "--pidfile", str(pidfile),
                             "--iptables=false", "--ip6tables=false", "--bridge=none", "--userland-proxy=false"],
                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=b.env(), start_new_session=True)
    with EngineClient(f"unix://{root / 'd.sock'}", timeout=5) as c:
        for _ in range(600):
            if proc.poll() is not None:
                text = (root / "dockerd.log").read_bytes()[offset:].decode("utf-8", "replace")
                print(f"test-service: dockerd exited {proc.returncode}: {last_error_line(text)}", file=sys.stderr)
                sys.exit(1)
            if c.ping(timeout=1.0):
                sys.exit(0)
            time.sleep(0.1)
    print("test-service: dockerd did not answer", file=sys.stderr)
    sys.exit(1)
"""
REPO = Path(__file__).resolve().parents[2]


class Layout:
    """The isolated system layout: a containerd of its own and a dockerd that uses it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.ctd_root = root / "ctd" / "root"
        self.ctd_socket = root / "ctd" / "c.sock"
        self.ctd_config = root / "ctd" / "config.toml"
        self.data_root = root / "data"
        self.config = root / "daemon.json"
        self.host = f"unix://{root / 'd.sock'}"
        self.containerd: subprocess.Popen | None = None
        self.ctd_root.parent.mkdir(parents=True)
        # containerd's own config, as /etc/containerd/config.toml would be (version 2: read by 1.7 and 2.x)
        self.ctd_config.write_text(
            f'version = 2\nroot = "{self.ctd_root}"\nstate = "{root / "ctd" / "state"}"\n'
            f'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\n  address = "{self.ctd_socket}"\n'
        )

    def base_config(self) -> dict:
        # data-root and the containerd socket in daemon.json: storeswitch reads both with the engine stopped
        return {"containerd": str(self.ctd_socket), "data-root": str(self.data_root), "log-level": "warn",
                "labels": ["layout=separate"]}

    def start_containerd(self) -> None:
        b = find_dockerd()
        containerd = next((d / "containerd" for d in b.path_dirs if (d / "containerd").is_file()), None)
        assert containerd is not None, f"no containerd beside {b.dockerd}"
        log = open(self.root / "containerd.log", "ab")
        self.containerd = subprocess.Popen([str(containerd), "--config", str(self.ctd_config)], stdin=subprocess.DEVNULL,
                                           stdout=log, stderr=subprocess.STDOUT, env=b.env(), start_new_session=True)
        deadline = time.monotonic() + 30
        while not self.ctd_socket.exists():
            assert self.containerd.poll() is None, (self.root / "containerd.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "containerd did not create its socket"
            time.sleep(0.05)

    def stop_containerd(self) -> None:
        if self.containerd is not None and self.containerd.poll() is None:
            self.containerd.send_signal(signal.SIGTERM)
            self.containerd.wait(timeout=30)
        self.containerd = None

    def service(self, action: str) -> list[str]:
        return [sys.executable, "-c", SERVICE, action, str(self.root)]

    def target(self) -> SystemTarget:
        return SystemTarget(config_path=self.config, host=self.host, restart_command=self.service("restart"),
                            stop_command=self.service("stop"), dockerd=find_dockerd().dockerd, reason="test",
                            privileged=True)


@pytest.fixture(scope="module")
def layout():
    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(reason)
    lay = Layout(Path(tempfile.mkdtemp(prefix="ssw-sc-")))
    lay.config.write_text(json.dumps(lay.base_config()) + "\n")
    lay.start_containerd()
    subprocess.run(lay.service("restart"), check=True, cwd=REPO, capture_output=True, timeout=120)
    yield lay
    subprocess.run(lay.service("stop"), cwd=REPO, capture_output=True, timeout=120)
    lay.stop_containerd()
    shutil.rmtree(lay.root, ignore_errors=True)


@pytest.fixture
def system(layout, monkeypatch):
    """The system target on the layout, on the classic store, with containerd's config known."""
    monkeypatch.chdir(REPO)  # the service command imports backend from the checkout
    monkeypatch.setenv(CONTAINERD_CONFIG_ENV, str(layout.ctd_config))
    if layout.containerd is None:
        layout.start_containerd()
    target = layout.target()
    layout.config.write_text(json.dumps(layout.base_config()) + "\n")
    with target.client() as c:
        if not c.ping() or live_store(c.info()) is not Store.CLASSIC:
            target.stop()
            target.start()
    return target


def test_round_trip_stores_the_containerd_store_in_containerds_root(system, layout, profile):
    with system.client() as c:
        c.import_image(tiny_tar(b"classic"), "ssw/sc-classic", "v1")
        c.create_container("ssw/sc-classic:v1", name="sc-classic-box")
    tx = SwitchTransaction(system, profile)
    assert tx.run(Store.CONTAINERD).outcome == "switched"
    with system.client() as c:
        info = c.info()
        assert live_store(info) is Store.CONTAINERD
        if "Containerd" in info:  # /info names the socket from API 1.46 (Engine 27)
            assert info["Containerd"]["Address"] == str(layout.ctd_socket)
        assert "ssw/sc-classic:v1" not in image_names(c)
        c.import_image(tiny_tar(b"containerd"), "ssw/sc-c8d", "v1")
    # the containerd store's data is in containerd's root (namespace moby), not under data-root
    assert (layout.ctd_root / "io.containerd.metadata.v1.bolt" / "meta.db").is_file()
    assert not (layout.data_root / "containerd" / "daemon" / "io.containerd.metadata.v1.bolt").exists()
    roots = system.store_roots(info)
    assert roots[Store.CONTAINERD].roots == (layout.ctd_root,)
    assert "separate containerd" in roots[Store.CONTAINERD].notes[0]

    assert tx.run(Store.CLASSIC).outcome == "switched"
    with system.client() as c:
        assert "ssw/sc-classic:v1" in image_names(c) and "sc-classic-box" in container_names(c)
        assert "ssw/sc-c8d:v1" not in image_names(c)
    assert tx.run(Store.CONTAINERD).outcome == "switched"
    with system.client() as c:
        assert "ssw/sc-c8d:v1" in image_names(c)
    data = json.loads(layout.config.read_text())
    assert data["containerd"] == str(layout.ctd_socket) and data["labels"] == ["layout=separate"]
    assert data["features"] == {"containerd-snapshotter": True}


def test_refused_switch_rolls_back_byte_identical(system, layout, profile):
    """A snapshotter the separate containerd does not have: dockerd starts, storing an image fails; rolled back."""
    before = layout.config.read_bytes()
    with pytest.raises(SwitchError) as err:
        SwitchTransaction(system, profile).run(Store.CONTAINERD, snapshotter="stargz")
    assert "stargz" in str(err.value) and "restored" in str(err.value)
    assert layout.config.read_bytes() == before
    with system.client() as c:
        assert live_store(c.info()) is Store.CLASSIC


def test_diagnose_reads_both_stores_from_disk_with_both_stopped(system, layout, profile):
    """dockerd and containerd stopped: both stores, their images and containers, from their files."""
    with system.client() as c:
        c.import_image(tiny_tar(b"disk classic"), "ssw/disk-classic", "v1")
    tx = SwitchTransaction(system, profile)
    tx.run(Store.CONTAINERD)
    with system.client() as c:
        c.import_image(tiny_tar(b"disk c8d"), "ssw/disk-c8d", "v1")
        c.create_container("ssw/disk-c8d:v1", name="disk-c8d-box")
    system.stop()
    layout.stop_containerd()
    assert not layout.ctd_socket.exists() or layout.containerd is None

    inventories = inspect_stores(system, None)
    classic, containerd = inventories[Store.CLASSIC], inventories[Store.CONTAINERD]
    assert containerd.roots == [str(layout.ctd_root)], containerd.roots
    assert "ssw/disk-c8d:v1" in {img.name for img in containerd.images}, containerd.as_dict()
    assert "ssw/disk-classic:v1" in {img.name for img in classic.images}
    assert "disk-c8d-box" in {c.name for c in containerd.containers}
    assert not containerd.errors, containerd.errors

    env = {**os.environ, "STORESWITCH_SYSTEM_CONFIG": str(layout.config), "STORESWITCH_SYSTEM_HOST": layout.host,
           "STORESWITCH_RESTART_CMD": shlex.join(layout.service("restart")), CONTAINERD_CONFIG_ENV: str(layout.ctd_config)}
    # --dockerd: the engine under test (the machine may have another dockerd on PATH, whose version would decide)
    proc = subprocess.run([sys.executable, "-m", "backend.cli", "--profile", str(profile.config_dir.parent), "--target",
                           "system", "--dockerd", str(find_dockerd().dockerd), "diagnose", "--json", "--no-known-issues"],
                          env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["stores"]["containerd"]["roots"] == [str(layout.ctd_root)]
    assert report["stores"]["containerd"]["configured"] is True
    assert "ssw/disk-c8d:v1" in json.dumps(report["stores"]["containerd"])
    assert "ssw/disk-classic:v1" in json.dumps(report["stores"]["classic"])
