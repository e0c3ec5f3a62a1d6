"""The Ansible collection in contrib/ansible, run by a real ``ansible-playbook`` (ansible-core from PyPI).

An inventory of three hosts on this machine (``ansible_connection=local``), each with its own
storeswitch profile and its own managed dockerd, started here on the classic store. The story,
in order: ``--check`` reports three changes and changes nothing; the first run switches all three
to containerd (``changed=3``); the second changes nothing (``changed=0``); then, with one host's
daemon.json holding a key dockerd refuses, a run to classic fails on that host with dockerd's own
words, and that host stays on containerd while the other two switch.

The module's results are read from the ``tree`` callback's per-host files (ansible-core's own).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.engine.cli_support import CliEngine, cli_engine_or_skip, storeswitch_argv

pytestmark = pytest.mark.engine

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = """\
- name: One image store for the fleet
  hosts: fleet
  gather_facts: false
  tasks:
    - name: The engine on the wanted store
      storeswitch.storeswitch.storeswitch:
        store: "{{ wanted_store }}"
        target: managed
        profile: "{{ storeswitch_profile }}"
        executable: "{{ storeswitch_executable }}"
"""


def ansible_playbook() -> str:
    exe = Path(sys.executable).with_name("ansible-playbook")
    if not exe.exists():
        pytest.fail("ansible-playbook is not installed: it is in the test extras (scripts/bootstrap installs them)")
    return str(exe)


@pytest.fixture(scope="module")
def fleet():
    engines: list[CliEngine] = []
    try:
        for _ in range(3):
            engines.append(cli_engine_or_skip())
        yield engines
    finally:
        for engine in engines:
            engine.close()


@pytest.fixture(scope="module")
def playbook(fleet):
    """``run(store, *options) -> (returncode, output, {host: result})`` with ansible-playbook."""
    work = Path(tempfile.mkdtemp(prefix="ssw-ansible-"))
    collections = work / "collections" / "ansible_collections" / "storeswitch"
    collections.mkdir(parents=True)
    (collections / "storeswitch").symlink_to(REPO / "contrib" / "ansible")
    (work / "site.yml").write_text(PLAYBOOK)
    hosts = [f"host{i + 1} storeswitch_profile={engine.root / 'p'}" for i, engine in enumerate(fleet)]
    (work / "inventory.ini").write_text(
        "[fleet]\n" + "\n".join(hosts) + "\n\n[fleet:vars]\nansible_connection=local\n"
        f"ansible_python_interpreter={sys.executable}\nstoreswitch_executable={storeswitch_argv()[0]}\n")
    env = dict(fleet[0].env, HOME=str(work), ANSIBLE_COLLECTIONS_PATH=str(work / "collections"),
               ANSIBLE_LOCAL_TEMP=str(work / "tmp"), ANSIBLE_REMOTE_TEMP=str(work / "tmp"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_CALLBACKS_ENABLED="ansible.builtin.tree", ANSIBLE_RETRY_FILES_ENABLED="0")
    env.pop("ANSIBLE_CONFIG", None)
    runs = 0

    def run(store: str, *options: str):
        nonlocal runs
        runs += 1
        tree = work / f"tree-{runs}"
        proc = subprocess.run([ansible_playbook(), "-i", "inventory.ini", "site.yml", "-e", f"wanted_store={store}", *options],
                              cwd=work, env=dict(env, ANSIBLE_CALLBACK_TREE_DIR=str(tree)),
                              capture_output=True, text=True, timeout=600)
        results = {f.name: json.loads(f.read_text()) for f in tree.iterdir()} if tree.exists() else {}
        return proc.returncode, proc.stdout + proc.stderr, results

    yield run
    import shutil

    shutil.rmtree(work, ignore_errors=True)


def recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP, per host: {"host1": {"ok": 1, "changed": 1, "failed": 0, ...}}."""
    rows = re.findall(r"^(host\d)\s+:\s+(.*)$", output, re.MULTILINE)
    return {host: {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)} for host, counts in rows}


def changed(output: str) -> int:
    return sum(counts["changed"] for counts in recap(output).values())


def stores(fleet) -> list[str]:
    return [engine.status()["live_store"] for engine in fleet]


def test_check_mode_changes_nothing(fleet, playbook):
    before = [(e.profile.managed_config_path.read_bytes() if e.profile.managed_config_path.exists() else None) for e in fleet]
    rc, output, results = playbook("containerd", "--check")
    assert rc == 0, output
    assert changed(output) == 3, output  # what would change
    assert stores(fleet) == ["classic"] * 3
    assert [(e.profile.managed_config_path.read_bytes() if e.profile.managed_config_path.exists() else None) for e in fleet] == before
    for host in ("host1", "host2", "host3"):
        assert results[host]["outcome"] == "would-switch" and results[host]["live_store"] == "classic"
        assert "disk-usage-higher" in {i["id"] for i in results[host]["known_issues"]}


def test_first_run_switches_all_three_then_a_second_run_changes_nothing(fleet, playbook):
    rc, output, results = playbook("containerd")
    assert rc == 0, output
    assert changed(output) == 3, output
    assert stores(fleet) == ["containerd"] * 3
    for host in ("host1", "host2", "host3"):
        r = results[host]
        assert r["changed"] is True and r["outcome"] == "switched"
        assert (r["from_store"], r["live_store"], r["driver"]) == ("classic", "containerd", "overlayfs")
        assert r["known_issues"], "the known issues that apply are in the result"

    rc, output, results = playbook("containerd")
    assert rc == 0, output
    assert changed(output) == 0, output
    assert {results[h]["outcome"] for h in ("host1", "host2", "host3")} == {"unchanged"}


def test_a_host_whose_engine_refuses_fails_with_its_reason_and_stays(fleet, playbook):
    refusing = fleet[2]
    config = refusing.profile.managed_config_path
    data = json.loads(config.read_text())
    data["no-such-option"] = True  # the running engine read its file at start; dockerd refuses this one
    config.write_text(json.dumps(data, indent=2) + "\n")
    rc, output, results = playbook("classic")
    assert rc != 0, output
    counts = recap(output)
    assert counts["host3"]["failed"] == 1 and counts["host3"]["changed"] == 0
    assert counts["host1"]["changed"] == counts["host2"]["changed"] == 1
    assert counts["host1"]["failed"] == counts["host2"]["failed"] == 0
    failed = results["host3"]
    assert "no-such-option" in failed["msg"], failed
    assert "don't match any configuration option" in failed["reason"]  # dockerd's own words
    assert failed["live_store"] == "containerd" and failed["exit_code"] == 1
    assert stores(fleet) == ["classic", "classic", "containerd"]
    assert json.loads(config.read_text())["no-such-option"] is True  # its file as it was
