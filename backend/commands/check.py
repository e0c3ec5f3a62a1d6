"""``storeswitch check multiplatform [--json]``: checks of what the live store can do.

``multiplatform`` loads a generated two-platform OCI image (linux/amd64, linux/arm64) into the
running engine, exports it again and says whether both platforms were kept:
"multi-platform images: supported / not supported on the current store". The test image is
always removed. Exit 0 either way (the answer is the output); 1 when the engine cannot be
reached or the test image could not be removed.
"""

from __future__ import annotations

from backend.multiplatform import describe, run_check

CHECKS = ("multiplatform",)


def add_parser(sub) -> None:
    p = sub.add_parser("check", help="check what the live image store can do (multiplatform)")
    p.add_argument("check", choices=CHECKS, help="multiplatform: are multi-platform images kept whole?")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    result = run_check(ctx.target)
    ctx.emit(result.as_dict(), describe(result))
    return 1 if result.leftover else 0
