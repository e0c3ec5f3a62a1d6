"""``storeswitch install-helper`` / ``uninstall-helper``: the privileged helper without the package.

An ordinary user switches the system engine through ``pkexec`` and a small helper
(:mod:`backend.privileged_helper`). The Debian package installs it; a pip, pipx or venv
installation has no root-owned copy of it, and must not get one that runs code from the user's
venv (a venv in a home directory is writable by its user, who could then run any code as root).
So this copies the code the helper runs into root-owned directories under ``/usr/local``:

* ``/usr/local/lib/storeswitch/helper/backend/`` the ``backend`` package's ``.py`` files (the
  helper needs only the standard library and these), byte-compiled, root-owned, 0755/0644;
* ``/usr/local/libexec/storeswitch/storeswitch-helper`` the launcher
  (``resources/storeswitch-helper``) with ``@PYTHON@`` = the real interpreter behind the venv
  (it must be root-owned in a root-owned directory: else refused) and ``@SITE@`` = that directory;
  Python runs isolated (``-I``), so PYTHONPATH, the user site and the current directory add nothing;
* ``/usr/share/polkit-1/actions/io.storeswitch.switch.policy`` the policy, naming that launcher
  (polkit reads actions from there only).

Refused when the Debian package's helper is installed (it is the one to use). ``uninstall-helper``
removes exactly these files; a policy that names another helper (the package's) is left alone.
Every file is written atomically (:func:`backend.atomic.write_atomic`); the code directory is
built beside the old one and swapped in by renames.
"""

from __future__ import annotations

import compileall
import os
import shutil
import stat
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path

from backend.atomic import write_atomic
from backend.errors import StoreswitchError

EXEC_PATH_KEY = "org.freedesktop.policykit.exec.path"
POLICY_NAME = "io.storeswitch.switch.policy"


class HelperInstallError(StoreswitchError):
    """The helper cannot be installed or removed; the message says why and what to do."""


@dataclass(frozen=True)
class Layout:
    """Where install-helper puts things (a *root* other than / only for tests)."""

    root: Path = Path("/")

    @property
    def code_dir(self) -> Path:
        return self.root / "usr/local/lib/storeswitch/helper"

    @property
    def helper(self) -> Path:
        return self.root / "usr/local/libexec/storeswitch/storeswitch-helper"

    @property
    def policy(self) -> Path:
        return self.root / "usr/share/polkit-1/actions" / POLICY_NAME

    @property
    def packaged_helper(self) -> Path:
        return self.root / "usr/libexec/storeswitch/storeswitch-helper"


@dataclass
class Outcome:
    done: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"changed": self.done}


def trusted_python(executable: str | None = None) -> Path:
    """The real interpreter behind *executable* (a venv's python is a link to it), if root can trust it.

    Trusted: the file and every directory above it are owned by root and writable by nobody else.
    """
    candidate = executable or getattr(sys, "_base_executable", None) or sys.executable
    real = Path(os.path.realpath(candidate))
    for p in (real, *real.parents):
        st = os.stat(p)
        if st.st_uid != 0 or st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise HelperInstallError(
                f"the Python interpreter {real} is not safe to run as root ({p} is owned by uid {st.st_uid} or writable "
                "by others): install storeswitch with a system Python (/usr/bin/python3), or use the Debian package"
            )
    return real


def policy_bytes(helper: Path) -> bytes:
    """The packaged policy with its exec.path naming *helper*."""
    raw = files("resources").joinpath(POLICY_NAME).read_bytes()
    old = b"<annotate key=\"org.freedesktop.policykit.exec.path\">/usr/libexec/storeswitch/storeswitch-helper</annotate>"
    if old not in raw:
        raise HelperInstallError(f"resources/{POLICY_NAME} does not name the packaged helper; reinstall storeswitch")
    return raw.replace(old, f'<annotate key="{EXEC_PATH_KEY}">{helper}</annotate>'.encode())


