"""``sudo storeswitch uninstall-helper``: remove what ``install-helper`` installed (never the package's)."""

from __future__ import annotations

from backend.commands.install_helper import carry_out
from backend.helper_install import uninstall


def add_parser(sub) -> None:
    p = sub.add_parser("uninstall-helper", help="(as root) remove the helper that install-helper installed")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run, recover=False, needs_target=False)


def run(args, ctx) -> int:
    return carry_out(args, uninstall,
                     lambda o: "\n".join(o.done) if o.done else "nothing to remove: install-helper's files are not there")
