"""Real engine: the live facts (version, arch, Wasm runtimes, the reference-filter probe) and the
switch's known-issue check, refused for a blocker and forced through.

One engine for the whole story (two starts: the first, and the forced switch's restart).
"""

from __future__ import annotations

import json
import os

from packaging.version import Version

from backend.cli import EXIT_BLOCKED, main
from backend.known_issues import evaluate_issue, load_catalog, probe_facts
from backend.known_issues.facts import normalize_arch, probe_reference_filter
from backend.settings import Settings
from backend.stores import Store, live_store
from backend.targets.managed import ManagedTarget

WASM = "io.containerd.wasmedge.v1"


def test_live_facts_and_a_forced_switch(engine_profile, capsys):
    target = ManagedTarget(engine_profile)
    target.config_path.parent.mkdir(parents=True, exist_ok=True)
    target.config_path.write_text(json.dumps({"runtimes": {WASM: {"runtimeType": WASM}}}))
    settings = Settings(engine_profile.settings_path, {"kubernetes_enabled": True})
    settings.save()
    target.start()

    with target.client() as client:
        info = client.info()
        version = client.version()
        assert live_store(info) is Store.CLASSIC
        assert WASM in info["Runtimes"]
        # The engine's own answer to a reference filter, on the classic store.
        assert probe_reference_filter(client) is True

    facts = probe_facts(target, settings, "classic")
    assert facts["engine_version"] == Version(version["Version"].split("+")[0])
    assert facts["api_version"] == Version(version["ApiVersion"])
    assert facts["engine_arch"] == normalize_arch(version["Arch"]) == normalize_arch(os.uname().machine)
    assert facts["live_store"] == "classic"
    assert facts["reference_filter_supported"] is True  # the engine's answer on the live (classic) store
    assert facts["system_containerd"] is False
    assert facts["wasm_runtimes"] == [WASM]
    # Asked about the other store, the classic store's answer cannot decide: the issue "may apply".
    other = probe_facts(target, settings, "containerd")
    ev = evaluate_issue(load_catalog()["reference-filter-unsupported"], other)
    assert ev.applies == "maybe" and ev.facts_used["reference_filter_supported"] == "unknown"

    # Classic chosen with a Wasm runtime configured: wasm-needs-containerd applies.
    assert main(["known-issues", "--json", "--store", "classic"]) == 0
    listed = {i["id"]: i for i in json.loads(capsys.readouterr().out)["known_issues"]}
    assert listed["wasm-needs-containerd"]["applies"] == "yes"
    assert listed["wasm-needs-containerd"]["facts_used"]["wasm_runtimes"] == [WASM]

    # Kubernetes on + containerd: refused before anything is touched.
    before = target.config_path.read_bytes()
    assert main(["switch", "containerd", "--json"]) == EXIT_BLOCKED
    refused = json.loads(capsys.readouterr().out)
    assert refused["kind"] == "BlockedByKnownIssue" and "kubernetes-incompatible" in refused["error"]
    assert target.config_path.read_bytes() == before
    with target.client() as client:
        assert live_store(client.info()) is Store.CLASSIC

    # --force: the real switch runs, and its JSON carries the issues that apply now.
    assert main(["switch", "containerd", "--force", "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    assert done["outcome"] == "switched" and done["live_store"] == "containerd"
    applies = {i["id"]: i["applies"] for i in done["known_issues"]}
    assert applies["kubernetes-incompatible"] == "yes"
    assert applies["reference-filter-unsupported"] == "maybe"  # checked before the switch, on classic

    with target.client() as client:
        assert live_store(client.info()) is Store.CONTAINERD
        answer = probe_reference_filter(client)
    assert answer is True  # Engine 26.1.5 implements the filter on the containerd store too
    facts = probe_facts(target, settings, "containerd")
    assert facts["reference_filter_supported"] is answer

    assert main(["known-issues", "--json"]) == 0  # default: the store the config names now
    after = json.loads(capsys.readouterr().out)
    assert after["store_after"] == "containerd"
    assert "reference-filter-unsupported" not in {i["id"] for i in after["known_issues"]}
    assert after["facts"]["reference_filter_supported"] is True
