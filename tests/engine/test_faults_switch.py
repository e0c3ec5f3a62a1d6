"""Fault injection against a real engine: what a hostile user does to a switch (issue 13).

One managed engine serves the module (an engine start costs about a second; CI has two cores).
Each test leaves the engine running on the classic store with the module's plain daemon.json, so
the order does not matter. The points of the issue each have a test here, except the file-system
errors (test_faults_files.py) and the random kills (test_faults_random_kills.py).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from backend.verify import PROBE_REPO
from tests.engine.cli_support import CliEngine, cli_engine_or_skip

pytestmark = pytest.mark.engine
PLAIN = b'{\n    "debug": false,\n    "features": {"containerd-snapshotter": false}\n}\n'
FIXTURES = Path(__file__).parent.parent / "unit" / "fixtures" / "daemon_json"


@pytest.fixture(scope="module")
def engine():
    eng = cli_engine_or_skip()
    try:
        back_to_plain(eng)
        yield eng
    finally:
        eng.close()


def back_to_plain(eng: CliEngine) -> None:
    """The engine on the classic store, started with PLAIN (so nothing counts as an unstarted edit)."""
    eng.run("status")  # recover whatever a test left
    config = eng.profile.managed_config_path
    if config.is_symlink():
        config.unlink()
    if not config.exists() or config.read_bytes() != PLAIN or eng.status()["live_store"] != "classic":
        eng.run("engine", "stop", check=True)
        config.write_bytes(PLAIN)
        eng.run("engine", "start", check=True)
    assert eng.status()["live_store"] == "classic"


@pytest.fixture
def eng(engine):
    back_to_plain(engine)
    return engine


def no_traceback(proc: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in proc.stderr and "Traceback" not in proc.stdout, proc.stderr


def probe_images(eng: CliEngine) -> set[str]:
    return {n for n in eng.images() if n.startswith(PROBE_REPO)}


# 1 ----------------------------------------------------------------------------------------------
def test_a_switch_killed_during_verify_leaves_no_probe_image(eng):
    killed = eng.run("switch", "containerd", fault="probe-imported")
    assert killed.returncode == -9
    assert probe_images(eng), "the kill came while the probe image was stored"  # the engine runs containerd now
    status = eng.status()
    assert status["live_store"] == "containerd" and "finished an interrupted switch" in status["recovered"]
    assert "removed the test image" in status["recovered"]
    assert not probe_images(eng)


# 2 ----------------------------------------------------------------------------------------------
def test_a_symlinked_config_is_switched_through_the_link(eng, tmp_path):
    config = eng.profile.managed_config_path
    real = eng.root / "dotfiles" / "docker-daemon.json"
    real.parent.mkdir(exist_ok=True)
    shutil.move(config, real)
    config.symlink_to(real)
    eng.switch_to("containerd")
    assert config.is_symlink() and config.resolve() == real
    assert b'"containerd-snapshotter": true' in real.read_bytes()
    assert eng.status()["live_store"] == "containerd"
    # a refused switch (a snapshotter containerd does not have) restores through the link too
    refused = eng.run("switch", "containerd", "--snapshotter", "nosuchsnap")
    assert refused.returncode == 1, refused.stderr
    assert config.is_symlink() and b'"containerd-snapshotter": true' in real.read_bytes()
    assert b"nosuchsnap" not in real.read_bytes()
    eng.switch_to("classic")
    assert config.is_symlink() and real.read_bytes() == PLAIN


# 3, 4 -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("bad", [b'{"features": {"containerd-snapshotter": "true"}}', b'{"features": {"containerd-snapshotter": 1}}',
                                 b'{"a":' * 5000 + b"1" + b"}" * 5000], ids=["string-true", "number-1", "nested-5000"])
def test_a_bad_config_is_a_plain_error_for_status_and_switch(eng, bad):
    config = eng.profile.managed_config_path
    config.write_bytes(bad)
    status = eng.run("status", "--json")
    no_traceback(status)
    data = json.loads(status.stdout)
    assert data["config_error"] and str(config) in data["config_error"], data
    switch = eng.run("switch", "containerd")
    no_traceback(switch)
    assert switch.returncode == 1 and str(config) in switch.stderr
    assert "must be true or false" in switch.stderr or "nested too deeply" in switch.stderr
    assert config.read_bytes() == bad  # never rewritten
    assert eng.status()["live_store"] == "classic"
    config.write_bytes(PLAIN)


# 5 ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("fixture", ["crlf.json", "bom-tabs.json"])  # all five: tests/unit/test_daemon_config_text.py
def test_formatting_survives_a_real_switch_there_and_back(eng, fixture):
    original = (FIXTURES / fixture).read_bytes()
    config = eng.profile.managed_config_path
    eng.run("engine", "stop", check=True)
    config.write_bytes(original)
    eng.run("engine", "start", check=True)
    eng.switch_to("containerd")
    switched = config.read_bytes()
    changed = [a for a, b in zip(original.splitlines(), switched.splitlines()) if a != b]
    assert len(original.splitlines()) == len(switched.splitlines()) and len(changed) == 1
    assert b"containerd-snapshotter" in changed[0]
    eng.switch_to("classic")
    assert config.read_bytes() == original


# 8 ----------------------------------------------------------------------------------------------
def _interrupt_when(eng: CliEngine, words: str, signals: list[signal.Signals], *args: str,
                    pause_after: str | None = None) -> tuple[int, str]:
    proc = eng.popen("switch", *args, pause_after=pause_after)
    seen = []
    sent = False
    assert proc.stderr is not None
    for line in proc.stderr:
        seen.append(line)
        if not sent and words in line:
            for n, sig in enumerate(signals):
                if n:
                    time.sleep(0.2)
                proc.send_signal(sig)
            sent = True
    proc.wait(timeout=120)
    assert sent, "".join(seen)
    return proc.returncode, "".join(seen)


def test_ctrl_c_before_the_engine_stops_rolls_back(eng):
    code, err = _interrupt_when(eng, "Saving the containerd store", [signal.SIGINT], "containerd")
    assert code == 130, err
    assert "rolled back before the engine was stopped" in err
    assert not eng.profile.journal_path.exists()
    assert eng.status()["live_store"] == "classic"
    assert eng.profile.managed_config_path.read_bytes() == PLAIN


def test_sigterm_and_a_second_ctrl_c_after_the_engine_stopped_finish_the_switch(eng):
    # The switch waits 2 s once the engine-stopped record is written: the restart alone can end
    # before the second signal is sent, and then no switch is left to say "still working".
    code, err = _interrupt_when(eng, "Stopping the engine", [signal.SIGTERM, signal.SIGINT], "containerd",
                                pause_after="engine-stopped")
    assert code == 130, err
    assert "SIGINT again: still working, at step" in err  # the second one says where things are
    assert "it finished first: switched from the classic store to the containerd store" in err
    assert not eng.profile.journal_path.exists()
    status = eng.status()
    assert status["live_store"] == "containerd" and status["recovered"] is None


# 9 ----------------------------------------------------------------------------------------------
def test_a_damaged_journal_blocks_switches_but_not_diagnose(eng):
    eng.profile.journal_path.write_text("{ not json")
    status = eng.run("status")
    no_traceback(status)
    assert status.returncode == 1 and "the switch journal cannot be read" in status.stderr
    diag = eng.run("diagnose", "--no-sizes", "--json")
    no_traceback(diag)
    assert diag.returncode == 0, diag.stderr
    report = json.loads(diag.stdout)
    assert report["journal"]["damaged"] is True and "cannot be read" in report["journal"]["problem"]
    human = eng.run("diagnose", "--no-sizes", "--no-known-issues")
    assert human.returncode == 0 and "DAMAGED" in human.stdout
    assert eng.profile.journal_path.read_text() == "{ not json"  # left in place for a person to look at
    eng.profile.journal_path.unlink()


# 11 ---------------------------------------------------------------------------------------------
def test_edits_the_engine_never_started_with_need_force(eng):
    config = eng.profile.managed_config_path
    broken = PLAIN.replace(b'"debug": false', b'"debug": false,\n    "seccomp-profile": "/nonexistent/seccomp.json"')
    config.write_bytes(broken)  # dockerd --validate accepts it; dockerd refuses to start with it
    refused = eng.run("switch", "containerd")
    no_traceback(refused)
    assert refused.returncode == 6, refused.stderr
    assert "'seccomp-profile' added" in refused.stderr and "--force" in refused.stderr
    assert config.read_bytes() == broken
    status = eng.status()
    assert status["engine"]["reachable"] and status["live_store"] == "classic"  # never stopped
    # a harmless edit, once the engine has started with it, is no reason to refuse
    config.write_bytes(PLAIN.replace(b'"debug": false', b'"debug": true'))
    assert eng.run("switch", "containerd").returncode == 6
    eng.run("engine", "stop", check=True)
    eng.run("engine", "start", check=True)
    eng.switch_to("containerd")
    assert eng.status()["live_store"] == "containerd"


# 12 ---------------------------------------------------------------------------------------------
def _sleeper_tar() -> bytes:
    """A real runnable image: /usr/bin/sleep with the libraries ldd says it needs."""
    import io
    import tarfile

    files = ["/usr/bin/sleep"]
    out = subprocess.run(["ldd", "/usr/bin/sleep"], capture_output=True, text=True, check=True).stdout
    files += [w for line in out.splitlines() for w in line.split() if w.startswith("/")]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for f in files:
            tar.add(str(Path(f).resolve()), arcname=f.lstrip("/"))
    return buf.getvalue()


def test_the_cli_names_running_containers_and_their_restart_policy(eng):
    with eng.client() as c:
        c.import_image(_sleeper_tar(), "ssw/sleeper", "v1")
        ids = []
        for name, policy in (("web", "no"), ("db", "always")):
            body = {"Image": "ssw/sleeper:v1", "Cmd": ["/usr/bin/sleep", "3600"],
                    "HostConfig": {"RestartPolicy": {"Name": policy}, "NetworkMode": "none"}}
            ident = c._json(c.request("POST", "/containers/create", params={"name": name}, json=body))["Id"]
            c.request("POST", f"/containers/{ident}/start")
            ids.append(ident)
    try:
        proc = eng.run("switch", "containerd", check=True)
        assert "Stopping the engine stops 2 running containers:" in proc.stderr
        assert "web (ssw/sleeper:v1), restart policy 'no': stays stopped" in proc.stderr
        assert "db (ssw/sleeper:v1), restart policy 'always': starts again when the engine next runs this store" in proc.stderr
        assert proc.stderr.index("running containers") < proc.stderr.index("Stopping the engine…")
    finally:
        eng.switch_to("classic")
        with eng.client() as c:
            for ident in ids:
                c.remove_container(ident)
            c.remove_image("ssw/sleeper:v1")


# 13 ---------------------------------------------------------------------------------------------
def test_an_unloadable_catalog_needs_force_and_catalog_text_is_escaped(eng, tmp_path):
    bad = tmp_path / "catalog.toml"
    bad.write_text("schema_version = [")
    eng.env["STORESWITCH_KNOWN_ISSUES"] = str(bad)
    try:
        refused = eng.run("switch", "containerd")
        assert refused.returncode == 6 and "cannot be checked" in refused.stderr and "--force" in refused.stderr
        assert eng.status()["live_store"] == "classic"
        nasty = ('schema_version = 1\n[[issue]]\nid = "ansi"\ntitle = "\\u001b[31mred\\u001b[0m \\u001b]8;;https://x\\u0007link"\n'
                 'severity = "info"\nsymptom = "s\\rX"\nworkaround = "w"\nlink = "https://example.com"\n'
                 '[issue.when]\nstore_after = "containerd"\n')
        bad.write_text(nasty)
        proc = eng.run("switch", "containerd", check=True)
        out = proc.stdout + proc.stderr
        assert "\x1b" not in out and "\x07" not in out and "\\x1b[31mred" in out
    finally:
        del eng.env["STORESWITCH_KNOWN_ISSUES"]