def launcher_bytes(python: Path, site: Path) -> bytes:
    text = files("resources").joinpath("storeswitch-helper").read_text()
    return text.replace("@PYTHON@", str(python)).replace("@SITE@", str(site)).encode()


def policy_exec_path(path: Path) -> str | None:
    try:
        action = ET.parse(path).getroot().find("action")
    except (OSError, ET.ParseError):
        return None
    for a in action.findall("annotate") if action is not None else []:
        if a.get("key") == EXEC_PATH_KEY:
            return (a.text or "").strip()
    return None


def _require_root(what: str) -> None:
    if os.geteuid() != 0:
        raise HelperInstallError(f"{what} writes root-owned system files: run it with sudo (`sudo {Path(sys.argv[0]).name} {what}`)")


def _copy_code(source: Path, dest: Path) -> None:
    """The ``.py`` files of the package at *source* into *dest*/backend, root-owned, byte-compiled."""
    target = dest / "backend"
    for src in sorted(source.rglob("*.py")):
        if "__pycache__" in src.parts:
            continue
        out = target / src.relative_to(source)
        out.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        out.write_bytes(src.read_bytes())
        os.chmod(out, 0o644)
    compileall.compile_dir(str(target), quiet=1)
    for p in (dest, *dest.rglob("*")):
        os.lchown(p, 0, 0)
        os.chmod(p, 0o755 if p.is_dir() else 0o644)


def install(layout: Layout = Layout(), python: str | None = None) -> Outcome:
    """Install the helper's code, launcher and policy (see the module docstring)."""
    _require_root("install-helper")
    if layout.packaged_helper.exists():
        raise HelperInstallError(
            f"the storeswitch package already installs the helper ({layout.packaged_helper}): nothing to do. "
            "(install-helper is for pip, pipx or venv installations.)"
        )
    interpreter = trusted_python(python)
    import backend

    outcome = Outcome()
    parent = layout.code_dir.parent
    parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    staging = Path(tempfile.mkdtemp(prefix=".helper-", dir=parent))
    try:
        _copy_code(Path(backend.__file__).parent, staging)
        old = None
        if layout.code_dir.exists():
            old = parent / f".helper-old-{os.getpid()}"
            layout.code_dir.rename(old)
        staging.rename(layout.code_dir)
        if old is not None:
            shutil.rmtree(old)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outcome.done.append(f"{layout.code_dir} (the helper's code, copied from {Path(backend.__file__).parent})")
    layout.helper.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
    write_atomic(layout.helper, launcher_bytes(interpreter, layout.code_dir), mode=0o755)
    os.chown(layout.helper, 0, 0)
    os.chmod(layout.helper, 0o755)
    outcome.done.append(f"{layout.helper} (runs {interpreter} -I)")
    write_atomic(layout.policy, policy_bytes(Path("/") / layout.helper.relative_to(layout.root)), mode=0o644)
    os.chown(layout.policy, 0, 0)
    os.chmod(layout.policy, 0o644)
    outcome.done.append(f"{layout.policy} (polkit action io.storeswitch.switch)")
    return outcome


def uninstall(layout: Layout = Layout()) -> Outcome:
    """Remove what :func:`install` installed; a policy naming another helper stays."""
    _require_root("uninstall-helper")
    outcome = Outcome()
    ours = str(Path("/") / layout.helper.relative_to(layout.root))
    if layout.policy.exists() and policy_exec_path(layout.policy) == ours:
        layout.policy.unlink()
        outcome.done.append(f"removed {layout.policy}")
    if layout.helper.exists():
        layout.helper.unlink()
        outcome.done.append(f"removed {layout.helper}")
    if layout.code_dir.exists():
        shutil.rmtree(layout.code_dir)
        outcome.done.append(f"removed {layout.code_dir}")
    for d in (layout.helper.parent, layout.code_dir.parent):
        try:
            d.rmdir()
        except OSError:
            pass  # not empty or not there
    return outcome
