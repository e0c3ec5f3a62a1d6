"""End to end, as a user would have it: the Debian package, installed, switching the system engine.

Real parts only: ``scripts/build-deb`` from this tree, ``lintian``, ``apt-get install ./dist/…deb``
(which pulls its dependencies), a real system bus and polkitd, the package's example polkit rule
placed for the group ``ssw-switchers``, and a real dockerd on ``/var/run/docker.sock`` run by
Debian's own ``/etc/init.d/docker`` (see conftest). Every switch runs as an ordinary user
(``runuser`` with a clean environment) through ``pkexec`` and the installed helper: alice is in
``docker`` and ``ssw-switchers``; bob only in ``docker``, so the rule does not cover him.
The tests run in file order and share the one engine and the one installation.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from backend.engine.api import EngineClient
from backend.stores import Store, live_store
from tests.conftest import image_names, tiny_tar
from tests.system.conftest import ALICE, BOB, REPO, SOCKET, as_user, engine_pid, reset_engine, run, wait_for_engine

pytestmark = pytest.mark.engine
HELPER = Path("/usr/libexec/storeswitch/storeswitch-helper")
POLICY = Path("/usr/share/polkit-1/actions/io.storeswitch.switch.policy")
DAEMON_JSON = Path("/etc/docker/daemon.json")


@pytest.fixture(scope="session")
def deb(machine) -> Path:
    """The package, built by the project's script from this tree."""
    proc = run(str(REPO / "scripts/build-deb"), cwd=REPO, timeout=900)
    path = REPO / proc.stdout.strip().splitlines()[-1]
    assert path.is_file() and path.name.startswith("storeswitch_") and path.suffix == ".deb", proc.stdout
    return path


@pytest.fixture(scope="module")
def installed(deb, world):
    from backend.helper_install import uninstall

    uninstall()  # install-helper's copy, if a test left one: the package's is the one to test
    # without Recommends (a Docker Engine): the engine here is the test's own (see conftest)
    proc = run("apt-get", "install", "-y", "-q", "--no-install-recommends", str(deb), env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, timeout=900)
    assert "storeswitch" in proc.stdout
    yield deb
    if run("dpkg-query", "-W", "-f=${Status}", "storeswitch", check=False).stdout.startswith("install ok"):
        run("apt-get", "remove", "-y", "-q", "storeswitch", check=False)


