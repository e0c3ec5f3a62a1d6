"""``storeswitch gui``: open the settings window (the same as ``storeswitch-gui``).

The window's own options are declared here too (plain argparse, no Qt), so that
``storeswitch gui --screenshot FILE.png --tab experimental`` works like ``storeswitch-gui``.
"""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("gui", help="open the settings window")
    p.add_argument("--screenshot", metavar="FILE.png", help="render the window once into FILE.png and exit (no display needed)")
    p.add_argument("--tab", metavar="NAME", help="the tab to show: general, docker-engine, kubernetes, experimental, troubleshoot")
    p.add_argument("--size", metavar="WxH", help="window size, e.g. 1280x800")
    p.add_argument("--wait", metavar="SECONDS", help="with --screenshot: wait up to SECONDS for the first engine checks")
    p.add_argument("gui_args", nargs="*", help="further arguments for storeswitch-gui (after --)")
    p.set_defaults(run=run, recover=False)


def run(args, ctx) -> int:
    from gui.app import main as gui_main

    argv = [*args.gui_args]
    for option in ("screenshot", "tab", "size", "wait"):
        value = getattr(args, option, None)
        if value is not None:
            argv += [f"--{option}", str(value)]
    if args.profile:
        argv += ["--profile", args.profile]
    if args.target:
        argv += ["--target", args.target]
    if args.dockerd:
        argv += ["--dockerd", args.dockerd]
    return gui_main(argv)
