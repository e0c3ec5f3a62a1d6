"""``storeswitch snapshotters [--json] [NAME...]``: which snapshotters this engine can use, and why.

Lists the offered choices (overlayfs, native, stargz, nydus), the builtins that depend on the
file system, the proxy plugins in containerd's config and any NAME given, each as available,
unavailable or depends, with the reason. Read-only.
"""

from __future__ import annotations

from backend.errors import EngineError
from backend.snapshotters import check_name, describe, snapshotter_report


def add_parser(sub) -> None:
    p = sub.add_parser("snapshotters", help="list the containerd snapshotters available on this engine, and why")
    p.add_argument("names", nargs="*", metavar="NAME", help="also place these snapshotter names")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    extra = [check_name(n) for n in args.names]
    info = None
    try:
        with ctx.target.client(timeout=5) as client:
            info = client.info()
    except EngineError:
        pass  # a stopped engine still has a config to read; the report says what it could not ask
    report = snapshotter_report(ctx.target, info, extra)
    ctx.emit(report.as_dict(), describe(report))
    return 0
