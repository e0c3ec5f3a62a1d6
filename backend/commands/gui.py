"""``storeswitch gui``: open the settings window (the same as ``storeswitch-gui``)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("gui", help="open the settings window")
    p.add_argument("gui_args", nargs="*", help="arguments for storeswitch-gui (e.g. --screenshot FILE)")
    p.set_defaults(run=run, recover=False)


def run(args, ctx) -> int:
    from gui.app import main as gui_main

    argv = [*args.gui_args]
    if args.profile:
        argv += ["--profile", args.profile]
    if args.target:
        argv += ["--target", args.target]
    if args.dockerd:
        argv += ["--dockerd", args.dockerd]
    return gui_main(argv)
