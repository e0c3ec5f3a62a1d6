"""``storeswitch reclaim [--dry-run] [--unused | --all | IMAGE…] [--json] [--remove-container NAME] [--yes]``.

Removes images of the hidden store (:mod:`backend.reclaim`). ``--dry-run`` reads the hidden
store from disk and lists what would be removed and the bytes it would free, with no restart. A
real run prints what it does (running containers stop twice) and, on a terminal, asks first
(``--yes`` does not ask); it reports the bytes freed, measured on disk before and after. Exit
codes: 0 done; 1 refused or failed (the message says why and that the engine is on the store
that was live); 2 bad usage; 3 another switch or reclaim runs; 130 interrupted (the engine was
brought back to the live store first).
"""

from __future__ import annotations

import sys


def add_parser(sub) -> None:
    p = sub.add_parser("reclaim", help="remove images of the hidden store (the one not running) to free disk space")
    p.add_argument("images", nargs="*", metavar="IMAGE", help="images of the hidden store to remove (name[:tag] or ID)")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--unused", action="store_true", help="every image no container uses (the default)")
    which.add_argument("--all", action="store_true",
                       help="every image; one a container uses only with that container named by --remove-container")
    p.add_argument("--remove-container", action="append", default=[], metavar="NAME",
                   help="also remove this container of the hidden store (first), so its image can go")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed and the bytes freed; no restart")
    p.add_argument("--yes", action="store_true", help="do not ask before restarting the engine")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def _usage(message: str) -> int:
    print(f"storeswitch reclaim: {message}", file=sys.stderr)
    return 2


def run(args, ctx) -> int:
    from backend.reclaim import Reclaim, Selection, confirmation_lines, plan_reclaim

    if args.images and (args.unused or args.all):
        return _usage("name images, or give --unused or --all, not both")
    mode = "images" if args.images else ("all" if args.all else "unused")
    if args.remove_container and mode == "unused":
        return _usage("--unused never removes containers: use --all or name the images with --remove-container")
    selection = Selection(mode, list(args.images), list(args.remove_container))
    if args.dry_run:
        plan = plan_reclaim(ctx.target, selection)
        from backend.reclaim import ReclaimResult

        result = ReclaimResult(plan, True, None)
        ctx.emit(result.as_dict(), describe_plan(plan, dry_run=True))
        return 0
    op = Reclaim(ctx.target, ctx.profile)
    plan = plan_reclaim(ctx.target, selection)
    if plan.removing or plan.containers:
        from backend.running_containers import running_containers

        lines = confirmation_lines(plan, running_containers(ctx.target))
        if not ctx.json:
            print("\n".join(describe_plan(plan, dry_run=True)), file=sys.stderr)
        print("\n".join(f"  {line}" for line in lines), file=sys.stderr)
        if not args.yes and sys.stdin.isatty() and not ctx.json:
            if input("Go on? [y/N] ").strip().lower() not in ("y", "yes"):
                print("storeswitch: nothing was changed", file=sys.stderr)
                return 1

    def progress(step: str, message: str) -> None:
        if not ctx.json and step != "done":  # the result is printed below
            print(f"  {message}", file=sys.stderr)

    from backend.interrupts import deferred

    with deferred(op.interrupt, lambda: f"at step '{op.step}'") as signals:
        result = op.run(selection, progress)
    data = result.as_dict()
    if signals:
        data["interrupted"] = True
    ctx.emit(data, describe_result(result))
    return 130 if signals else 0


def describe_plan(plan, dry_run: bool) -> list[str]:
    from backend.inspect.model import human_bytes, plural

    verb = "would remove" if dry_run else "removes"
    lines = [f"The {plan.hidden.title} (hidden; the engine runs the {plan.live.title}): reclaim {verb} "
             f"{plural(len(plan.removing), 'image')}, freeing about {human_bytes(plan.bytes_estimated)}."]
    for image in plan.images:
        mark = "remove" if image.removed else "keep  "
        why = "" if image.removed else f"  ({image.reason})"
        lines.append(f"  {mark}  {image.name or '<untagged>'}  {image.id.removeprefix('sha256:')[:12]}  "
                     f"{human_bytes(image.bytes)}{why}")
    for c in plan.containers:
        lines.append(f"  remove container {c['name']} ({c['state']})")
    for kept in plan.kept_in_use:
        names = " ".join(f"--remove-container {c}" for c in kept["containers"])
        lines.append(f"  {kept['name'] or kept['id'][:19]} stays: a container uses it (to remove both: "
                     f"storeswitch reclaim {kept['name'] or kept['id']} {names})")
    if not plan.images:
        lines.append("  (no images)")
    lines.extend(f"  note: {e}" for e in plan.errors)
    return lines


def describe_result(result) -> str:
    text = result.message[0].upper() + result.message[1:] + "."
    for f in result.failed:
        text += f"\n  not removed: {f['name'] or f['id'][:19]}: {f['error']}"
    return text
