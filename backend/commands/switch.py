"""``storeswitch switch {classic,containerd} [--no-restart] [--json]``."""

from __future__ import annotations

import sys

from backend.stores import Store
from backend.switch import SwitchTransaction


def add_parser(sub) -> None:
    p = sub.add_parser("switch", help="switch the engine to the classic or the containerd image store")
    p.add_argument("store", choices=[s.value for s in Store], help="the image store to switch to")
    p.add_argument("--no-restart", action="store_true",
                   help="only save the choice in daemon.json; it takes effect at the next engine start")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    def progress(step: str, message: str) -> None:
        if not ctx.json:
            print(f"  {message}", file=sys.stderr)

    result = SwitchTransaction(ctx.target, ctx.profile).run(Store(args.store), restart=not args.no_restart, progress=progress)
    ctx.emit(result.as_dict(), result.message[0].upper() + result.message[1:])
    return 0
