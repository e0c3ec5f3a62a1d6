"""``sudo storeswitch install-helper``: the privileged helper and its polkit policy, without the package.

For pip, pipx and venv installations (the Debian package installs its own): see
:mod:`backend.helper_install` for what goes where and why the code is copied.
"""

from __future__ import annotations

import json

from backend.helper_install import HelperInstallError, install


def add_parser(sub) -> None:
    p = sub.add_parser("install-helper", help="(as root) install the privileged helper and polkit policy for the system engine")
    p.add_argument("--json", action="store_true", help="print JSON for tools")
    p.set_defaults(run=run, recover=False, needs_target=False)


def run(args, ctx) -> int:
    try:
        outcome = install()
    except HelperInstallError as exc:
        print(f"storeswitch: {exc}")
        return 1
    if args.json:
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        print("installed:\n  " + "\n  ".join(outcome.done))
        print("An ordinary user can now switch the system engine (polkit asks for an administrator's password,")
        print("or see the example rule in the README); `sudo storeswitch uninstall-helper` removes it.")
    return 0
