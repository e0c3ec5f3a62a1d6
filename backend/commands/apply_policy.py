"""``storeswitch apply-policy [--check] [--json] [--store S [--snapshotter NAME]] [--force]``.

Brings the engine to the administrator's policy (:mod:`backend.policy`) through the very
``storeswitch switch`` path: the policy gate, the known-issue preflight, the journaled
:class:`backend.switch.SwitchTransaction`. Idempotent: "unchanged" (``changed: false``) when the
engine is already there. ``--check`` changes nothing and says what would change and which known
issues would apply. ``--store`` (with ``--snapshotter``) gives the wanted state inline instead of
the policy file's (the Ansible module in ``contrib/ansible`` passes its parameters so); a locked
policy still refuses another store (exit 5).

JSON (for the Ansible module): ``changed``, ``check``, ``outcome`` (``switched`` / ``saved`` /
``unchanged`` / ``would-switch``), ``from_store``, ``to_store``, ``live_store``, ``driver``,
``message``, ``known_issues``, ``policy``; on a refusal ``error``, ``kind``, ``exit_code`` and
``live_store`` (the store that runs after the rollback).

Also home of :func:`policy_gate`, the one call ``storeswitch switch`` makes to the policy.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from backend.errors import StoreswitchError, SwitchError, SwitchInProgress
from backend.policy import Policy, PolicyRefused, PolicyState, load_policy, plan_apply, snapshotter_after, snapshotter_to_apply
from backend.stores import Store


def add_parser(sub) -> None:
    p = sub.add_parser("apply-policy", help="bring the engine to the administrator's policy (idempotent)")
    p.add_argument("--check", action="store_true", help="change nothing: say what would change and which known issues would apply")
    p.add_argument("--json", action="store_true", help="print the result as JSON (the Ansible module reads it)")
    p.add_argument("--store", choices=[s.value for s in Store], default=None,
                   help="the wanted store, instead of the policy file's (a locked policy still refuses another)")
    p.add_argument("--snapshotter", metavar="NAME", default=None, help="with --store containerd: the wanted snapshotter")
    p.add_argument("--force", action="store_true",
                   help="switch even when a blocker known issue applies (unless the policy sets allow_force = false)")
    p.set_defaults(run=run)


def policy_gate(ctx, to: Store, snapshotter: str | None) -> PolicyState:
    """Load the policy, warn about an ignored one, and raise :class:`PolicyRefused` (exit 5) when it refuses.

    A context that already holds the policy (``policy_state``: apply-policy's, which warned) is not read again.
    """
    state = getattr(ctx, "policy_state", None)
    if state is None:
        state = _loaded()
    state.enforce(to, snapshotter_after(ctx.target, to, snapshotter))
    return state


def _loaded() -> PolicyState:
    state = load_policy()
    if state.warning:
        print(f"storeswitch: warning: {state.warning}", file=sys.stderr)
    return state


def run(args, ctx) -> int:
    state = _loaded()
    wanted = _wanted(args, state)
    if isinstance(wanted, str):
        print(f"storeswitch: {wanted}", file=sys.stderr)
        if ctx.json:
            ctx.emit({"error": wanted, "kind": "NoPolicy", "exit_code": 1, "policy": state.as_dict()}, "")
        return 1
    to, snapshotter = wanted.store, snapshotter_to_apply(wanted, ctx.target)
    where = "the administrator's policy" if args.store is None else "--store"
    if args.check:
        state.enforce(to, snapshotter_after(ctx.target, to, snapshotter))
        return _check(ctx, state, to, snapshotter, where)
    from backend.commands import switch

    captured = _Captured(ctx.profile, ctx.target, ctx.json, ctx.recovered, state)
    switch_args = argparse.Namespace(store=to.value, snapshotter=snapshotter, force=args.force, no_restart=False, json=ctx.json)
    try:
        code = switch.run(switch_args, captured)
    except SwitchInProgress:
        raise  # exit 3, as for switch
    except SwitchError as exc:
        return _refused(ctx, exc, state, to)
    if code != 0 or captured.data is None:
        return code  # refused by a blocker known issue: the preflight printed why
    data = {**captured.data, "changed": captured.data["outcome"] != "unchanged", "check": False,
            "policy": state.as_dict(), "wanted_by": where}
    ctx.emit(data, f"Unchanged: {data['message']}." if not data["changed"] else captured.human)
    return 0


def _wanted(args, state: PolicyState) -> Policy | str:
    """The state to bring the engine to, or why there is none."""
    if args.snapshotter and args.store != Store.CONTAINERD.value:
        return "--snapshotter goes with --store containerd"
    if args.store is not None:
        p = state.policy
        if p is not None and p.locked and p.store.value == args.store and not args.snapshotter:
            return p  # the locked policy's own snapshotter rule
        return Policy(state.path, Store(args.store), snapshotter=args.snapshotter)
    if state.error is not None:
        raise PolicyRefused(state.refusal(Store.CLASSIC) or state.error)
    if state.policy is None:
        why = "it was ignored (see the warning above)" if state.warning else "there is none"
        return (f"no policy to apply: {state.path} {why}. Write one (see the README, \"Fleets\"), set "
                "STORESWITCH_POLICY=FILE, or give the store with --store")
    return state.policy


def _check(ctx, state: PolicyState, to: Store, snapshotter: str | None, where: str) -> int:
    from backend.known_issues import assess

    plan = plan_apply(ctx.target, to, snapshotter)
    issues = assess(ctx.target, ctx.profile, to)
    blockers = [ev.id for ev in issues.blockers] if plan.changes else []
    data: dict[str, Any] = {
        **plan.as_dict(), "changed": plan.changes, "check": True,
        "outcome": "would-switch" if plan.changes else "unchanged",
        "known_issues": [ev.as_dict() for ev in issues.shown], "blockers": blockers,
        "force_allowed": state.allow_force, "policy": state.as_dict(), "wanted_by": where,
    }
    if issues.catalog_error:
        data["known_issues_error"] = issues.unavailable_message
    human = [f"{'Would change' if plan.changes else 'Unchanged'}: {plan.reason} (wanted by {where})."]
    if issues.shown:
        from backend.commands.known_issues import issue_lines

        human.append(f"Known issues on the {to.title}:")
        for ev in issues.shown:
            human += ["  " + line for line in issue_lines(ev)]
    if blockers:
        human.append("A blocker applies: the switch would be refused "
                     + ("unless --force." if state.allow_force else "(the policy does not allow --force)."))
    ctx.emit(data, human)
    return 0


def _refused(ctx, exc: SwitchError, state: PolicyState, to: Store) -> int:
    """The engine refused the new config (nothing changed, or rolled back): say so with what runs now."""
    from backend.stores import running_store

    try:
        live = running_store(ctx.target)
    except StoreswitchError:
        live = None
    running = live.value if live is not None else None
    if ctx.json:
        ctx.emit({"error": str(exc), "kind": type(exc).__name__, "exit_code": 1, "changed": False, "check": False,
                  "to_store": to.value, "live_store": running, "policy": state.as_dict()}, "")
    print(f"storeswitch: {exc}", file=sys.stderr)
    return 1


class _Captured:
    """A command context that keeps what ``switch`` emits, so apply-policy adds its fields and prints once."""

    def __init__(self, profile, target, json: bool, recovered: str | None, policy_state: PolicyState) -> None:
        self.profile, self.target, self.json, self.recovered = profile, target, json, recovered
        self.policy_state = policy_state
        self.data: dict[str, Any] | None = None
        self.human: list[str] | str = ""

    def emit(self, data: dict[str, Any], human: list[str] | str) -> None:
        self.data, self.human = data, human
