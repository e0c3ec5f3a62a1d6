"""The machine-wide parts of the end-to-end tests: a system bus, polkitd, users, a SysV Docker Engine.

Everything here is real and system-wide (these tests own it: /etc/docker, /etc/init.d/docker,
/etc/default/docker, /var/lib/docker, /run/docker.sock, the system bus, polkitd, the users, the
installed package), and everything is put back afterwards: the services started here are stopped
by their pids, the files and users made here removed. ``scripts/system-test-setup`` installs the
packages (``scripts/test`` runs it as root with CI=true); without them, or not as root, the tests
skip with the reason, which CI counts as a failure (they are marked ``engine``).

The engine is Debian's own: the ``docker.io`` package's ``/etc/init.d/docker`` (taken from the
fetched engine, ``~/.cache/storeswitch/engine``) started with ``service docker start``, its
dockerd, containerd and runc copied (hard links) to ``/opt/storeswitch-test-engine`` where the
script and an ordinary user can reach them, named in ``/etc/default/docker``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from tests.conftest import ENGINE_DIR, engine_unavailable_reason

REPO = Path(__file__).resolve().parents[2]
TOOLS = ("pkexec", "dbus-daemon", "Xvfb", "xdotool", "lintian", "runuser", "useradd", "unshare", "objdump")
POLKITD = Path("/usr/lib/polkit-1/polkitd")
ENGINE_COPY = Path("/opt/storeswitch-test-engine")
SOCKET = "unix:///var/run/docker.sock"
GROUP_RULE = "ssw-switchers"  # the group the example rule is placed for
ALICE, BOB = "ssw-alice", "ssw-bob"  # alice: docker + ssw-switchers; bob: docker only
RULE = Path("/etc/polkit-1/rules.d/50-storeswitch.rules")
OWNED = (Path("/etc/docker"), Path("/etc/init.d/docker"), Path("/etc/default/docker"), Path("/var/lib/docker"),
         Path("/var/log/docker.log"), ENGINE_COPY, RULE)


def machine_unavailable_reason() -> str | None:
    reason = engine_unavailable_reason()
    if reason:
        return reason
    missing = [t for t in TOOLS if shutil.which(t) is None] + ([str(POLKITD)] if not POLKITD.exists() else [])
    if missing:
        return f"missing {', '.join(missing)}: run scripts/system-test-setup (as root) first"
    return None


def run(*args: str, check: bool = True, timeout: float = 300, **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kw)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def as_user(user: str, *args: str, env: dict[str, str] | None = None, timeout: float = 300, cwd: str = "/tmp"):
    """Run *args* as *user* with a clean environment (what a login would give, plus *env*)."""
    base = {"HOME": f"/home/{user}", "USER": user, "LOGNAME": user, "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8"}
    base.update(env or {})
    cmd = ["runuser", "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in base.items()), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=cwd)


@pytest.fixture(scope="session")
def machine():
    reason = machine_unavailable_reason()
    if reason:
        pytest.skip(reason)
    existing = [p for p in (Path("/etc/init.d/docker"), Path("/var/lib/docker")) if p.exists()]
    if existing and not ENGINE_COPY.exists():
        pytest.skip(f"{', '.join(map(str, existing))} exist: a Docker Engine is installed here, and these tests would replace it")
    return True


@pytest.fixture(scope="session")
def bus_and_polkit(machine):
    """A real system bus (dbus-daemon --system) and polkitd, unless they already run."""
    started: list[subprocess.Popen | int] = []
    socket = Path("/run/dbus/system_bus_socket")
    if not (socket.exists() and run("dbus-send", "--system", "--dest=org.freedesktop.DBus", "--print-reply",
                                     "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames", check=False).returncode == 0):
        socket.unlink(missing_ok=True)
        pidfile = Path("/run/dbus/pid")
        if pidfile.exists() and not Path(f"/proc/{pidfile.read_text().strip()}").exists():
            pidfile.unlink()  # left by a bus that is gone
        Path("/run/dbus").mkdir(exist_ok=True)
        proc = run("dbus-daemon", "--system", "--fork", "--print-pid")
        started.append(int(proc.stdout.split()[0]))
    names = run("dbus-send", "--system", "--dest=org.freedesktop.DBus", "--print-reply", "/org/freedesktop/DBus",
                "org.freedesktop.DBus.ListNames").stdout
    if "org.freedesktop.PolicyKit1" not in names:
        polkitd = subprocess.Popen([str(POLKITD), "--no-debug"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started.append(polkitd)
        deadline = time.monotonic() + 30
        while "org.freedesktop.PolicyKit1" not in run("dbus-send", "--system", "--dest=org.freedesktop.DBus", "--print-reply",
                                                      "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames").stdout:
            assert time.monotonic() < deadline, "polkitd did not take its bus name within 30 s"
            time.sleep(0.2)
    yield
    for item in reversed(started):
        if isinstance(item, subprocess.Popen):
            item.terminate()
            item.wait(timeout=10)
        else:
            try:
                os.kill(item, 15)
            except ProcessLookupError:
                pass
    if started and isinstance(started[0], int):
        for leftover in ("/run/dbus/system_bus_socket", "/run/dbus/pid"):
            Path(leftover).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def users(machine):
    """alice (groups docker, ssw-switchers) and bob (docker only), made here and removed afterwards."""
    made_groups = []
    for group in ("docker", GROUP_RULE):
        if run("getent", "group", group, check=False).returncode != 0:
            run("groupadd", "--system", group)
            made_groups.append(group)
    for user, groups in ((ALICE, f"docker,{GROUP_RULE}"), (BOB, "docker")):
        run("userdel", "-r", user, check=False)
        # A home left without its user (an earlier run killed, or two runs at once) would be kept by
        # useradd, owned by root, and every write of the user's own files would be refused.
        shutil.rmtree(f"/home/{user}", ignore_errors=True)
        run("useradd", "--create-home", "--shell", "/bin/sh", "--groups", groups, user)
    yield ALICE, BOB
    for user in (ALICE, BOB):
        run("userdel", "-r", user, check=False)
    for group in made_groups:
        run("groupdel", group, check=False)


@pytest.fixture(scope="session")
def polkit_rule(bus_and_polkit):
    """The package's example rule, placed for the group ssw-switchers (alice's, not bob's)."""
    text = (REPO / "packaging/50-storeswitch.rules").read_text()
    assert 'subject.isInGroup("docker")' in text
    RULE.parent.mkdir(parents=True, exist_ok=True)
    RULE.write_text(text.replace('isInGroup("docker")', f'isInGroup("{GROUP_RULE}")'))
    RULE.chmod(0o644)
    time.sleep(1)  # polkitd rereads rules.d on change (inotify)
    yield RULE
    RULE.unlink(missing_ok=True)