def user_cli(user: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return as_user(user, "storeswitch", "--target", "system", *args, env=env)


def live() -> Store:
    with EngineClient(SOCKET) as c:
        return live_store(c.info())


def test_the_package_builds_and_lintian_reports_no_errors(deb):
    proc = run("lintian", "--fail-on", "error", str(deb), check=False, timeout=600)
    errors = [ln for ln in proc.stdout.splitlines() if ln.startswith("E:")]
    assert proc.returncode == 0 and not errors, proc.stdout + proc.stderr
    control = run("dpkg-deb", "--field", str(deb), "Depends", "Recommends").stdout
    depends = control.split("Depends:")[1].split("\n")[0]
    # computed from the xcb plugin's libraries (packaging/qt_depends.py): the ones Qt aborts without
    for pkg in ("pkexec", "libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0", "libxcb-xkb1"):
        assert f" {pkg}" in depends, depends
    assert "Recommends: docker.io | docker-ce" in control


def test_the_installed_files(installed):
    st = HELPER.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (0, 0, 0o755)
    launcher = HELPER.read_text()
    assert launcher.startswith("#!/usr/bin/python3 -I\n") and '"/usr/lib/storeswitch/site"' in launcher
    assert "@" not in launcher.replace("@SITE@", "")  # no placeholder left
    assert f">{HELPER}</annotate>" in POLICY.read_text()
    for path in ("/usr/bin/storeswitch", "/usr/bin/storeswitch-gui", "/usr/share/applications/storeswitch.desktop",
                 "/usr/share/icons/hicolor/scalable/apps/storeswitch.svg", "/usr/share/man/man1/storeswitch.1.gz",
                 "/usr/share/man/man1/storeswitch-gui.1.gz", "/usr/share/doc/storeswitch/50-storeswitch.rules"):
        assert Path(path).is_file(), path
    for p in Path("/usr/lib/storeswitch").rglob("*"):  # nothing an ordinary user could change
        st = p.lstat()
        assert st.st_uid == 0 and not st.st_mode & 0o022, p


def test_help_man_and_screenshot_work_from_the_installed_files(installed, tmp_path):
    assert as_user(ALICE, "storeswitch", "--help").stdout.startswith("usage: storeswitch")
    man = as_user(ALICE, "man", "-P", "cat", "storeswitch", env={"MANWIDTH": "100"})
    assert man.returncode == 0 and "switch a Docker Engine between the classic and the containerd image store" in man.stdout, man.stderr
    assert as_user(ALICE, "man", "-P", "cat", "storeswitch-gui").returncode == 0
    shot = f"/home/{ALICE}/window.png"
    proc = as_user(ALICE, "storeswitch-gui", "--target", "system", "--screenshot", shot, "--tab", "general", "--wait", "3")
    assert proc.returncode == 0, proc.stderr
    assert Path(shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_status_names_the_sysv_service_manager(installed):
    reset_engine()
    proc = user_cli(ALICE, "status", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["service_manager"]["name"] == "sysv"
    assert data["service_manager"]["restart"] == "/usr/sbin/service docker restart"
    assert data["live_store"] == "classic" and data["config_path"] == str(DAEMON_JSON)
    human = user_cli(ALICE, "status").stdout
    assert "restart:     /usr/sbin/service docker restart (sysv:" in human
    report = as_user(ALICE, "storeswitch", "--target", "system", "diagnose", "--no-sizes", "--no-known-issues")
    assert "/usr/sbin/service docker restart (sysv:" in report.stdout, report.stderr


def test_installed_helper_refuses_extra_or_path_arguments(installed):
    before, pid = DAEMON_JSON.read_bytes(), engine_pid()
    for args in (["switch", "containerd", "--no-restart"], ["switch", "/etc/docker/daemon.json"], ["rollback", "x"],
                 ["restart"], []):
        proc = as_user(ALICE, "pkexec", str(HELPER), *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert json.loads(proc.stdout.splitlines()[-1])["written"] is False
    assert DAEMON_JSON.read_bytes() == before and engine_pid() == pid


def test_installed_helper_ignores_the_callers_environment(installed, tmp_path):
    """PYTHONPATH, PATH and the current directory full of planted code: none of it runs."""
    plant = Path(f"/home/{ALICE}/plant")
    shutil.rmtree(plant, ignore_errors=True)
    (plant / "backend").mkdir(parents=True)
    marker = Path(f"/home/{ALICE}/planted-code-ran")
    marker.unlink(missing_ok=True)
    evil_py = f"open({str(marker)!r}, 'a').write(__name__)\n"
    for name in ("backend/__init__.py", "backend/privileged_helper.py", "backend/service_manager.py", "sitecustomize.py",
                 "json.py", "subprocess.py"):
        (plant / name).write_text(evil_py)
    for tool in ("service", "python3", "systemctl", "rc-service"):
        (plant / tool).write_text(f"#!/bin/sh\necho $0 >> {marker}\n")
        (plant / tool).chmod(0o755)
    run("chown", "-R", f"{ALICE}:{ALICE}", str(plant))
    env = {"PATH": f"{plant}:/usr/bin:/bin", "PYTHONPATH": str(plant), "PYTHONSTARTUP": str(plant / "sitecustomize.py"),
           "STORESWITCH_RESTART_CMD": f"{plant}/service", "STORESWITCH_SYSTEM_CONFIG": f"{plant}/daemon.json"}
    reset_engine()
    proc = as_user(ALICE, "pkexec", str(HELPER), "switch", "containerd", env=env, cwd=str(plant))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout.splitlines()[-1])
    assert report["config"] == str(DAEMON_JSON) and report["restart"] == "/usr/sbin/service docker restart"
    wait_for_engine()
    assert live() is Store.CONTAINERD
    assert not marker.exists(), marker.read_text()
    # the same as root, straight, with the planted PYTHONPATH: still the installed code
    proc = run(str(HELPER), "switch", "/tmp/x", check=False, cwd=str(plant), env={**os.environ, **{"PYTHONPATH": str(plant)}})
    assert proc.returncode == 2 and not marker.exists()
    reset_engine()


def test_cli_round_trip_as_an_ordinary_user_keeps_both_stores(installed):
    reset_engine('{\n  "log-level": "warn"\n}\n')
    with EngineClient(SOCKET) as c:
        c.import_image(tiny_tar(b"classic"), "ssw/classic", "v1")
    proc = user_cli(ALICE, "switch", "containerd")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert live() is Store.CONTAINERD
    assert json.loads(DAEMON_JSON.read_text()) == {"log-level": "warn", "features": {"containerd-snapshotter": True}}
    assert stat.S_IMODE(DAEMON_JSON.stat().st_mode) == 0o644 and DAEMON_JSON.stat().st_uid == 0
    with EngineClient(SOCKET) as c:
        assert "ssw/classic:v1" not in image_names(c)
        c.import_image(tiny_tar(b"containerd"), "ssw/containerd", "v1")
    proc = user_cli(ALICE, "switch", "classic")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert live() is Store.CLASSIC
    with EngineClient(SOCKET) as c:
        names = image_names(c)
    assert "ssw/classic:v1" in names and "ssw/containerd:v1" not in names
    reset_engine('{"features": {"containerd-snapshotter": true}}\n')
    with EngineClient(SOCKET) as c:
        assert "ssw/containerd:v1" in image_names(c)  # both stores kept


def test_a_config_the_engine_refuses_is_rolled_back_through_the_helper(installed):
    """btrfs on this ext4 disk: the classic store refuses to start; the helper puts the old bytes back."""
    reset_engine('{"storage-driver": "btrfs", "features": {"containerd-snapshotter": true}}\n')
    before = DAEMON_JSON.read_bytes()
    proc = user_cli(ALICE, "switch", "classic")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "btrfs" in proc.stderr and "containerd store" in proc.stderr, proc.stderr
    assert DAEMON_JSON.read_bytes() == before
    wait_for_engine()
    assert live() is Store.CONTAINERD


def test_a_user_the_rule_does_not_cover_is_not_authorized(installed):
    reset_engine()
    before, pid = DAEMON_JSON.read_bytes(), engine_pid()
    proc = user_cli(BOB, "switch", "containerd")
    assert proc.returncode == 1
    assert "not authorized" in proc.stderr, proc.stderr
    assert "Nothing was changed" in proc.stderr
    assert DAEMON_JSON.read_bytes() == before and engine_pid() == pid
    assert live() is Store.CLASSIC


def test_the_window_switches_as_an_ordinary_user(installed, tmp_path):
    """pytest-qt in a pytest run as alice, on the installed code (tests/system/gui_user_switch.py)."""
    reset_engine()
    work = Path(f"/home/{ALICE}/gui-test")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    shutil.copy(REPO / "tests/system/gui_user_switch.py", work)
    tools = work / "tools"
    # pytest and pytest-qt for the user's run (the package has no test tools), from PyPI or pip's cache
    run(sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(tools), "pytest", "pytest-qt",
        timeout=600)
    shutil.rmtree(tools / "PySide6", ignore_errors=True)
    (work / "run").mkdir(mode=0o700)  # XDG_RUNTIME_DIR: Qt wants it private
    run("chown", "-R", f"{ALICE}:{ALICE}", str(work))
    code = ("import sys; sys.path[:0] = ['/usr/lib/storeswitch/site', 'tools']; import pytest; "
            "sys.exit(pytest.main(['-q', '-s', '-p', 'no:cacheprovider', '-o', 'qt_api=pyside6', 'gui_user_switch.py']))")
    proc = as_user(ALICE, "/usr/bin/python3", "-I", "-c", code, cwd=str(work), timeout=600,
                   env={"QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(work / "run")})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert "GUI-SWITCHED-BOTH-WAYS" in proc.stdout
    assert live() is Store.CLASSIC


def test_removing_the_package_leaves_no_helper_and_keeps_daemon_json(installed):
    DAEMON_JSON.write_text('{"log-level": "info"}\n')
    before = DAEMON_JSON.read_bytes()
    run("apt-get", "remove", "-y", "-q", "storeswitch")
    for path in (HELPER, HELPER.parent, POLICY, Path("/usr/lib/storeswitch"), Path("/usr/bin/storeswitch")):
        assert not path.exists(), path
    assert DAEMON_JSON.read_bytes() == before
