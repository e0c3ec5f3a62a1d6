"""``storeswitch diagnose [--json] [--bundle FILE.zip]``: what is in each store, and a report for support."""

from __future__ import annotations

import json
import sys


def add_parser(sub) -> None:
    p = sub.add_parser(
        "diagnose",
        help="report both image stores, the engine, the last switches and known issues",
        description="Read both image stores (the hidden one from disk), the engine and the config, "
        "and print a report for support. --bundle also writes a zip with daemon.json, settings and "
        "the engine log, secrets redacted.",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON for tools")
    p.add_argument("--bundle", metavar="FILE.zip", help="also write a support bundle (zip, secrets redacted) to FILE.zip")
    p.add_argument("--no-sizes", action="store_true", help="skip measuring the stores on disk (fast on huge stores)")
    p.add_argument("--no-known-issues", action="store_true", help="skip the known-issue check")
    p.set_defaults(run=run)


def run(args, ctx) -> int:
    # Imported here, not at the top: every other command builds this parser and should not pay for it.
    from backend.diagnostics import LABEL_WIDTH, describe_report, gather_report, write_bundle
    from backend.redact import Redactor

    interactive = not ctx.json and sys.stderr.isatty()

    def progress(stage: str, message: str) -> None:
        if interactive:
            print(f"\r\033[K  {message}", end="", file=sys.stderr, flush=True)

    report = gather_report(
        ctx.target, ctx.profile, ctx.recovered, progress,
        known_issues=not args.no_known_issues, sizes=not args.no_sizes,
    )
    if interactive:
        print("\r\033[K", end="", file=sys.stderr, flush=True)
    # A damaged journal stops every other command; the report says so (support needs it then).
    report["journal"] = {"path": str(ctx.profile.journal_path), "damaged": ctx.journal_problem is not None,
                         "problem": ctx.journal_problem}
    from backend.hidden_store import from_report

    report["hidden_store"] = from_report(report)  # the inactive-store notice, from the figures measured above
    report = Redactor().redact_json(report)
    bundle = None
    if args.bundle:
        bundle = write_bundle(args.bundle, report, ctx.target, ctx.profile)
        report["bundle"] = bundle
    if ctx.json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        lines = describe_report(report)
        if ctx.journal_problem:
            lines[1:1] = [f"{'switch journal:':<{LABEL_WIDTH}}! DAMAGED: {ctx.journal_problem}",
                          f"{'':<{LABEL_WIDTH}}(no recovery ran; other commands refuse until it is dealt with)"]
        if report["hidden_store"] and report["hidden_store"]["notice"]:
            lines.append(f"{'hidden store:':<{LABEL_WIDTH}}{report['hidden_store']['notice']}")
        if bundle:
            lines.append(f"{'bundle:':<{LABEL_WIDTH}}{bundle['path']} ({len(bundle['files'])} files, secrets redacted)")
        print("\n".join(lines))
    return 0
