"""The Debian packages Qt's xcb platform plugin (and the Qt modules storeswitch loads) need.

Used by ``scripts/build-deb`` for the package's ``Depends``: computed from the wheels being
packaged, not guessed. Starting from ``PySide6/Qt/plugins/platforms/libqxcb.so`` and the PySide6
modules the GUI imports, it follows ``NEEDED`` entries (``objdump -p``) through the Qt libraries
the wheel bundles; every library that is not bundled is a system library, found with
``ldconfig -p`` and mapped to its package with ``dpkg -S``. A system library that is not installed
on the build machine cannot be mapped: the build then stops and names the libraries (and a
likely package for each, by Debian's soname naming) to install first.

Run: ``python3 packaging/qt_depends.py SITE_DIR`` prints one package name a line
(``--json``: also the library -> package table and what was missing; ``--missing-packages``: only
the likely packages of the libraries not installed here, which ``scripts/system-test-setup``
installs before building).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from gui.platform_check import debian_package  # noqa: E402

STARTS = (
    "PySide6/Qt/plugins/platforms/libqxcb.so",
    "PySide6/QtCore.abi3.so",
    "PySide6/QtGui.abi3.so",
    "PySide6/QtWidgets.abi3.so",
)


def needed(path: Path) -> list[str]:
    out = subprocess.run(["objdump", "-p", str(path)], capture_output=True, text=True, check=True).stdout
    return re.findall(r"^\s*NEEDED\s+(\S+)", out, re.M)


def system_libraries() -> dict[str, str]:
    """soname -> path, for this machine's architecture (``ldconfig -p``)."""
    out = subprocess.run(["/sbin/ldconfig", "-p"], capture_output=True, text=True, check=True).stdout
    found: dict[str, str] = {}
    for m in re.finditer(r"^\s*(\S+) \(([^)]*)\) => (\S+)$", out, re.M):
        name, flags, path = m.groups()
        if any(other in path for other in ("/lib32/", "/libx32/", "i386-linux-gnu")):
            continue  # another architecture's copy (multilib)
        found.setdefault(name, path)
    return found


def package_of(path: str) -> str | None:
    candidates = [path, str(Path(path).resolve())]
    for p in list(candidates):
        if p.startswith("/usr/"):
            candidates.append(p[4:])
        elif p.startswith("/lib"):
            candidates.append("/usr" + p)
    for p in candidates:
        proc = subprocess.run(["dpkg", "-S", p], capture_output=True, text=True)
        if proc.returncode == 0:
            return proc.stdout.split(":", 1)[0].strip()
    return None


def likely_package(soname: str) -> str:
    """Debian's naming rule for a library package: the one storeswitch-gui's own check prints."""
    return debian_package(soname)


def closure(site: Path) -> tuple[dict[str, str], list[str]]:
    """(system soname -> package, sonames not installed here), over the plugin and its bundled Qt libs."""
    bundled = {p.name: p for d in ("PySide6/Qt/lib", "PySide6", "shiboken6") for p in (site / d).glob("*.so*")}
    system = system_libraries()
    todo = [site / s for s in STARTS]
    missing_start = [str(p) for p in todo if not p.is_file()]
    if missing_start:
        raise SystemExit(f"qt_depends: not in the wheel tree: {', '.join(missing_start)}")
    seen: set[str] = set()
    packages: dict[str, str] = {}
    missing: list[str] = []
    while todo:
        lib = todo.pop()
        for soname in needed(lib):
            if soname in seen:
                continue
            seen.add(soname)
            if soname in bundled:
                todo.append(bundled[soname])
            elif soname in system:
                pkg = package_of(system[soname])
                if pkg is None:
                    missing.append(soname)
                else:
                    packages[soname] = pkg
            else:
                missing.append(soname)
    return packages, sorted(missing)


def main(argv: list[str]) -> int:
    site = Path(argv[0])
    packages, missing = closure(site)
    if "--missing-packages" in argv:
        print("\n".join(sorted({likely_package(s) for s in missing})))
        return 0
    if "--json" in argv:
        print(json.dumps({"libraries": packages, "missing": missing}, indent=2, sort_keys=True))
    if missing:
        likely = sorted({likely_package(s) for s in missing})
        print(f"qt_depends: these libraries Qt's xcb plugin needs are not installed here, so their packages cannot be "
              f"looked up: {', '.join(missing)}.\n  install them first: sudo apt-get install {' '.join(likely)}",
              file=sys.stderr)
        return 1
    if "--json" not in argv:
        print("\n".join(sorted(set(packages.values()))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
