"""install-helper / uninstall-helper into a temporary root: what is copied, and what the launcher runs.

The files go under ``Layout(tmp_path)`` instead of ``/``; the launcher is then run for real (the
machine's root-owned python3, isolated) with a hostile environment. tests/system/ does the same
through the real ``sudo storeswitch install-helper`` and pkexec as an ordinary user.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from backend.helper_install import HelperInstallError, Layout, install, policy_exec_path, trusted_python, uninstall

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="install-helper writes root-owned files (run the tests as root)")


@ROOT_ONLY
def test_install_copies_the_code_and_names_a_root_owned_python(tmp_path):
    layout = Layout(tmp_path)
    outcome = install(layout)
    assert len(outcome.done) == 3
    launcher = layout.helper.read_text()
    python = launcher.splitlines()[0].removeprefix("#!").split()[0]
    assert launcher.startswith(f"#!{os.path.realpath(sys._base_executable)} -I\n")
    assert not python.startswith(str(Path(sys.prefix)))  # not the venv's python
    assert f'sys.path.insert(0, "{layout.code_dir}")' in launcher
    assert (layout.code_dir / "backend/privileged_helper.py").read_bytes() == Path("backend/privileged_helper.py").read_bytes()
    for p in (layout.helper, layout.code_dir, *layout.code_dir.rglob("*")):
        st = p.stat()
        assert st.st_uid == 0 and not st.st_mode & 0o022, p
    assert layout.helper.stat().st_mode & 0o777 == 0o755
    assert policy_exec_path(layout.policy) == "/usr/local/libexec/storeswitch/storeswitch-helper"

    # the installed launcher, with the caller's environment pointing into a planted package
    planted = tmp_path / "user-venv"
    (planted / "backend").mkdir(parents=True)
    marker = tmp_path / "planted-code-ran"
    evil = f"open({str(marker)!r}, 'w').write('ran')\n"
    for name in ("__init__.py", "privileged_helper.py", "atomic.py", "service_manager.py"):
        (planted / "backend" / name).write_text(evil)
    (planted / "sitecustomize.py").write_text(evil)
    (planted / "usercustomize.py").write_text(evil)
    env = {"PATH": f"{planted}:/usr/bin:/bin", "PYTHONPATH": str(planted), "PYTHONSTARTUP": str(planted / "sitecustomize.py"),
           "PYTHONUSERBASE": str(planted)}
    for args in (["switch", "/etc/passwd"], ["switch", "containerd", "extra"], ["--help"]):
        proc = subprocess.run([str(layout.helper), *args], env=env, cwd=planted, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert json.loads(proc.stdout.splitlines()[-1])["written"] is False
    assert not marker.exists()

    again = install(layout)  # idempotent: the code directory is replaced whole
    assert len(again.done) == 3
    removed = uninstall(layout)
    assert len(removed.done) == 3
    assert not layout.helper.exists() and not layout.code_dir.exists() and not layout.policy.exists()


@ROOT_ONLY
def test_install_is_refused_next_to_the_package_and_uninstall_keeps_its_policy(tmp_path):
    layout = Layout(tmp_path)
    layout.packaged_helper.parent.mkdir(parents=True)
    layout.packaged_helper.write_text("#!/bin/sh\n")
    with pytest.raises(HelperInstallError, match="package already installs the helper"):
        install(layout)
    layout.policy.parent.mkdir(parents=True)
    shutil.copy(Path("resources/io.storeswitch.switch.policy"), layout.policy)
    uninstall(layout)
    assert layout.policy.exists()  # the package's policy names the package's helper: not ours to remove


def test_a_python_the_user_owns_is_refused(tmp_path):
    owned = tmp_path / "python3"
    owned.write_text("")
    os.chown(owned, 1000, 1000) if os.geteuid() == 0 else None
    with pytest.raises(HelperInstallError, match="not safe to run as root"):
        trusted_python(str(owned))


def test_not_root_is_told_to_use_sudo(monkeypatch, tmp_path):
    monkeypatch.setattr("backend.helper_install.os.geteuid", lambda: 1000)
    with pytest.raises(HelperInstallError, match="sudo"):
        install(Layout(tmp_path))
