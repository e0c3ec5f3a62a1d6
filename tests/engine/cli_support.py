"""Driving the real ``storeswitch`` command against a real managed engine, for the engine tests.

A :class:`CliEngine` is one profile under a short /tmp path with its own HOME, DOCKER_CONFIG and
XDG directories, so it can live for a whole test module (one engine, several tests) without the
function-scoped isolation fixture. Commands run as subprocesses (the real entry point, the real
process boundaries a SIGKILL cuts through).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from backend.engine.api import EngineClient
from backend.engine.managed import ManagedEngine
from backend.profile import Profile
from tests.conftest import ENGINE_DIR, engine_unavailable_reason, image_names, tiny_tar


def storeswitch_argv() -> list[str]:
    exe = Path(sys.executable).with_name("storeswitch")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "backend.cli"]


@dataclass
class CliEngine:
    root: Path
    profile: Profile
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def create(cls) -> "CliEngine":
        root = Path(tempfile.mkdtemp(prefix="ssw-"))
        home = root / "home"
        home.mkdir()
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("DOCKER_", "XDG_")) and k not in ("STORESWITCH_PROFILE", "STORESWITCH_TARGET",
                                                                        "STORESWITCH_FAULT_KILL_AFTER")}
        env.update(HOME=str(home), DOCKER_CONFIG=str(home / ".docker"), STORESWITCH_ENGINE_DIR=str(ENGINE_DIR),
                   STORESWITCH_POLICY=str(root / "no-policy.toml"))  # never the machine's /etc/storeswitch/policy.toml
        for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
            env[var] = str(home / var.lower())
        return cls(root, Profile.from_dir(root / "p"), env)

    def run(self, *args: str, fault: str | None = None, check: bool = False, timeout: float = 180) -> subprocess.CompletedProcess:
        env = dict(self.env)
        if fault:
            env["STORESWITCH_FAULT_KILL_AFTER"] = fault
        argv = [*storeswitch_argv(), "--profile", str(self.root / "p"), "--target", "managed", *args]
        proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError(f"storeswitch {' '.join(args)} exited {proc.returncode}: {proc.stderr}")
        return proc

    def popen(self, *args: str, pause_after: str | None = None) -> subprocess.Popen:
        """The command running; *pause_after*: a journal step after which it waits 2 s (for signal tests)."""
        env = dict(self.env)
        if pause_after:
            env["STORESWITCH_FAULT_PAUSE_AFTER"] = pause_after
        argv = [*storeswitch_argv(), "--profile", str(self.root / "p"), "--target", "managed", *args]
        return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def status(self) -> dict[str, Any]:
        proc = self.run("status", "--json", check=True)
        return json.loads(proc.stdout)

    def client(self) -> EngineClient:
        return EngineClient(f"unix://{self.profile.managed_socket}", timeout=60)

    def images(self) -> set[str]:
        with self.client() as c:
            return image_names(c)

    def import_image(self, name: str, tag: str = "v1") -> None:
        with self.client() as c:
            c.import_image(tiny_tar(name.encode()), name, tag)

    def switch_to(self, store: str) -> subprocess.CompletedProcess:
        return self.run("switch", store, "--json", check=True)

    def close(self) -> None:
        try:
            ManagedEngine(self.profile).stop()
        finally:
            shutil.rmtree(self.profile.run_dir, ignore_errors=True)
            shutil.rmtree(self.root, ignore_errors=True)


def cli_engine_or_skip() -> CliEngine:
    """A started engine on the classic store, or a skip saying how to enable it (a failure on CI)."""
    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(reason)
    engine = CliEngine.create()
    try:
        engine.run("engine", "start", check=True)
    except BaseException:
        engine.close()
        raise
    return engine


def module_engine():
    """The body of a module-scoped ``engine`` fixture: one started engine for the module, closed after."""
    eng = cli_engine_or_skip()
    try:
        yield eng
    finally:
        eng.close()
