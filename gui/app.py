"""``storeswitch-gui``: the settings window, its screenshot mode, and the QA entry point.

``create_window(argv)`` builds the window from the same arguments as the command line
(``--profile``, ``--target``, ``--dockerd``) without starting an event loop; QA automation and the
tests drive it through objectNames (listed in the README). ``--screenshot FILE.png [--tab NAME]
[--size WxH]`` renders the window once, saves it and exits; it needs no display.

First paint never waits for the engine: the status probe, the recovery of a killed switch and
the known-issue checks run off the GUI thread and fill the window in when they answer. Nor does
it wait for target detection (``--target auto`` pings the system and rootless sockets) beyond
``DETECT_WAIT``: that runs on a thread, and the window is built on its answer when it came in time
(it does, unless a socket hangs); otherwise on a stand-in, replaced when it comes. Qt loads after
that wait, not during it: both are Python work under one GIL, and run side by side they slowed
each other down (first paint later than one after the other: docs/performance.md). For
``--screenshot``, which has only one paint, the program waits for those first checks up to
``--wait`` seconds (default 5) so the picture shows the real state, and paints what it has when
the time is up ("Checking the engine…"); ``--wait 0`` renders the very first paint.

``main`` builds the window lazily (what ``create_window(argv, lazy=True)`` does): the page it opens on
before the first paint, the other pages and the first checks right after it (see
:mod:`gui.window`). ``create_window(argv)``, the QA entry point, builds everything at once.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path

from backend.global_options import add_global_options

SIZE_DEFAULT = (1280, 800)
DETECT_WAIT = 0.25  # seconds create_window waits for target detection before building on a stand-in


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 1280x800") from None
    if w < 400 or h < 300:
        raise argparse.ArgumentTypeError(f"{text!r} is too small; the window needs at least 400x300")
    return w, h


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="storeswitch-gui",
        description="Open storeswitch's settings window: switch a Docker Engine between the classic "
        "and the containerd image store.",
    )
    add_global_options(parser)
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window once into FILE.png and exit (no display needed)")
    parser.add_argument("--tab", metavar="NAME", help="the tab to show: general, docker-engine, kubernetes, experimental, troubleshoot")
    parser.add_argument("--size", metavar="WxH", type=_size, help="window size, e.g. 1280x800 (--screenshot default: 1280x800)")
    parser.add_argument("--wait", metavar="SECONDS", type=float, default=5.0,
                        help="with --screenshot: wait up to SECONDS for the first engine checks (default 5; 0 = first paint)")
    return parser


def no_display_reason() -> str | None:
    """Why a window cannot open here, or None. Checked before Qt, which would abort instead."""
    platform = os.environ.get("QT_QPA_PLATFORM", "")
    if not sys.platform.startswith("linux") or platform.split(":")[0] in ("offscreen", "minimal", "vnc", "eglfs", "linuxfb"):
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return None
    return (
        "no display: neither DISPLAY nor WAYLAND_DISPLAY is set, so the settings window cannot open here.\n"
        "  - run it inside a desktop session (or over `ssh -X`), or\n"
        "  - use the command line: `storeswitch status`, `storeswitch switch containerd`, or\n"
        "  - render the window to an image: `storeswitch-gui --screenshot window.png [--tab experimental]`"
    )


def application():
    """The QApplication (created once; tests' pytest-qt app is reused)."""
    from PySide6.QtWidgets import QApplication

    from gui.theme import FUSION_PROPERTY

    app = QApplication.instance()
    if app is None:
        # Fusion from the start (Qt's own "-style" argument): asking the application for its
        # style later would slow first paint (PySide builds the QStyle class on first use).
        app = QApplication([sys.argv[0] if sys.argv else "storeswitch-gui", "-style", "Fusion"])
        app.setProperty(FUSION_PROPERTY, True)
        app.setApplicationName("storeswitch")
        app.setDesktopFileName("storeswitch")
        app.setOrganizationName("storeswitch")
    from gui.collector import install

    install(app)  # once per process, also for an application made by a test harness
    return app


def create_window(argv: list[str] | None = None, *, lazy: bool = False):
    """Build the settings window from command-line arguments, without an event loop.

    Raises ``SystemExit(2)`` on bad arguments (argparse), ``ValueError`` for an unknown ``--tab``
    and ``StoreswitchError`` for a target that cannot be chosen. Every page exists when it
    returns; with *lazy* (``main`` uses it) only the ``--tab`` page does, the others are built
    after the window's first paint (see :mod:`gui.window`).
    """
    return _window_for(build_parser().parse_args(list(argv or [])), lazy)


def _window_for(args: argparse.Namespace, lazy: bool):
    """:func:`create_window` for arguments already parsed (``main`` parses them once for both)."""
    from backend.profile import Profile

    profile = Profile.resolve(args.profile)
    # From here another thread runs, and application() hands collection to gui.collector (on the
    # GUI thread only): no automatic collection in between either, on whichever thread allocates.
    # (Startup allocates a lot; the collections it set off slow first paint.)
    gc.disable()
    detection = _detect_in_background(args.target, profile, args.dockerd)
    detected = detection.done.wait(DETECT_WAIT)  # before Qt loads: see the module docstring
    application()
    from gui.window import SettingsWindow

    if detected:
        target, detection = detection.result(), None
    else:
        from backend.targets.managed import ManagedTarget

        target = ManagedTarget(profile, args.dockerd, reason="auto: looking for engines on this machine…")
    window = SettingsWindow(target, profile, dockerd=args.dockerd, choice=chosen_name(args.target, profile),
                            detection=detection, tab=args.tab, lazy=lazy)
    if args.size:
        window.resize(*args.size)
    return window


class Detection:
    """``choose_target`` running on a daemon thread (it may ping sockets): its answer, or its error.

    A few lines instead of ``concurrent.futures``, whose import alone slows first paint.
    """

    def __init__(self, name: str | None, profile, dockerd: str | None) -> None:
        self.done = threading.Event()
        self._target = None
        self._error: BaseException | None = None
        threading.Thread(target=self._run, args=(name, profile, dockerd), name="storeswitch-detect", daemon=True).start()

    def _run(self, name: str | None, profile, dockerd: str | None) -> None:
        from backend.targets.detect import choose_target

        try:
            self._target = choose_target(name, profile, dockerd)
        except BaseException as exc:  # handed to the caller, as choose_target would raise it
            self._error = exc
        finally:
            self.done.set()

    def result(self):
        """The target (waiting for it); raises what ``choose_target`` raised."""
        self.done.wait()
        if self._error is not None:
            raise self._error
        return self._target


def _detect_in_background(name: str | None, profile, dockerd: str | None) -> Detection:
    return Detection(name, profile, dockerd)


def chosen_name(name: str | None, profile) -> str:
    """The target as the user chose it, for the General tab: --target, STORESWITCH_TARGET, the saved one, or auto."""
    from backend.targets.detect import TARGET_NAMES, user_choice

    name = user_choice(name, profile)[0]
    return name if name in TARGET_NAMES else "auto"


def save_screenshot(window, path: Path, wait: float) -> int:
    """Show *window* off screen, let the first checks finish (bounded), grab it into *path*."""
    from PySide6.QtCore import Qt

    app = application()
    # --wait 0 pictures the first frame, the one a user sees first: the lazy window builds its
    # other pages only after it (gui.window), so they are not built before this grab either.
    window.hold_startup = wait <= 0
    window.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
    window.show()
    app.sendPostedEvents()  # layout and polish; timers (the first engine checks) wait for the loop
    if wait > 0:
        from PySide6.QtCore import QEventLoop, QTimer

        deadline = time.monotonic() + wait
        loop = QEventLoop()
        poll = QTimer()
        poll.setInterval(15)
        poll.timeout.connect(lambda: (window.is_settled() or time.monotonic() >= deadline) and loop.quit())
        poll.start()
        loop.exec()
        poll.stop()
    # A text set by the last check posts a layout request, whose resize posts the next one (labels
    # that wrap, inside the scroll area): let the chain run out, or the grab shows rows squeezed.
    for _ in range(4):
        app.sendPostedEvents()
        app.processEvents()
    image = window.grab()
    path.parent.mkdir(parents=True, exist_ok=True)
    ok = image.save(str(path), "PNG")
    if ok:  # said as soon as the file is there (the benchmark times this line), then the window closes
        print(f"storeswitch-gui: saved {path} ({image.width()}x{image.height()})", flush=True)
    else:
        print(f"storeswitch-gui: could not write {path}; check that its folder is writable", file=sys.stderr)
    window.close()
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.screenshot:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        args.size = args.size or SIZE_DEFAULT
    elif reason := no_display_reason():
        print(f"storeswitch-gui: {reason}", file=sys.stderr)
        return 1
    else:
        from gui.platform_check import xcb_problem  # Qt would abort inside QApplication instead

        if problem := xcb_problem():
            print(f"storeswitch-gui: {problem}", file=sys.stderr)
            return 1
    from backend.errors import StoreswitchError

    try:
        # Lazy (only the shown page before the first paint) unless a screenshot waits for the
        # first checks: that one has a single paint, after every page exists anyway.
        window = _window_for(args, lazy=not (args.screenshot and args.wait > 0))
    except (StoreswitchError, ValueError) as exc:
        print(f"storeswitch-gui: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, ValueError) else 1
    app = application()
    if args.screenshot:
        return save_screenshot(window, Path(args.screenshot), args.wait)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
