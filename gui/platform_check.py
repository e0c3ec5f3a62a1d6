"""Before Qt starts: can its X11 platform plugin (xcb) load here? If not, say what to install.

Without some of the X11 libraries PySide6's ``libqxcb.so`` links to (libxcb-cursor0,
libxcb-icccm4, libxcb-keysyms1, ... are not on every desktop), Qt aborts the process inside
``QApplication`` with "Could not load the Qt platform plugin "xcb"", which names at most one
library. So ``storeswitch-gui`` asks first, when Qt would pick xcb (``QT_QPA_PLATFORM`` unset or
``xcb``, and ``DISPLAY`` set): ``ldd`` on the plugin lists every library the dynamic loader cannot
find, through the Qt libraries the plugin pulls in, under this process's own loader settings
(``LD_LIBRARY_PATH`` included). Each missing library is named with the command that installs it:
apt by Debian's library-package naming (``libxcb-icccm.so.4`` -> ``libxcb-icccm4``), dnf by the
soname itself (``dnf install 'libxcb-icccm.so.4()(64bit)'``, which dnf resolves exactly).

Costs nothing on the offscreen path (``--screenshot``, the tests): it returns before looking.
Qt-free: it must run before PySide6 is imported.
"""

from __future__ import annotations

import os
from pathlib import Path

# re, shutil, subprocess, struct and importlib are imported where used: on the offscreen path this
# module only answers uses_xcb() (main imports it on every start).


def uses_xcb(env: dict[str, str] | os._Environ = os.environ) -> bool:
    """Whether Qt would load the xcb plugin: QT_QPA_PLATFORM unset or naming xcb first, and DISPLAY set."""
    platform = env.get("QT_QPA_PLATFORM", "").strip()
    first = platform.split(";")[0].split(":")[0]
    return bool(env.get("DISPLAY")) and first in ("", "xcb")


def xcb_plugin() -> Path | None:
    from importlib.util import find_spec

    spec = find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    plugin = Path(list(spec.submodule_search_locations)[0]) / "Qt/plugins/platforms/libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(plugin: Path) -> list[str]:
    """The libraries *plugin* needs that the dynamic loader cannot find (``ldd``), in its order."""
    import re
    import shutil
    import subprocess

    ldd = shutil.which("ldd")
    if ldd is None:
        return _first_missing_by_loading(plugin)
    try:
        proc = subprocess.run([ldd, str(plugin)], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return []
    found = re.findall(r"^\s*(\S+) => not found", proc.stdout, re.M)
    return list(dict.fromkeys(found))


def _first_missing_by_loading(plugin: Path) -> list[str]:
    """Without ldd: load the plugin; the loader's error names the first library it lacks."""
    import ctypes
    import re

    try:
        ctypes.CDLL(str(plugin))
    except OSError as exc:
        m = re.search(r"(\S+\.so[.\d]*): cannot open shared object file", str(exc))
        return [m.group(1)] if m else []
    return []


def debian_package(soname: str) -> str:
    """Debian's name for the package of library *soname* (libfoo.so.1 -> libfoo1; libfoo-x.so.0 -> libfoo-x0)."""
    import re

    m = re.match(r"(lib.+)\.so\.(\d+)", soname)
    if not m:
        return soname
    name, major = m.group(1).lower(), m.group(2)
    return f"{name}-{major}" if name[-1].isdigit() else f"{name}{major}"


def install_commands(missing: list[str]) -> list[str]:
    import struct

    bits = "(64bit)" if struct.calcsize("P") == 8 else ""
    apt = " ".join(dict.fromkeys(debian_package(s) for s in missing))
    dnf = " ".join(f"'{s}(){bits}'" for s in missing)
    return [f"Debian/Ubuntu: sudo apt-get install {apt}", f"Fedora: sudo dnf install {dnf}"]


def xcb_problem(env: dict[str, str] | os._Environ = os.environ) -> str | None:
    """Why Qt's xcb plugin cannot load here, with the install commands; None when it can (or is not used)."""
    if not uses_xcb(env):
        return None
    plugin = xcb_plugin()
    if plugin is None:
        return None  # no PySide6 wheel layout to check: Qt decides
    missing = missing_libraries(plugin)
    if not missing:
        return None
    lines = [
        f"Qt's X11 platform plugin (xcb) cannot load: {', '.join(missing)} "
        f"{'is' if len(missing) == 1 else 'are'} missing on this machine ({plugin.name} needs "
        f"{'it' if len(missing) == 1 else 'them'}). Install {'it' if len(missing) == 1 else 'them'}:",
        *(f"  {c}" for c in install_commands(missing)),
        "  Meanwhile: `storeswitch status` / `storeswitch switch ...` work without a window, and",
        "  `storeswitch-gui --screenshot FILE.png` renders the window without a display.",
    ]
    return "\n".join(lines)
