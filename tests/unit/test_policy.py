"""The administrator's policy file: strict parsing, trust by ownership and mode, the refusals.

The trust tests change real files' owner and mode (the tests run as root on CI; elsewhere the
ones that need chown skip with the reason). No user account is created: os.chown takes any uid.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from backend.policy import EXIT_POLICY, PolicyRefused, PolicyState, load_policy, parse_policy
from backend.stores import Store

LOCKED = 'schema_version = 1\nstore = "containerd"\nlocked = true\nmessage = "Fleet standard."\n'
as_root = pytest.mark.skipif(os.geteuid() != 0, reason="changing a file's owner needs root (CI runs as root)")


@pytest.fixture
def policy_dir(tmp_path) -> Path:
    """A root-owned directory only root may write (pytest's own tmp_path parents are such)."""
    d = tmp_path / "etc-storeswitch"
    d.mkdir(mode=0o755)
    return d


def write(directory: Path, text: str, mode: int = 0o644) -> Path:
    path = directory / "policy.toml"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_missing_file_is_no_policy(policy_dir):
    state = load_policy(policy_dir / "policy.toml")
    assert (state.policy, state.error, state.warning, state.locked) == (None, None, None, False)
    assert state.refusal(Store.CLASSIC) is None


@as_root
def test_a_locked_policy_refuses_the_other_store_naming_the_file_and_message(policy_dir):
    path = write(policy_dir, LOCKED)
    state = load_policy(path)
    assert state.policy is not None and state.policy.store is Store.CONTAINERD and state.locked
    reason = state.refusal(Store.CLASSIC)
    assert reason == (f"the administrator's policy {path} locks this machine on the containerd store. "
                      'Your administrator says: "Fleet standard." Nothing was changed.')
    assert state.refusal(Store.CONTAINERD) is None
    assert state.refusal(Store.CONTAINERD, "stargz") is not None  # locked: overlayfs, the default, when it names none
    with pytest.raises(PolicyRefused):
        state.enforce(Store.CLASSIC)
    assert EXIT_POLICY == 5


@as_root
def test_the_policy_snapshotter_is_held(policy_dir):
    state = load_policy(write(policy_dir, LOCKED + 'snapshotter = "native"\n'))
    assert state.policy.snapshotter == "native"
    assert state.refusal(Store.CONTAINERD, "native") is None
    assert "snapshotter native" in state.refusal(Store.CONTAINERD, None)


@as_root
def test_an_unlocked_policy_refuses_nothing(policy_dir):
    state = load_policy(write(policy_dir, 'schema_version = 1\nstore = "classic"\n'))
    assert state.policy.store is Store.CLASSIC and not state.locked and state.allow_force
    assert state.refusal(Store.CONTAINERD, "stargz") is None


@as_root
def test_allow_force_false_refuses_force(policy_dir):
    state = load_policy(write(policy_dir, LOCKED + "allow_force = false\n"))
    assert not state.allow_force
    assert "does not allow --force" in state.force_refusal() and "Fleet standard." in state.force_refusal()
    assert load_policy(write(policy_dir, LOCKED)).force_refusal() is None


@as_root
@pytest.mark.parametrize("mode", [0o666, 0o664, 0o646])
def test_a_file_others_can_write_is_ignored_with_a_warning(policy_dir, mode):
    path = write(policy_dir, LOCKED, mode)
    state = load_policy(path)
    assert state.policy is None and state.error is None and not state.locked
    assert f"the policy {path} is ignored" in state.warning and f"{mode:04o}" in state.warning
    assert "chmod 0644" in state.warning
    assert state.refusal(Store.CLASSIC) is None


@as_root
def test_a_file_owned_by_another_user_is_ignored(policy_dir):
    path = write(policy_dir, LOCKED)
    os.chown(path, 4242, 4242)
    state = load_policy(path)
    assert state.policy is None and "owned by uid 4242, not root" in state.warning


@as_root
def test_a_directory_others_can_write_makes_it_ignored(policy_dir):
    path = write(policy_dir, LOCKED)
    policy_dir.chmod(0o777)
    assert f"its directory {policy_dir} is writable by others" in load_policy(path).warning
    policy_dir.chmod(0o1777)  # sticky, like /tmp: others cannot replace root's file
    assert load_policy(path).policy is not None
    policy_dir.chmod(0o755)
    os.chown(policy_dir, 4242, 0)
    assert f"its directory {policy_dir} is owned by uid 4242" in load_policy(path).warning


@as_root
@pytest.mark.parametrize("text, words", [
    ("schema_version = 1\nstore = \"containerd\"\nlocked = tru\n", "not valid TOML"),
    (LOCKED + "lockd = true\n", "unknown key 'lockd'"),
    ("schema_version = 1\nstore = \"containerd\"\nlocked = \"yes\"\n", "key 'locked' must be true or false"),
    ("schema_version = 1\nstore = \"zfs\"\n", "key 'store' must be \"classic\" or \"containerd\""),
    ("store = \"classic\"\n", "key 'schema_version' is missing"),
    ("schema_version = 2\nstore = \"classic\"\n", "schema_version 2 is not one this storeswitch knows"),
    ("schema_version = true\nstore = \"classic\"\n", "key 'schema_version' must be an integer"),
    ("schema_version = 1\nlocked = true\n", "key 'store' is missing"),
    ("schema_version = 1\nstore = \"classic\"\nsnapshotter = \"native\"\n", "applies to store = \"containerd\" only"),
    ("schema_version = 1\nstore = \"containerd\"\nsnapshotter = \"a b\"\n", "key 'snapshotter'"),
])
def test_a_bad_policy_is_not_ignored_it_refuses_switching(policy_dir, text, words):
    """Ignoring a policy that cannot be read would quietly unlock a machine its administrator locked."""
    path = write(policy_dir, text)
    state = load_policy(path)
    assert state.policy is None and state.warning is None
    assert words in state.error
    assert state.locked and not state.allow_force
    for store in Store:
        reason = state.refusal(store)
        assert reason.startswith(f"the administrator's policy {path} cannot be used") and words in reason
        assert "Ask your administrator to fix it" in reason


def test_parse_policy_defaults(tmp_path):
    p = parse_policy({"schema_version": 1, "store": "containerd"}, tmp_path / "p.toml")
    assert (p.locked, p.snapshotter, p.allow_force, p.message, p.locked_snapshotter) == (False, None, True, "", None)


def test_the_environment_names_the_file(monkeypatch, tmp_path):
    monkeypatch.setenv("STORESWITCH_POLICY", str(tmp_path / "elsewhere.toml"))
    assert load_policy().path == tmp_path / "elsewhere.toml"
    monkeypatch.delenv("STORESWITCH_POLICY")
    assert load_policy().path == Path("/etc/storeswitch/policy.toml")


def test_state_as_dict_for_tools(tmp_path):
    state = PolicyState(tmp_path / "p.toml", warning="ignored")
    assert state.as_dict() == {"path": str(tmp_path / "p.toml"), "found": False, "error": None, "warning": "ignored"}


# --- the CLI, without an engine: the gate comes before anything is read or started ---------------
@as_root
def test_cli_switch_is_refused_with_exit_5_before_anything_happens(policy_dir, monkeypatch, capsys, profile):
    from backend.cli import main

    path = write(policy_dir, LOCKED)
    monkeypatch.setenv("STORESWITCH_POLICY", str(path))
    assert main(["--target", "managed", "switch", "classic", "--json"]) == 5
    out = capsys.readouterr()
    assert '"kind": "PolicyRefused"' in out.out and str(path) in out.err and "Fleet standard." in out.err
    assert not profile.managed_config_path.exists() and not profile.journal_path.exists()


@as_root
def test_cli_apply_policy_without_a_usable_policy(policy_dir, monkeypatch, capsys):
    from backend.cli import main

    monkeypatch.setenv("STORESWITCH_POLICY", str(policy_dir / "policy.toml"))
    assert main(["--target", "managed", "apply-policy"]) == 1
    assert "no policy to apply" in capsys.readouterr().err
    write(policy_dir, LOCKED, 0o666)
    assert main(["--target", "managed", "apply-policy"]) == 1
    err = capsys.readouterr().err
    assert "warning: the policy" in err and "it was ignored (see the warning above)" in err
    write(policy_dir, "store = 1\n")
    assert main(["--target", "managed", "apply-policy", "--json"]) == 5
    assert "cannot be used (key 'store' must be a string" in capsys.readouterr().err
