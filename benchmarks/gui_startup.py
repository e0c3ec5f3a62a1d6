"""Startup of ``storeswitch-gui --screenshot`` against a bare PySide6 window, same run, same way.

The baseline is the least a PySide6 program can do to put a window on screen: start Python,
import QtWidgets, build one QTabWidget with one QCheckBox, render it at the same size, save the
PNG, exit. storeswitch's figure is the whole ``storeswitch-gui --screenshot`` process for the
Experimental tab, in two forms:

- ``--wait 0``: the first paint, i.e. what a user sees as the window appears (the engine probe,
  recovery and known-issue checks run off the GUI thread and must not delay it). Target ratio <= 1.3.
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
from typing import NamedTuple

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


TARGET = 1.3


class Run(NamedTuple):
    saved: float  # seconds until the PNG was saved
    exited: float  # seconds until the process exited
    cpu: float  # user + system seconds of the whole process
    peak_kib: int  # peak resident memory (ru_maxrss, KiB)


def run(cmd: list[str], env: dict[str, str]) -> Run:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    saved = time.perf_counter() - start
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # the process's own rusage, which Popen.wait() does not give
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0 or "saved" not in line:
        raise SystemExit(f"{cmd[0]} failed: {line!r}")
    return Run(saved, time.perf_counter() - start, usage.ru_utime + usage.ru_stime, usage.ru_maxrss)


def spread(values: list[float], scale: float = 1000.0, unit: str = "ms") -> str:
    """``median (min-max)`` of *values* times *scale*."""
    return f"{statistics.median(values) * scale:6.0f} {unit} ({min(values) * scale:.0f}-{max(values) * scale:.0f})"


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
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, cmd in commands.items():  # interleaved, so drift hits every command alike
                runs[name].append(run(cmd, env))

    def med(name: str, field: str) -> float:
        return statistics.median(getattr(r, field) for r in runs[name])

    base = "bare PySide6 window"
    print(f"GUI startup, median (lowest-highest) of {args.repeat} runs each ({size}, offscreen, same run):")
    print(f"  {'':<38} {'PNG saved':>20} {'ratio':>6} {'exited':>20} {'CPU time':>20} {'ratio':>6} {'peak memory':>22} {'ratio':>6}")
    for name in commands:
        rs = runs[name]
        print(f"  {name:<38} {spread([r.saved for r in rs]):>20} {med(name, 'saved') / med(base, 'saved'):6.2f} "
              f"{spread([r.exited for r in rs]):>20} {spread([r.cpu for r in rs]):>20} {med(name, 'cpu') / med(base, 'cpu'):6.2f} "
              f"{spread([float(r.peak_kib) for r in rs], 1 / 1024, 'MiB'):>22} {med(name, 'peak_kib') / med(base, 'peak_kib'):6.2f}")
    first = "storeswitch-gui --screenshot --wait 0"
    ratio = med(first, "saved") / med(base, "saved")
    ratios = sorted(a.saved / b.saved for a, b in zip(runs[first], runs[base]))
    print(f"first paint ratio (PNG saved, {first} / bare window): {ratio:.2f}  (target <= {TARGET}: "
          f"{'met' if ratio <= TARGET else 'NOT met'}); per round {ratios[0]:.2f}-{ratios[-1]:.2f}; "
          f"CPU time {med(first, 'cpu') / med(base, 'cpu'):.2f}; "
          f"peak memory {med(first, 'peak_kib') / med(base, 'peak_kib'):.2f}x the bare window's")
    return 0


if __name__ == "__main__":
    sys.exit(main())
