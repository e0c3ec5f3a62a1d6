#!/usr/bin/python
# Copyright: storeswitch developers
# Apache License 2.0 (see the repository's LICENSE)
"""Ansible module: bring a Docker Engine to an image store through ``storeswitch apply-policy --json``.

The module decides nothing itself: the storeswitch CLI validates the config with dockerd, journals,
restarts, verifies by use and rolls back (the same path as ``storeswitch switch``), and honours the
administrator's policy file. The module turns its JSON into an Ansible result.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: storeswitch
short_description: Switch a Docker Engine between the classic and the containerd image store
description:
  - Runs C(storeswitch apply-policy --json) on the managed host, which brings the engine to the wanted image
    store through storeswitch's journaled switch - the engine checks the new config first, the switch is
    verified by storing and removing a tiny image, and a config the engine refuses is rolled back.
  - Idempotent - C(changed) is true only when the engine was switched (or its config saved for the next start).
  - Without O(store), applies the administrator's policy file (C(/etc/storeswitch/policy.toml)).
  - A locked policy on another store refuses the switch (the task fails, exit code 5).
version_added: "0.1.0"
options:
  store:
    description: The image store wanted. Omit it to apply the administrator's policy file.
    type: str
    choices: [classic, containerd]
  snapshotter:
    description: With O(store=containerd), the snapshotter (daemon.json C(storage-driver)), for example C(overlayfs).
    type: str
  force:
    description: Switch even when a blocker known issue applies (unless the policy sets C(allow_force = false)).
    type: bool
    default: false
  target:
    description: Which engine storeswitch switches (C(auto) picks as C(storeswitch status) says).
    type: str
    choices: [auto, managed, system, rootless, desktop]
    default: auto
  profile:
    description: storeswitch's profile directory (C(--profile)); default the user's own directories.
    type: path
  executable:
    description: The storeswitch command (a name on PATH or a path).
    type: str
    default: storeswitch
attributes:
  check_mode:
    support: full
    details: Runs C(apply-policy --check) - nothing changes; C(changed) says whether the engine would be switched.
requirements:
  - storeswitch on the managed host
author:
  - storeswitch developers
"""

EXAMPLES = r"""
- name: Every laptop on the containerd image store
  storeswitch.storeswitch.storeswitch:
    store: containerd
  register: store

- name: Apply the administrator's policy file (/etc/storeswitch/policy.toml)
  storeswitch.storeswitch.storeswitch:
"""

RETURN = r"""
outcome:
  description: C(switched), C(saved) (takes effect at the next engine start), C(unchanged), or in check mode C(would-switch).
  returned: success
  type: str
from_store:
  description: The store before.
  returned: success
  type: str
to_store:
  description: The store wanted.
  returned: always
  type: str
live_store:
  description: The store the engine runs now (after a refusal, the one it was rolled back to).
  returned: always
  type: str
driver:
  description: The engine's storage driver or snapshotter after the switch.
  returned: when switched
  type: str
message:
  description: What storeswitch did, in words.
  returned: success
  type: str
known_issues:
  description: The known issues of the wanted store that apply (or may apply) on this host.
  returned: success
  type: list
  elements: dict
policy:
  description: The administrator's policy as storeswitch read it (path, store, locked, message, error, warning).
  returned: always
  type: dict
reason:
  description: Why the engine (or the policy) refused, in the engine's own words.
  returned: failure
  type: str
"""

import json

from ansible.module_utils.basic import AnsibleModule

KEPT = ("outcome", "from_store", "to_store", "live_store", "driver", "message", "steps", "known_issues",
        "known_issues_error", "policy", "blockers", "configured_store", "wanted_by")


def _json(text):
    """The JSON object storeswitch printed (the last one, should anything precede it), or None."""
    text = (text or "").strip()
    start = text.rfind("\n{")
    for candidate in (text, text[start + 1:] if start >= 0 else None):
        if candidate:
            try:
                data = json.loads(candidate)
            except ValueError:
                continue
            if isinstance(data, dict):
                return data
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            store=dict(type="str", choices=["classic", "containerd"]),
            snapshotter=dict(type="str"),
            force=dict(type="bool", default=False),
            target=dict(type="str", default="auto", choices=["auto", "managed", "system", "rootless", "desktop"]),
            profile=dict(type="path"),
            executable=dict(type="str", default="storeswitch"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if p["snapshotter"] and p["store"] != "containerd":
        module.fail_json(msg="snapshotter goes with store=containerd")
    exe = p["executable"]
    if "/" not in exe:
        exe = module.get_bin_path(exe, required=True)
    argv = [exe, "--target", p["target"]]
    if p["profile"]:
        argv += ["--profile", p["profile"]]
    argv += ["apply-policy", "--json"]
    if p["store"]:
        argv += ["--store", p["store"]]
    if p["snapshotter"]:
        argv += ["--snapshotter", p["snapshotter"]]
    if p["force"]:
        argv.append("--force")
    if module.check_mode:
        argv.append("--check")

    rc, out, err = module.run_command(argv)  # an argument list: no shell
    data = _json(out)
    warnings = [line.split("warning: ", 1)[1] for line in (err or "").splitlines() if "warning: " in line]
    for warning in warnings:
        module.warn(warning)
    if rc != 0 or data is None or "error" in data:
        reason = (data or {}).get("error") or (err or "").strip() or "storeswitch printed nothing"
        failed = {k: data[k] for k in KEPT if data and k in data}
        module.fail_json(msg=reason, reason=reason, rc=rc, exit_code=(data or {}).get("exit_code", rc),
                         kind=(data or {}).get("kind"), stderr=err, changed=False, cmd=argv, **failed)
    result = {k: data[k] for k in KEPT if k in data}
    module.exit_json(changed=bool(data.get("changed")), **result)


if __name__ == "__main__":
    main()
