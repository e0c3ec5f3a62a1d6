"""Real engine: a Wasm runtime in daemon.json is listed, and choosing classic shows wasm-needs-containerd.

dockerd 26.1.5 accepts ``runtimes: {"io.containerd.wasmedge.v1": {"runtimeType":
"io.containerd.wasmedge.v1"}}`` without the shim installed (the shim is only needed to run a
container) and lists it in ``/info`` ``Runtimes``.
"""

from __future__ import annotations

import json

from backend.cli import main
from backend.targets.managed import ManagedTarget

WASMEDGE = "io.containerd.wasmedge.v1"


def test_wasm_runtime_listed_and_known_issue_applies_for_classic(engine_profile, capsys):
    target = ManagedTarget(engine_profile)
    target.config_path.parent.mkdir(parents=True, exist_ok=True)
    target.config_path.write_text(json.dumps({"runtimes": {WASMEDGE: {"runtimeType": WASMEDGE}}}))
    target.start()
    with target.client() as c:
        assert WASMEDGE in c.info()["Runtimes"]

    assert main(["--target", "managed", "status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["engine"]["wasm_runtimes"] == [WASMEDGE]
    assert "runc" in status["engine"]["runtimes"] and WASMEDGE in status["engine"]["runtimes"]
    assert status["wasm_runtimes"] == [WASMEDGE]
    assert status["engine"]["driver"] == "overlay2" and status["live_store"] == "classic"  # existing fields kept

    main(["--target", "managed", "status"])
    assert f"wasm:        {WASMEDGE}" in capsys.readouterr().out

    assert main(["--target", "managed", "known-issues", "--store", "classic", "--json"]) == 0
    issues = {i["id"]: i for i in json.loads(capsys.readouterr().out)["known_issues"]}
    assert issues["wasm-needs-containerd"]["applies"] == "yes"
    assert issues["wasm-needs-containerd"]["facts_used"]["wasm_runtimes"] == [WASMEDGE]

    assert main(["--target", "managed", "known-issues", "--store", "containerd", "--json"]) == 0
    ids = {i["id"] for i in json.loads(capsys.readouterr().out)["known_issues"]}
    assert "wasm-needs-containerd" not in ids
