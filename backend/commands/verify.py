"""``storeswitch verify [--json]``: prove by use that the running engine's store works.

Stores and removes a tiny image (the same probe every switch runs before it declares success).
Exit 0 when it works, 1 when it does not (the engine's own message is printed).
"""

from __future__ import annotations

from backend.verify import verify_engine


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="check by use that the running engine can store and remove an image")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    report = verify_engine(ctx.target)
    human = ("ok: " if report.ok else "FAILED: ") + report.message
    ctx.emit(report.as_dict(), human)
    return 0 if report.ok else 1
