"""``storeswitch known-issues [--json] [--all] [--store {classic,containerd}]``.

Lists the containerd image store's known issues that apply (``yes``) or may apply (``maybe``)
to this machine for a store (default: the one the config names now); ``--all`` adds those that
do not apply. JSON lists, per issue, ``id``, ``severity``, ``applies`` and ``facts_used``, so
support staff can see why. Also home of the printing that ``switch`` does before switching
(:func:`preflight`): the decisions live in :mod:`backend.known_issues`.
"""

from __future__ import annotations

import sys
from typing import Any

from backend.known_issues import assess
from backend.known_issues.assessment import Assessment
from backend.known_issues.catalog import safe_text
from backend.known_issues.evaluate import APPLIES_WORDS, Evaluation
from backend.stores import Store

SEVERITY_MARK = {"blocker": "[blocker]", "warning": "[warning]", "info": "[info]   "}


def add_parser(sub) -> None:
    p = sub.add_parser("known-issues", help="list the containerd image store's known issues that apply to this machine")
    p.add_argument("--json", action="store_true", help="print JSON for tools (id, severity, applies, facts_used)")
    p.add_argument("--all", action="store_true", help="also list the issues that do not apply")
    p.add_argument("--store", choices=[s.value for s in Store], default=None,
                   help="check for this store (default: the store the engine's config names now)")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    result = assess(ctx.target, ctx.profile, args.store)
    data = result.as_dict(include_all=args.all)
    if result.catalog_error:
        print(f"storeswitch: {safe_text(result.unavailable_message)}", file=sys.stderr)
        if ctx.json:
            ctx.emit(data, "")
        return 1
    ctx.emit(data, describe(result, args.all))
    return 0


def describe(result: Assessment, include_all: bool = False) -> list[str]:
    store = f"the {Store(result.store_after).title}" if result.store_after else "an unknown store (the config could not be read)"
    counts = {word: sum(1 for ev in result.evaluations if ev.applies == word) for word in ("yes", "maybe", "no")}
    lines = [
        f"Known issues for {store} on this machine: {counts['yes']} apply, {counts['maybe']} may apply, "
        f"{counts['no']} do not" + ("" if include_all or not counts["no"] else " (--all lists them)") + "."
    ]
    if result.settings_error:
        lines.append(f"  (settings could not be read, Kubernetes is unknown: {result.settings_error})")
    chosen = result.evaluations if include_all else result.shown
    for ev in chosen:
        lines += [""] + issue_lines(ev, detailed=True)
    return lines


def issue_lines(ev: Evaluation, detailed: bool = False) -> list[str]:
    i = ev.issue  # catalog text is data: control characters are shown escaped, never sent to the terminal
    lines = [f"{SEVERITY_MARK[i.severity]} {i.id} ({APPLIES_WORDS[ev.applies]}): {safe_text(i.title)}"]
    if detailed:
        lines.append(f"    you will see: {safe_text(i.symptom)}")
    lines.append(f"    workaround:   {safe_text(i.workaround)}")
    lines.append(f"    more:         {safe_text(i.link)}")
    if detailed:
        lines.append(f"    because:      {facts_text(ev.facts_used)}")
    return lines


def facts_text(facts_used: dict[str, Any]) -> str:
    def show(value: Any) -> str:
        if value is None:
            return "not set"
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, list):
            return ", ".join(map(str, value)) if value else "none"
        return str(value)

    return "; ".join(f"{name} = {show(value)}" for name, value in facts_used.items())


# --- used by `storeswitch switch` ---------------------------------------------------------------
def preflight(ctx, to: Store, force: bool, facts_out: dict[str, Any] | None = None,
              force_refusal: str | None = None) -> tuple[dict[str, Any], int | None]:
    """Print the issues that will apply after switching to *to*; refuse a blocker unless *force*.

    Returns the JSON part for the switch's output and, when refused, the exit code. A catalog that
    cannot be loaded refuses the switch too (exit 6) unless *force*: its blockers could not be
    enforced otherwise. A switch that changes nothing (the config
    and the running engine are already on *to*) is never refused. *facts_out*, when given, gets
    the facts the check learned (``live_store``: ``"classic"``, ``"containerd"``, or
    :data:`backend.known_issues.UNKNOWN` when the engine did not answer). *force_refusal*: why the
    administrator's policy does not let *force* override a blocker (refused with exit 5 then).
    """
    from backend.gate import already_on, known_issue_refusal

    result = assess(ctx.target, ctx.profile, to, needed_only=True)
    if facts_out is not None:
        facts_out.update(result.facts)
    part: dict[str, Any] = {"known_issues": [ev.as_dict() for ev in result.shown]}
    if result.catalog_error:
        part["known_issues_error"] = result.unavailable_message
    elif result.shown and not ctx.json:
        print(f"Known issues after the switch to the {to.title}:")
        for ev in result.shown:
            print("  " + "\n  ".join(issue_lines(ev)))
    unchanged = lambda: already_on(ctx.target, to)  # noqa: E731 - asked only when the answer matters
    refusal = known_issue_refusal(to, result.evaluations, force=force, unchanged=unchanged,
                                  catalog_error=result.unavailable_message, force_refusal=force_refusal)
    if refusal is not None:
        return part, _refuse(ctx, refusal.message, refusal.kind, refusal.exit_code, part)
    if result.catalog_error:
        print(f"storeswitch: {safe_text(result.unavailable_message)}" + (" (--force: switching anyway)" if force else ""),
              file=sys.stderr)
    elif result.blockers and force and not ctx.json:
        print(f"  --force: switching despite {', '.join(ev.id for ev in result.blockers)}.", file=sys.stderr)
    return part, None


def _refuse(ctx, message: str, kind: str, code: int, part: dict[str, Any]) -> int:
    if ctx.json:
        import json

        print(json.dumps({"error": message, "kind": kind, "exit_code": code, **part}, indent=2, ensure_ascii=False))
    print(f"storeswitch: {safe_text(message)}", file=sys.stderr)
    return code
