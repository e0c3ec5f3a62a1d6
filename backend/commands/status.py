"""``storeswitch status [--json]``: configured vs live store, engine, both stores' roots, the administrator's policy,
and the hidden store's images (``hidden_store``: a cheap count, :mod:`backend.hidden_store`)."""

from __future__ import annotations

from backend.status import describe, gather_status


def add_parser(sub) -> None:
    p = sub.add_parser("status", help="show the configured and the live image store")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    from backend.hidden_store import quick_summary
    from backend.policy import describe_policy, load_policy

    status = gather_status(ctx.target, ctx.profile, ctx.recovered)
    policy = load_policy()
    hidden = quick_summary(ctx.target, status.engine.info if status.engine.reachable else None, status.configured_store)
    lines = describe(status) + ([f"hidden store: {hidden['notice']}"] if hidden and hidden["notice"] else [])
    ctx.emit({**status.as_dict(), "policy": policy.as_dict(), "hidden_store": hidden}, lines + describe_policy(policy))
    return 0
