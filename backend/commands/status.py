"""``storeswitch status [--json]``: configured vs live store, engine, both stores' roots, the administrator's policy."""

from __future__ import annotations

from backend.status import describe, gather_status


def add_parser(sub) -> None:
    p = sub.add_parser("status", help="show the configured and the live image store")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    from backend.policy import describe_policy, load_policy

    status = gather_status(ctx.target, ctx.profile, ctx.recovered)
    policy = load_policy()
    ctx.emit({**status.as_dict(), "policy": policy.as_dict()}, describe(status) + describe_policy(policy))
    return 0
