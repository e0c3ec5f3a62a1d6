"""The administrator's policy against a real managed engine, through the real ``storeswitch`` command.

One engine for the module, started on the classic store; the tests run in order (the story of a
machine brought to a locked policy): ``apply-policy --check`` changes nothing, ``apply-policy``
switches, a second run is "unchanged", ``switch classic`` is refused with exit 5 and nothing
changes, a policy file others can write is ignored with a warning, and ``allow_force = false``
keeps ``--force`` from overriding a blocker known issue.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest

from backend.policy import EXIT_POLICY
from tests.engine.cli_support import CliEngine, cli_engine_or_skip

pytestmark = pytest.mark.engine

MESSAGE = "Fleet standard since March; ask #platform before changing it."
LOCKED = f'schema_version = 1\nstore = "containerd"\nlocked = true\nmessage = "{MESSAGE}"\n'


@pytest.fixture(scope="module")
def engine():
    eng = cli_engine_or_skip()
    policy_dir = Path(tempfile.mkdtemp(prefix="ssw-policy-"))  # root's, mode 0700: a trusted place
    eng.env["STORESWITCH_POLICY"] = str(policy_dir / "policy.toml")
    try:
        yield eng
    finally:
        eng.close()
        for f in policy_dir.iterdir():
            f.unlink()
        policy_dir.rmdir()


def write_policy(engine: CliEngine, text: str, mode: int = 0o644) -> Path:
    path = Path(engine.env["STORESWITCH_POLICY"])
    path.write_text(text)
    path.chmod(mode)
    return path


def state(engine: CliEngine) -> tuple[str, bytes, bytes]:
    """What must not change when something is refused: the live store, daemon.json, the history."""
    history = engine.profile.history_path
    return (engine.status()["live_store"], engine.profile.managed_config_path.read_bytes(),
            history.read_bytes() if history.exists() else b"")


def test_check_says_what_would_change_and_changes_nothing(engine):
    assert engine.status()["live_store"] == "classic"
    path = write_policy(engine, LOCKED)
    before = state(engine)
    proc = engine.run("apply-policy", "--check", "--json")
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    assert plan["check"] is True and plan["changed"] is True and plan["outcome"] == "would-switch"
    assert (plan["configured_store"], plan["live_store"], plan["to_store"]) == ("classic", "classic", "containerd")
    assert "would be restarted on the containerd store" in plan["message"]
    assert plan["policy"]["path"] == str(path) and plan["policy"]["locked"] is True and plan["policy"]["message"] == MESSAGE
    ids = {i["id"] for i in plan["known_issues"]}
    assert "disk-usage-higher" in ids  # a known issue of the containerd store that applies here
    assert state(engine) == before


def test_apply_policy_switches_then_says_unchanged(engine):
    write_policy(engine, LOCKED)
    engine.import_image("ssw/policy")
    proc = engine.run("apply-policy", "--json")
    assert proc.returncode == 0, proc.stderr
    done = json.loads(proc.stdout)
    assert done["changed"] is True and done["outcome"] == "switched"
    assert (done["from_store"], done["live_store"]) == ("classic", "containerd")
    assert done["steps"][-2:] == ["verify", "done"]  # the journaled switch, verified by use
    assert "known_issues" in done and done["wanted_by"] == "the administrator's policy"
    assert engine.status()["live_store"] == "containerd"
    assert "ssw/policy:v1" not in engine.images()  # hidden on the classic store, not deleted

    again = engine.run("apply-policy")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip().splitlines()[-1] == "Unchanged: already on the containerd store (running)."
    proc = engine.run("apply-policy", "--json")
    assert json.loads(proc.stdout)["changed"] is False and json.loads(proc.stdout)["outcome"] == "unchanged"
    check = json.loads(engine.run("apply-policy", "--check", "--json").stdout)
    assert check["changed"] is False and check["outcome"] == "unchanged"


def test_switch_against_the_locked_policy_exits_5_and_changes_nothing(engine):
    path = write_policy(engine, LOCKED)
    before = state(engine)
    assert before[0] == "containerd"
    proc = engine.run("switch", "classic")
    assert proc.returncode == EXIT_POLICY == 5
    assert f"the administrator's policy {path} locks this machine on the containerd store" in proc.stderr
    assert MESSAGE in proc.stderr and "Nothing was changed." in proc.stderr
    proc = engine.run("switch", "classic", "--json")
    refused = json.loads(proc.stdout)
    assert (refused["kind"], refused["exit_code"]) == ("PolicyRefused", 5) and str(path) in refused["error"]
    # another snapshotter is another choice the policy holds (overlayfs, the default, as it names none)
    assert engine.run("switch", "containerd", "--snapshotter", "native").returncode == 5
    assert engine.run("apply-policy", "--store", "classic").returncode == 5
    assert state(engine) == before
    assert engine.status()["policy"] | {"path": ""} == {
        "path": "", "found": True, "store": "containerd", "locked": True, "snapshotter": None, "allow_force": True,
        "message": MESSAGE, "error": None, "warning": None}
    human = engine.run("status", check=True).stdout
    assert f"policy:      locked on the containerd store (overlayfs) ({path}): {MESSAGE}" in human


def test_a_policy_others_can_write_is_ignored_with_a_warning(engine):
    path = write_policy(engine, LOCKED, mode=0o666)
    proc = engine.run("switch", "classic", "--json")
    assert proc.returncode == 0, proc.stderr
    assert f"warning: the policy {path} is ignored: it is writable by users other than root (mode 0666)" in proc.stderr
    assert json.loads(proc.stdout)["live_store"] == "classic"
    assert "ssw/policy:v1" in engine.images()  # the classic store's image is back


def test_a_policy_that_cannot_be_parsed_refuses_switching(engine):
    path = write_policy(engine, LOCKED + "lockd = false\n")
    before = state(engine)
    proc = engine.run("switch", "containerd")
    assert proc.returncode == 5
    assert f"the administrator's policy {path} cannot be used (unknown key 'lockd'" in proc.stderr
    assert engine.run("apply-policy").returncode == 5
    status = engine.run("status")
    assert status.returncode == 0 and "cannot be used (unknown key 'lockd'" in status.stdout  # reading commands keep working
    assert state(engine) == before


def test_allow_force_false_keeps_force_from_overriding_a_blocker(engine):
    """Kubernetes enabled is a blocker for the containerd store (kubernetes-incompatible)."""
    settings = engine.profile.settings_path
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text(json.dumps({"schema_version": 1, "kubernetes_enabled": True}))
    path = write_policy(engine, 'schema_version = 1\nstore = "containerd"\nallow_force = false\nmessage = "No overrides."\n')
    try:
        before = state(engine)
        assert before[0] == "classic"
        assert engine.run("switch", "containerd").returncode == 4  # the blocker, as without a policy
        proc = engine.run("switch", "containerd", "--force", "--json")
        assert proc.returncode == 5, proc.stderr
        refused = json.loads(proc.stdout)
        assert refused["kind"] == "PolicyRefused" and "does not allow --force" in refused["error"]
        assert str(path) in refused["error"] and "No overrides." in refused["error"]
        assert "kubernetes-incompatible" in {i["id"] for i in refused["known_issues"]}
        check = json.loads(engine.run("apply-policy", "--check", "--json").stdout)
        assert check["blockers"] == ["kubernetes-incompatible"] and check["force_allowed"] is False
        assert engine.run("apply-policy", "--force").returncode == 5
        assert state(engine) == before
    finally:
        settings.unlink()
