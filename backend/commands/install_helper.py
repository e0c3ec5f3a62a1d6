"""``sudo storeswitch install-helper``: the privileged helper and its polkit policy, without the package.

For pip, pipx and venv installations (the Debian package installs its own): see
:mod:`backend.helper_install` for what goes where and why the code is copied.
"""

from __future__ import annotations

import json
from typing import Callable

from backend.helper_install import HelperInstallError, Outcome, install

INSTALLED_NOTE = (
    "An ordinary user can now switch the system engine (polkit asks for an administrator's password, or\n"
    "see the example rule in the README); `sudo storeswitch uninstall-helper` removes it."
)


def add_parser(sub) -> None:
    p = sub.add_parser("install-helper", help="(as root) install the privileged helper and polkit policy for the system engine")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run, recover=False, needs_target=False)


def carry_out(args, action: Callable[[], Outcome], human: Callable[[Outcome], str]) -> int:
    """Run *action* and print its outcome (``--json``: the list of changes); 1 with the reason when refused."""
    try:
        outcome = action()
    except HelperInstallError as exc:
        print(f"storeswitch: {exc}")
        return 1
    print(json.dumps(outcome.as_dict(), indent=2) if args.json else human(outcome))
    return 0


def run(args, ctx) -> int:
    return carry_out(args, install, lambda o: "installed:\n  " + "\n  ".join(o.done) + "\n" + INSTALLED_NOTE)
