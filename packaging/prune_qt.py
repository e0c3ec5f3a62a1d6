"""Drop the parts of the PySide6 wheels storeswitch never loads, before they are packaged.

The wheels carry all of Qt Essentials (QML, Quick, Designer, developer tools, type stubs): about
240 MB, of which the settings window uses QtCore, QtGui and QtWidgets, Qt's platform, image-format,
icon and input plugins, and the Qt libraries those link to. Keeping only that makes the package a
third of the size and quicker to build and install. What stays is decided by following ``NEEDED``
(:func:`packaging.qt_depends.needed`) from the kept modules and plugins, so nothing they link to is
dropped; ``tests/system`` then runs the installed GUI (``--screenshot`` and a real window).

Run: ``python3 packaging/prune_qt.py SITE_DIR``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from qt_depends import needed  # noqa: E402

KEEP_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtTest")  # QtTest: pytest-qt drives the installed window (QA, tests/system)
DROP_PLUGIN_DIRS = ("designer", "qmllint", "qmltooling", "sqldrivers", "vectorimageformats", "printsupport",
                    "wayland-graphics-integration-server")
# image formats storeswitch never shows (it has one SVG icon), each a copy of a library Debian ships
DROP_PLUGINS = ("imageformats/libqtiff.so", "imageformats/libqjpeg.so", "imageformats/libqwebp.so")
DROP_DIRS = ("Qt/qml", "Qt/metatypes", "Qt/libexec", "include", "typesystems", "glue", "scripts", "lib")


def prune(site: Path) -> int:
    pyside = site / "PySide6"
    qt = pyside / "Qt"
    before = sum(p.stat().st_size for p in pyside.rglob("*") if p.is_file())
    for d in DROP_DIRS:
        shutil.rmtree(pyside / d, ignore_errors=True)
    for d in DROP_PLUGIN_DIRS:
        shutil.rmtree(qt / "plugins" / d, ignore_errors=True)
    for f in DROP_PLUGINS:
        (qt / "plugins" / f).unlink(missing_ok=True)
    for p in list(pyside.iterdir()):
        if p.is_file() and p.suffix == ".pyi":
            p.unlink()
        elif p.is_file() and p.name.endswith(".abi3.so") and p.name.split(".")[0] not in KEEP_MODULES:
            p.unlink()
        elif p.is_file() and "." not in p.name:  # developer tools: assistant, designer, lupdate, qmlls, ...
            p.unlink()
    for p in (qt / "translations").glob("*.qm") if (qt / "translations").is_dir() else ():
        if not p.name.startswith("qtbase_"):
            p.unlink()
    # the Qt libraries something kept links to, followed transitively
    libs = {p.name: p for p in (qt / "lib").glob("*.so*")}
    todo = [p for p in pyside.glob("*.abi3.so")] + list((qt / "plugins").rglob("*.so"))
    todo += list((site / "shiboken6").glob("*.so*"))
    keep: set[str] = set()
    while todo:
        for soname in needed(todo.pop()):
            if soname in libs and soname not in keep:
                keep.add(soname)
                todo.append(libs[soname])
    for name, p in libs.items():
        if name not in keep and not p.is_symlink():
            p.unlink()
    after = sum(p.stat().st_size for p in pyside.rglob("*") if p.is_file())
    print(f"prune_qt: PySide6 {before >> 20} MB -> {after >> 20} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(prune(Path(sys.argv[1])))
