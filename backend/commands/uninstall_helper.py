"""``sudo storeswitch uninstall-helper``: remove what ``install-helper`` installed (never the package's)."""

from __future__ import annotations

import json

from backend.helper_install import HelperInstallError, uninstall


def add_parser(sub) -> None:
    p = sub.add_parser("uninstall-helper", help="(as root) remove the helper that install-helper installed")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run, recover=False, needs_target=False)


def run(args, ctx) -> int:
    try:
        outcome = uninstall()
    except HelperInstallError as exc:
        print(f"storeswitch: {exc}")
        return 1
    if args.json:
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        print("\n".join(outcome.done) if outcome.done else "nothing to remove: install-helper's files are not there")
    return 0
