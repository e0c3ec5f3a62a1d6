"""File-system faults a user can cause end with a sentence, never a traceback, and nothing changed
(issue 13, point 6).

Real file systems, not mocks: a full disk is a small tmpfs filled to the last byte, a read-only
directory is a read-only bind mount (as root, permission bits would not stop anything), a lock
path that is a directory is a directory. Every case runs the real ``storeswitch`` command as a
subprocess and checks its exit code, that stderr is one ``storeswitch: PATH: ...`` sentence with
the next step, and that daemon.json, the journal and the history are as they were.

The worst case of the report: a switch killed with its journal written and daemon.json still the
original, then a full disk. Recovery used to rewrite daemon.json with the bytes it already held,
fail, and so every command (``diagnose`` too) crashed until space was freed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from tests.engine.cli_support import CliEngine

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs and a read-only bind mount needs root")

ORIGINAL = b'{\n    "debug": true,\n    "features": {"containerd-snapshotter": false}\n}\n'


@contextlib.contextmanager
def mounted(*args: str, target: Path):
    subprocess.run(["mount", *args, str(target)], check=True)
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@contextlib.contextmanager
def read_only(directory: Path):
    """*directory* made read-only by a read-only bind mount of itself."""
    subprocess.run(["mount", "--bind", str(directory), str(directory)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(directory)], check=True)
        yield directory
    finally:
        subprocess.run(["umount", "-l", str(directory)], check=False)


def fill(directory: Path) -> None:
    """Fill the file system holding *directory* to the last byte."""
    fd = os.open(directory / ".filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (65536, 4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


@pytest.fixture
def cli():
    eng = CliEngine.create()  # a profile and an environment; no engine is started
    config = eng.profile.managed_config_path
    config.parent.mkdir(parents=True)
    config.write_bytes(ORIGINAL)
    eng.profile.state_dir.mkdir(parents=True)
    yield eng
    eng.close()


def assert_plain_failure(proc: subprocess.CompletedProcess, path: Path, words: str) -> None:
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    last = proc.stderr.strip().splitlines()[-1]  # after the progress lines: one sentence
    assert last.startswith(f"storeswitch: {path}: "), proc.stderr
    assert words in last, proc.stderr


def test_config_directory_full(cli):
    """daemon.json cannot be replaced: the journal is dropped again, the file and history untouched."""
    config = cli.profile.managed_config_path
    with mounted("-t", "tmpfs", "-o", "size=64k", "tmpfs", target=config.parent):
        config.write_bytes(ORIGINAL)
        fill(config.parent)
        proc = cli.run("switch", "containerd", "--no-restart", "--force")
        assert_plain_failure(proc, config, "no space left on the device")
        assert "Nothing was changed" in proc.stderr and "free some space" in proc.stderr
        assert config.read_bytes() == ORIGINAL
        assert not [p for p in config.parent.iterdir() if p.name.startswith(".daemon.json")]  # no temp file left
    assert not cli.profile.journal_path.exists()


def test_state_directory_full(cli):
    """The journal cannot be written: nothing starts, daemon.json untouched."""
    state = cli.profile.state_dir
    with mounted("-t", "tmpfs", "-o", "size=64k", "tmpfs", target=state):
        (state / "switch.lock").touch()
        fill(state)
        proc = cli.run("switch", "containerd", "--no-restart", "--force")
        assert_plain_failure(proc, cli.profile.journal_path, "no space left on the device")
        assert "Nothing was changed" in proc.stderr
        assert not cli.profile.journal_path.exists()
    assert cli.profile.managed_config_path.read_bytes() == ORIGINAL


def test_recovery_on_a_full_disk_writes_nothing_and_every_command_runs(cli):
    """A switch killed after its journal, then a full disk: recovery has nothing to write, so it runs."""
    killed = cli.run("switch", "containerd", "--no-restart", "--force", fault="planned")
    assert killed.returncode == -9 and cli.profile.journal_path.exists()
    config = cli.profile.managed_config_path
    with read_only(config.parent):
        # daemon.json's directory is read-only: any write would fail; the bytes are the original ones
        for command in (["status"], ["diagnose", "--no-sizes", "--no-known-issues"]):
            proc = cli.run(*command)
            assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
        assert not cli.profile.journal_path.exists()
    assert config.read_bytes() == ORIGINAL


def test_read_only_config_directory(cli):
    config = cli.profile.managed_config_path
    with read_only(config.parent):
        proc = cli.run("switch", "containerd", "--no-restart", "--force")
        assert_plain_failure(proc, config, "the file system is read-only")
        assert "remount it read-write" in proc.stderr
        assert config.read_bytes() == ORIGINAL
    assert not cli.profile.journal_path.exists()


def test_read_only_state_directory(cli):
    state = cli.profile.state_dir
    with read_only(state):
        proc = cli.run("switch", "containerd", "--no-restart", "--force")
        assert_plain_failure(proc, cli.profile.lock_path, "the file system is read-only")
    assert cli.profile.managed_config_path.read_bytes() == ORIGINAL
    assert not cli.profile.journal_path.exists()


def test_lock_path_is_a_directory(cli):
    cli.profile.lock_path.mkdir()
    proc = cli.run("switch", "containerd", "--no-restart", "--force")
    assert_plain_failure(proc, cli.profile.lock_path, "it is a directory where storeswitch expects a file")
    assert "move that directory away" in proc.stderr
    assert cli.profile.managed_config_path.read_bytes() == ORIGINAL
    assert not cli.profile.journal_path.exists()
