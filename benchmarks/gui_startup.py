"""Startup of ``storeswitch-gui --screenshot`` against a bare PySide6 window, same run, same way.

The baseline is the least a PySide6 program can do to put a window on screen: start Python,
import QtWidgets, build one QTabWidget with one QCheckBox, render it at the same size, save the
PNG, exit. storeswitch's figure is the whole ``storeswitch-gui --screenshot`` process for the
Experimental tab, in two forms:

- ``--wait 0``: the first paint, i.e. what a user sees as the window appears (the engine probe,
  recovery and known-issue checks run off the GUI thread and must not delay it). Target ratio <= 1.5.
  As in the GUI, the window builds the page it opens on before that paint and its other four
  pages right after it (``gui.window``, ``lazy``); the picture is the same either way
  (tests/gui/test_gui_startup.py compares it with a fully built window's).
- default (``--wait 5``): the screenshot waits for those first checks (bounded), so it shows the
  real engine state; every page is built before it. Printed for information.

"PNG saved" is when each program prints its "saved" line, right after writing the file (both
print before closing anything); "exited" adds interpreter shutdown. Both programs run with the
same environment and the same Qt defaults.

Each command runs REPEAT times, interleaved, after one warm-up run; medians are compared. The
profile is a fresh temporary one (its engine is not running), so the probes answer at once and
what is measured is the program, not the engine. Bytecode caching is on for both (an installed
program has its .pyc files; PYTHONDONTWRITEBYTECODE would make every run compile storeswitch
from source), with the cache in a temporary PYTHONPYCACHEPREFIX so the tree stays clean.

    .venv/bin/python benchmarks/gui_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE = (1280, 800)
BARE = f"""
import sys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QTabWidget
app = QApplication(sys.argv[:1])
tabs = QTabWidget()
tabs.addTab(QCheckBox("Use containerd for pulling and storing images"), "Experimental")
tabs.resize({SIZE[0]}, {SIZE[1]})
tabs.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
tabs.show()
app.sendPostedEvents()
ok = tabs.grab().save(sys.argv[1], "PNG")
print("saved", sys.argv[1], flush=True)
sys.exit(0 if ok else 1)
"""


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(seconds until the PNG was saved, seconds until the process exited)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    saved = time.perf_counter() - start
    proc.stdout.read()
    if proc.wait() != 0 or "saved" not in line:
        raise SystemExit(f"{cmd[0]} failed: {line!r}")
    return saved, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    gui = str(Path(sys.executable).with_name("storeswitch-gui"))
    with tempfile.TemporaryDirectory(prefix="ssw-bench-") as tmp:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STORESWITCH_PROFILE=str(Path(tmp) / "profile"),
                   DOCKER_CONFIG=str(Path(tmp) / "docker"), PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        png = str(Path(tmp) / "out.png")
        size = f"{SIZE[0]}x{SIZE[1]}"
        commands = {
            "bare PySide6 window": [sys.executable, "-c", BARE, png],
            "storeswitch-gui --screenshot --wait 0": [gui, "--screenshot", png, "--tab", "experimental", "--size", size, "--wait", "0"],
            "storeswitch-gui --screenshot": [gui, "--screenshot", png, "--tab", "experimental", "--size", size],
        }
        for cmd in commands.values():  # warm the file cache once
            run(cmd, env)
        saved: dict[str, list[float]] = {name: [] for name in commands}
        exited: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, cmd in commands.items():
                s, e = run(cmd, env)
                saved[name].append(s)
                exited[name].append(e)
    base_saved = statistics.median(saved["bare PySide6 window"])
    base_exit = statistics.median(exited["bare PySide6 window"])
    print(f"GUI startup, median of {args.repeat} runs each ({size}, offscreen, same run):")
    print(f"  {'':<40} {'PNG saved':>10} {'ratio':>6} {'exited':>9} {'ratio':>6}")
    for name in commands:
        ms, me = statistics.median(saved[name]), statistics.median(exited[name])
        print(f"  {name:<40} {ms * 1000:8.0f} ms {ms / base_saved:6.2f} {me * 1000:7.0f} ms {me / base_exit:6.2f}")
    first = statistics.median(saved["storeswitch-gui --screenshot --wait 0"]) / base_saved
    print(f"first paint ratio (PNG saved, storeswitch-gui --screenshot --wait 0 / bare window): {first:.2f}  (target <= 1.5)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
