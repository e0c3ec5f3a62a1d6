"""``storeswitch switch {classic,containerd} [--no-restart] [--json] [--force]``.

Before switching, the known issues that will apply are printed; a blocker refuses the switch
(exit 4) unless ``--force``, and so does (exit 6) a catalog that cannot be loaded, or daemon.json
edits the running engine never started with. The administrator's policy (:mod:`backend.policy`)
may refuse it (exit 5). The running containers the restart will stop are
named with their restart policies. SIGINT/SIGTERM during the switch end it safely
(:mod:`backend.interrupts`): rolled back before the engine stops, finished after; exit 130.

``--bring IMAGE`` (repeatable) and ``--bring-all`` copy images of the store left into the new one
(:mod:`backend.bring`); ``--platform`` picks the platform a multi-platform image is brought as from
the containerd store to the classic one. Images that cannot be brought are refused before anything
changes (exit 1, naming them); the JSON result lists ``brought`` (name, tags, size, verified).
"""

from __future__ import annotations

import sys
import time

from backend.stores import Store


def add_parser(sub) -> None:
    p = sub.add_parser("switch", help="switch the engine to the classic or the containerd image store")
    p.add_argument("store", choices=[s.value for s in Store], help="the image store to switch to")
    p.add_argument("--no-restart", action="store_true",
                   help="only save the choice in daemon.json; it takes effect at the next engine start")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--force", action="store_true",
                   help="switch even when a blocker known issue applies, the known-issue catalog cannot be loaded, "
                        "or daemon.json holds edits the running engine never started with")
    p.add_argument("--snapshotter", metavar="NAME", default=None,
                   help="containerd store only: the snapshotter (daemon.json storage-driver): overlayfs (default), "
                        "native, stargz, nydus, or another name; `storeswitch snapshotters` lists what this engine has")
    p.add_argument("--bring", metavar="IMAGE", action="append", default=[],
                   help="copy this image of the current store into the new one (repeat for more); the current store keeps it")
    p.add_argument("--bring-all", action="store_true", help="copy every tagged image of the current store into the new one")
    p.add_argument("--platform", metavar="OS/ARCH", default=None,
                   help="containerd to classic: the platform a multi-platform image is brought as (default: the engine's own)")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    # Imported here: this module is loaded to build the parser, and the sooner run() gets to
    # prepare() (dockerd --validate, a subprocess), the more of the loading runs beside it.
    from backend.interrupts import deferred
    from backend.switch import SwitchTransaction

    last_bytes = [0.0]

    def progress(step: str, message: str) -> None:
        if ctx.json:
            return
        if step == "bring" and message.endswith("…") and " of " in message:  # bytes moved: one line a second
            now = time.monotonic()
            if now - last_bytes[0] < 1.0:
                return
            last_bytes[0] = now
        print(f"  {message}", file=sys.stderr)

    if args.snapshotter and args.store != Store.CONTAINERD.value:
        print("storeswitch: --snapshotter applies to the containerd store only", file=sys.stderr)
        return 2
    bring, usage = bring_request(args)
    if usage:
        print(f"storeswitch: {usage}", file=sys.stderr)
        return 2
    from backend.commands.apply_policy import policy_gate

    policy = policy_gate(ctx, Store(args.store), args.snapshotter)  # exit 5 when the administrator's policy refuses
    tx = SwitchTransaction(ctx.target, ctx.profile)
    # A second switch says so at once, before any preflight output. The lock is then kept until
    # the switch ends, so the live store the known-issue check reads is as current as the one
    # the switch would read itself, and the switch uses it instead of asking the engine again.
    tx.check_not_busy(hold=True)
    try:
        if not args.no_restart:
            tx.prepare(Store(args.store), args.snapshotter)  # the engine checks the config during the preflight
        planner = getattr(ctx.target.read_config(), "storage_driver_plan", None)  # daemon.json only
        note = planner(Store(args.store), args.snapshotter).note if callable(planner) else None
        if note and not ctx.json:
            print(f"  note: {note}", file=sys.stderr)
        from backend.commands import known_issues

        seen: dict = {}
        issues, refused = known_issues.preflight(ctx, Store(args.store), args.force, facts_out=seen,
                                                 force_refusal=policy.force_refusal())
        if refused is not None:
            return refused
        running = seen.get("live_store")
        if not args.no_restart and isinstance(running, str) and not ctx.json and (running != args.store or args.snapshotter):
            from backend.running_containers import describe, running_containers

            for line in describe(running_containers(ctx.target), Store(args.store).title):
                print(f"  {line}", file=sys.stderr)
        with deferred(tx.interrupt, lambda: f"at step '{tx.step}'") as signals:
            result = tx.run(
                Store(args.store), restart=not args.no_restart, progress=progress, snapshotter=args.snapshotter,
                running=Store(running) if isinstance(running, str) else None, force=args.force, bring=bring,
            )
    finally:
        tx.release()
    if signals:
        from backend.errors import SwitchInterrupted

        raise SwitchInterrupted(f"interrupted, but the switch had stopped the engine, so it finished first: {result.message}")
    human = result.message[0].upper() + result.message[1:] + (f" (Driver {result.driver})" if result.driver else "")
    channel = getattr(ctx.target, "last_channel", None)  # Docker Desktop: its settings API, or its file
    human += f"\nThe setting went to {channel}." if channel else ""
    for b in result.brought:
        human += f"\n  brought {b.name}: {'verified' if b.verified else 'NOT verified: ' + b.problem}"
    ctx.emit({**result.as_dict(), **issues, "storage_driver_note": note, "settings_channel": channel}, human)
    return 1 if result.bring_problem else 0


def bring_request(args):
    """The ``--bring`` / ``--bring-all`` / ``--platform`` choice, or a usage error (exit 2).

    Read with defaults: ``apply-policy`` runs this command with arguments of its own, which bring nothing."""
    names, every, platform = getattr(args, "bring", None) or [], getattr(args, "bring_all", False), getattr(args, "platform", None)
    if not (names or every):
        return None, ("--platform applies only with --bring or --bring-all" if platform else "")
    if args.no_restart:
        return None, "--bring needs a restart (the images are imported into the new store): drop --no-restart"
    if platform:
        if args.store != Store.CLASSIC.value:
            return None, "--platform applies to a switch to the classic store (the containerd store keeps every platform)"
        from backend.oci_archive import split_platform

        try:
            split_platform(platform)
        except ValueError as exc:
            return None, str(exc)
    from backend.bring import BringRequest

    return BringRequest(list(names), every, platform), ""
