"""Shared fixtures: a temporary profile for every test, and real isolated dockerd engines.

Every test runs with its own profile, DOCKER_CONFIG and XDG directories, so nothing touches the
real user's files. Tests marked ``engine`` start their own dockerd (own data-root, exec-root,
socket, config file) from the engine that ``scripts/fetch-engine`` fetched, and stop it
afterwards. On CI (``CI=true``) a real-engine test never skips: a missing engine, or a skip of any
``engine`` test, is reported as a failure.
"""

from __future__ import annotations

import io
import os
import shutil
import tarfile
import tempfile
from pathlib import Path

import pytest

from backend.engine.install import ENGINE_SUITE, fetched_binaries, suite_engine_dir
from backend.profile import Profile

ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
# The engine matrix: STORESWITCH_TEST_SUITE picks the Debian suite whose engine the real-engine
# tests run on (trixie: 26.1.5 + containerd 1.7, the default; sid: 28.5.2 + containerd 2.1).
# scripts/test runs every test on trixie, then the `engine` tests again on sid.
TEST_SUITE = os.environ.get("STORESWITCH_TEST_SUITE") or ENGINE_SUITE
ENGINE_DIR = suite_engine_dir(TEST_SUITE)  # read before the autouse fixture moves HOME
OLD_ENGINE_DIR = suite_engine_dir("bookworm")  # 20.10.24, for the old-engine path (tests marked one_engine)
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
_engine_counts = {"passed": 0, "failed": 0, "skipped": 0}


def engine_unavailable_reason() -> str | None:
    """Why real-engine tests cannot run here, or None when they can."""
    if fetched_binaries(ENGINE_DIR) is None and not os.environ.get("STORESWITCH_DOCKERD"):
        return f"no engine in {ENGINE_DIR}: run scripts/fetch-engine (or scripts/test, which does)"
    if os.geteuid() != 0:
        return "dockerd must run as root: run the tests as root (sudo scripts/test) to include the real-engine tests"
    return None


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path, monkeypatch):
    """Point every path storeswitch or docker could use at a temporary place."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("STORESWITCH_ENGINE_DIR", str(ENGINE_DIR))
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("DOCKER_CONFIG", str(home / ".docker"))
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"):
        monkeypatch.setenv(var, str(home / var.lower()))
    (home / "xdg_runtime_dir").mkdir(mode=0o700)  # Qt wants it to exist, owned by us, 0700
    # auto-detection must not find the machine's real engine: the default socket is a missing file
    monkeypatch.setenv("STORESWITCH_SYSTEM_HOST", f"unix://{home / 'no-system-engine.sock'}")
    monkeypatch.setenv("STORESWITCH_PROFILE", str(tmp_path / "profile"))
    monkeypatch.setenv("STORESWITCH_POLICY", str(home / "no-policy.toml"))  # never the machine's /etc/storeswitch
    for var in ("DOCKER_HOST", "DOCKER_CONTEXT", "STORESWITCH_TARGET", "STORESWITCH_FAULT_KILL_AFTER",
                "STORESWITCH_SYSTEM_CONFIG", "STORESWITCH_RESTART_CMD", "STORESWITCH_STOP_CMD", "STORESWITCH_DESKTOP_DIR"):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def profile(tmp_path) -> Profile:
    return Profile.from_dir(tmp_path / "profile")


@pytest.fixture
def engine_profile(request):
    """A profile for a real engine under a short /tmp path (socket paths are limited to 108 bytes).

    Skips with a reason where no engine can run (never on CI: see pytest_runtest_makereport).
    Stops the engine and removes its files afterwards.
    """
    reason = engine_unavailable_reason()
    if reason:
        pytest.skip(reason)
    root = Path(tempfile.mkdtemp(prefix="ssw-"))
    prof = Profile.from_dir(root)
    os.environ["STORESWITCH_PROFILE"] = str(root)
    yield prof
    from backend.engine.managed import ManagedEngine

    try:
        ManagedEngine(prof).stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(prof.run_dir, ignore_errors=True)


@pytest.fixture
def managed(engine_profile):
    """A ManagedTarget on a fresh profile, engine started on the classic store."""
    from backend.targets.managed import ManagedTarget

    target = ManagedTarget(engine_profile)
    target.start()
    return target


def tiny_tar(content: bytes = b"hello from storeswitch\n", name: str = "hello.txt") -> bytes:
    """A one-file tar archive: the body of ``POST /images/create?fromSrc=-``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(content)
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def image_names(client) -> set[str]:
    return {tag for img in client.images() for tag in (img.get("RepoTags") or []) if tag != "<none>:<none>"}


def container_names(client) -> set[str]:
    return {n.lstrip("/") for c in client.containers() for n in c.get("Names", [])}


# --- CI: real-engine tests must run -------------------------------------------------------
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        if "engine_profile" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.engine)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if item.get_closest_marker("engine") is None:
        return
    if report.when == "call" or (report.when == "setup" and not report.passed):
        if ON_CI and report.skipped:
            report.outcome = "failed"
            report.longrepr = f"real-engine test skipped on CI (CI=true), which is a failure: {report.longrepr}"
        key = "passed" if report.passed else "failed" if report.failed else "skipped"
        _engine_counts[key] += 1


def engine_label() -> str:
    """"Engine 26.1.5 (trixie)": the engine this run's real-engine tests use, from its dockerd."""
    from backend.engine.version import dockerd_version

    binaries = fetched_binaries(ENGINE_DIR)
    version = dockerd_version(binaries.dockerd) if binaries else None
    return f"Engine {version or '?'} ({TEST_SUITE})"


def pytest_terminal_summary(terminalreporter):
    c = _engine_counts
    terminalreporter.write_line(
        f"real-engine tests: {c['passed']} passed, {c['failed']} failed, {c['skipped']} skipped"
        + (" (CI: skips count as failures)" if ON_CI else "") + f" -- on {engine_label()}"
    )
