"""``storeswitch engine {start,stop,status,install}``: the managed engine.

``start`` and ``stop`` hold the switch lock while they run, as a switch does: an engine started
in the middle of another storeswitch's switch would put a second dockerd on its data-root
(issue 13, point 10). A held lock ends the command at once with exit 3, like a second switch.
``stop`` stops dockerd and its containerd and removes the bind mount dockerd leaves on its
data-root; a switch restarts dockerd alone.
"""

from __future__ import annotations

import sys

from backend.engine.install import ENGINE_SUITE, SUITES, install_engine
from backend.errors import StoreswitchError
from backend.status import probe_engine


def add_parser(sub) -> None:
    p = sub.add_parser("engine", help="start, stop or install the managed engine")
    p.add_argument("action", choices=["start", "stop", "status", "install"])
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.add_argument("--suite", choices=list(SUITES), default=ENGINE_SUITE,
                   help="install: which Debian suite's engine (trixie: the managed engine; sid: 28.5.2; bookworm: 20.10.24)")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    target = ctx.target
    if args.action == "install":
        binaries = install_engine(log=lambda m: print(f"  {m}", file=sys.stderr), suite=args.suite)
        ctx.emit({"dockerd": str(binaries.dockerd), "source": binaries.source, "suite": args.suite},
                 f"dockerd ready: {binaries.dockerd}")
        return 0
    if not target.runs_engine_itself and args.action in ("start", "stop"):
        raise StoreswitchError(f"`engine {args.action}` controls the managed engine; the target is {target.name}")
    if args.action in ("start", "stop"):
        from backend.lock import under_lock

        # SwitchInProgress (exit 3) when a switch or another start/stop runs
        under_lock(ctx.profile, target.start if args.action == "start" else target.engine.stop)
    state = probe_engine(target)
    if state.reachable:
        human = f"engine running at {state.host}: Docker {state.version}, Driver {state.driver}"
    elif not state.installed:
        human = f"engine not installed: {state.install_message}"
    else:
        human = f"engine stopped ({state.host})"
    ctx.emit(state.as_dict(), human)
    return 0
