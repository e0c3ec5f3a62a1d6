"""``sudo storeswitch install-helper`` from a user's venv, then a switch through pkexec as that user.

Without the Debian package (it is removed first if a test left it). The venv belongs to alice
and holds storeswitch's code (a copy of this tree's ``backend``, ``migration`` and ``resources``)
and the CLI's third-party packages (copied from this tree's .venv). Root runs that venv's ``storeswitch install-helper``;
alice then replaces modules in her venv with code that leaves a mark when it runs, and switches
the system engine through ``pkexec`` and the installed helper: the switch works, the mark never
appears (the helper's code was copied to a root-owned directory; the venv is never on its path).
"""

from __future__ import annotations

import json
import shutil
import site
import sys
from pathlib import Path

import pytest

from backend.engine.api import EngineClient
from backend.stores import Store, live_store
from tests.system.conftest import ALICE, BOB, REPO, SOCKET, as_user, reset_engine, run, wait_for_engine

pytestmark = pytest.mark.engine
LOCAL_HELPER = Path("/usr/local/libexec/storeswitch/storeswitch-helper")
POLICY = Path("/usr/share/polkit-1/actions/io.storeswitch.switch.policy")


@pytest.fixture
def user_venv(world):
    if run("dpkg-query", "-W", "-f=${Status}", "storeswitch", check=False).stdout.startswith("install ok"):
        run("apt-get", "remove", "-y", "-q", "storeswitch")
    venv = Path(f"/home/{ALICE}/venv")
    shutil.rmtree(venv, ignore_errors=True)
    run("/usr/bin/python3", "-m", "venv", "--without-pip", str(venv))
    sp = next(venv.glob("lib/python3*/site-packages"))
    for pkg in ("backend", "resources", "migration"):
        shutil.copytree(REPO / pkg, sp / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    # the CLI's third-party packages (httpx, platformdirs, ...), copied: the clone may be unreadable to alice
    skip = ("PySide6", "shiboken6", "pip", "_pytest", "pytest", "py.", "pluggy", "iniconfig", "pygments", "argparse",
            "build_manpage", "_distutils_hack", "distutils-precedence", "setuptools", "__editable__", "storeswitch", "__pycache__")
    for entry in Path(site.getsitepackages()[0]).iterdir():
        if entry.name.startswith(skip):
            continue
        if entry.is_dir():
            shutil.copytree(entry, sp / entry.name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(entry, sp / entry.name)
    run("chown", "-R", f"{ALICE}:{ALICE}", str(venv))
    yield venv, sp
    run(str(venv / "bin/python"), "-m", "backend.cli", "uninstall-helper", check=False)
    shutil.rmtree(venv, ignore_errors=True)


def test_install_helper_from_a_user_venv_runs_nothing_from_it(user_venv):
    venv, sp = user_venv
    # as the user, without the helper: the system target says exactly what to do
    reset_engine()
    proc = as_user(ALICE, str(venv / "bin/python"), "-m", "backend.cli", "--target", "system", "switch", "containerd")
    assert proc.returncode == 1
    assert f"sudo {venv}/bin/storeswitch install-helper" in proc.stderr or "install-helper" in proc.stderr, proc.stderr

    proc = run(str(venv / "bin/python"), "-m", "backend.cli", "install-helper")
    assert str(LOCAL_HELPER) in proc.stdout
    launcher = LOCAL_HELPER.read_text()
    assert str(venv) not in launcher and launcher.startswith("#!/usr/bin/python3")
    assert f">{LOCAL_HELPER}</annotate>" in POLICY.read_text()

    marker = Path(f"/home/{ALICE}/venv-code-ran")
    marker.unlink(missing_ok=True)
    for name in ("backend/__init__.py", "backend/privileged_helper.py", "backend/atomic.py", "backend/daemon_config.py",
                 "backend/service_manager.py", "sitecustomize.py"):
        (sp / name).write_text(f"open({str(marker)!r}, 'a').write(__name__ + '\\n')\n")
    run("chown", "-R", f"{ALICE}:{ALICE}", str(venv))

    env = {"PYTHONPATH": str(sp), "PATH": f"{venv}/bin:/usr/bin:/bin"}
    proc = as_user(ALICE, "pkexec", str(LOCAL_HELPER), "switch", "containerd", env=env, cwd=str(sp))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout.splitlines()[-1])["written"] is True
    wait_for_engine()
    with EngineClient(SOCKET) as c:
        assert live_store(c.info()) is Store.CONTAINERD
    assert not marker.exists(), marker.read_text()
    # bob: not in the rule's group
    proc = as_user(BOB, "pkexec", "--disable-internal-agent", str(LOCAL_HELPER), "switch", "classic")
    # polkit would want an administrator's password, and nobody is there to give it
    assert proc.returncode == 127 and ("No authentication agent found" in proc.stderr or "Not authorized" in proc.stderr), proc.stderr

    proc = run(sys.executable, "-m", "backend.cli", "uninstall-helper", cwd=REPO)
    assert not LOCAL_HELPER.exists() and not POLICY.exists()
    reset_engine()