def service(action: str, check: bool = True) -> subprocess.CompletedProcess:
    return run("service", "docker", action, check=check, timeout=120)


def engine_pid() -> int | None:
    try:
        pid = int(Path("/var/run/docker-ssd.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pid if Path(f"/proc/{pid}").exists() else None


def wait_for_engine(timeout: float = 60) -> None:
    from backend.engine.api import EngineClient

    deadline = time.monotonic() + timeout
    with EngineClient(SOCKET, timeout=5) as c:
        while not c.ping(timeout=1.0):
            if time.monotonic() > deadline:
                log = Path("/var/log/docker.log").read_text(errors="replace")[-2000:] if Path("/var/log/docker.log").exists() else ""
                raise AssertionError(f"the system engine did not answer within {timeout} s:\n{log}")
            time.sleep(0.2)


@pytest.fixture(scope="session")
def sysv_docker(machine, users):
    """Debian's docker.io init script running a real dockerd on /var/run/docker.sock, stopped and removed afterwards."""
    engine_root = ENGINE_DIR / "root"
    init_script = engine_root / "etc/init.d/docker"
    assert init_script.is_file(), f"{init_script} is missing: the fetched docker.io package carries it"
    shutil.rmtree(ENGINE_COPY, ignore_errors=True)
    ENGINE_COPY.mkdir(parents=True)
    run("cp", "-al", str(engine_root / "usr"), str(ENGINE_COPY / "usr"))  # hard links: instant, same bytes
    ENGINE_COPY.chmod(0o755)
    shutil.copy2(init_script, "/etc/init.d/docker")
    os.chmod("/etc/init.d/docker", 0o755)
    Path("/etc/default/docker").write_text(
        "# storeswitch's system tests: the fetched Debian 13 engine, isolated from the network.\n"
        f"DOCKERD={ENGINE_COPY}/usr/sbin/dockerd\n"
        f"PATH={ENGINE_COPY}/usr/sbin:{ENGINE_COPY}/usr/bin:$PATH  # its containerd and runc\n"
        'DOCKER_OPTS="--iptables=false --bridge=none"\n'
        "# This machine may not raise the open-files limit; the script's `ulimit -n 1048576` would then\n"
        "# end it under `set -e`. A failed ulimit is only a lower limit, so let it pass.\n"
        'ulimit() { command ulimit "$@" 2>/dev/null || true; }\n'
    )
    Path("/etc/docker").mkdir(exist_ok=True)
    Path("/etc/docker/daemon.json").write_text("{}\n")
    service("start")
    wait_for_engine()
    yield
    service("stop", check=False)
    deadline = time.monotonic() + 30
    while engine_pid() and time.monotonic() < deadline:
        time.sleep(0.2)
    run("umount", "-R", "/var/lib/docker", check=False)
    for p in OWNED:
        if p == RULE:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    for p in (Path("/var/run/docker-ssd.pid"), Path("/var/run/docker.pid"), Path("/var/run/docker.sock")):
        p.unlink(missing_ok=True)
    shutil.rmtree("/var/run/docker", ignore_errors=True)


def reset_engine(config: str = "{}\n") -> None:
    """daemon.json = *config*, the engine restarted on it (as the administrator would)."""
    Path("/etc/docker/daemon.json").write_text(config)
    service("restart")
    wait_for_engine()


@pytest.fixture(scope="session")
def world(bus_and_polkit, users, polkit_rule, sysv_docker):
    """Everything but the package: bus, polkitd, users, rule, a running SysV engine."""
    return users



def pytest_collection_modifyitems(config, items):
    """These tests last: the machine-wide services they start then stop when the session ends,
    with no other test running while a system engine, bus and polkitd are up."""
    here = Path(__file__).parent
    items.sort(key=lambda item: here in Path(item.path).parents)
