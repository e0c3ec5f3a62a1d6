"""storeswitch-gui before Qt: a missing X11 library is named with its install command; present, the window opens.

Real behaviour on a real X server (Xvfb). A library is made missing the way a machine without
it has it: in a private mount namespace (``unshare -m``) the system library directory is
replaced by a copy of itself (hard links, instant) without ``libxcb-icccm.so.4``, so the dynamic
loader cannot find it, for ``ldd`` and for Qt alike. Nothing outside that namespace changes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.system.conftest import REPO, run

pytestmark = pytest.mark.engine
LIBDIR = Path("/usr/lib/x86_64-linux-gnu") if Path("/usr/lib/x86_64-linux-gnu").is_dir() else None
HIDDEN = "libxcb-icccm.so.4"
GUI = str(Path(sys.executable).parent / "storeswitch-gui")


@pytest.fixture
def xvfb(machine):
    display = next(f":{n}" for n in range(93, 140) if not Path(f"/tmp/.X11-unix/X{n}").exists() and not Path(f"/tmp/.X{n}-lock").exists())
    server = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{display[1:]}").exists():
        assert server.poll() is None and time.monotonic() < deadline, "Xvfb did not start"
        time.sleep(0.1)
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    env["DISPLAY"] = display
    yield env
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def without_library(machine):
    """A copy of the library directory lacking HIDDEN, for a private mount namespace."""
    if LIBDIR is None or not (LIBDIR / HIDDEN).exists():
        pytest.skip(f"{HIDDEN} is not in /usr/lib/x86_64-linux-gnu: run scripts/system-test-setup")
    copy = Path("/usr/lib/.storeswitch-test-libs")  # same file system: hard links
    shutil.rmtree(copy, ignore_errors=True)
    copy.mkdir()
    run("cp", "-al", str(LIBDIR), str(copy / "lib"))
    for p in (copy / "lib").glob(f"{HIDDEN}*"):
        p.unlink()
    yield copy / "lib"
    shutil.rmtree(copy, ignore_errors=True)


def in_namespace(libs: Path, *cmd: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    script = 'mount --bind "$0" /usr/lib/x86_64-linux-gnu && exec "$@"'
    return subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, str(libs), *cmd],
                          capture_output=True, text=True, env=env, timeout=600, cwd=REPO)


def test_a_missing_xcb_library_is_named_with_the_install_command(xvfb, without_library):
    proc = in_namespace(without_library, GUI, env=xvfb)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert f"Qt's X11 platform plugin (xcb) cannot load: {HIDDEN} is missing" in err, err
    assert "Debian/Ubuntu: sudo apt-get install libxcb-icccm4" in err
    assert "Fedora: sudo dnf install 'libxcb-icccm.so.4()(64bit)'" in err
    assert "Could not load the Qt platform plugin" not in err  # Qt never got to abort
    # scripts/run shows the same (it ends in storeswitch-gui)
    proc = in_namespace(without_library, str(REPO / "scripts/run"), env=xvfb)
    assert proc.returncode == 1 and "sudo apt-get install libxcb-icccm4" in proc.stderr, proc.stderr


def test_with_every_library_the_window_opens(xvfb):
    gui = subprocess.Popen([GUI, "--target", "managed"], env=xvfb, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        found = subprocess.run(["xdotool", "search", "--sync", "--onlyvisible", "--name", "storeswitch"],
                               env=xvfb, capture_output=True, text=True, timeout=90)
        assert found.returncode == 0 and found.stdout.split(), found.stderr
        assert gui.poll() is None  # still running: the window is up
    finally:
        gui.terminate()
        out, err = gui.communicate(timeout=30)
    assert "cannot load" not in err, err
