"""Facts: buildx version, Docker Hub login by presence only, daemon.json facts, drafts, UNKNOWN,
and the reference-filter probe's reading of an engine's refusal.

No engine runs here: ``probe_facts`` is pointed at a managed target whose engine is not started,
which is the real "engine down" case (every engine fact UNKNOWN).
"""

from __future__ import annotations

import base64
import copy
import http.server
import json
import os
import shutil
import socketserver
import stat
import tempfile
import threading

import pytest
from packaging.version import Version

from backend.engine.api import EngineClient
from backend.known_issues import FACTS, UNKNOWN, display_facts, draft_facts, probe_facts
from backend.known_issues.facts import (
    normalize_arch,
    parse_buildx_version,
    parse_version,
    probe_buildx_version,
    probe_docker_hub_login,
    probe_reference_filter,
)
from backend.settings import Settings
from backend.targets.managed import ManagedTarget
from tests.desktop_standin import send_json

DOCKER = shutil.which("docker")
needs_docker_cli = pytest.mark.skipif(DOCKER is None, reason="no docker CLI on PATH: the buildx probe has nothing to ask")


@pytest.mark.parametrize("output,expected", [
    ("github.com/docker/buildx v0.13.1 788433953af10f2a698f5c07611dcdeb2f1f4f1e\n", "0.13.1"),
    ("github.com/docker/buildx 0.13.1+ds1-3 \n", "0.13.1"),  # Debian's docker-buildx
    ("github.com/docker/buildx v0.14.0-desktop.1 3a6f2fe3a6b0\n", "0.14.0"),
    ("github.com/docker/buildx v0.8.2 6224def4dd2c3d347eee19db595348c50d7cb491", "0.8.2"),
    ("WARNING: something\ngithub.com/docker/buildx v0.10.4 c513d34\n", "0.10.4"),
])
def test_parse_buildx_version(output, expected):
    assert parse_buildx_version(output) == Version(expected)


@pytest.mark.parametrize("output", ["docker: unknown command: docker buildx\n", "docker: 'buildx' is not a docker command.", ""])
def test_parse_buildx_version_unrecognised(output):
    assert parse_buildx_version(output) is None


@pytest.mark.parametrize("text,expected", [
    ("26.1.5+dfsg1", "26.1.5"), ("24.0.0-rc.1", "24.0.0"), ("22.06.0-beta.0-372-gd3bb8227ce.m", "22.6.0"),
    ("v0.9.0", "0.9.0"), ("1.45", "1.45"),
])
def test_parse_docker_versions(text, expected):
    assert parse_version(text) == Version(expected)


def test_parse_version_rejects_non_versions():
    assert parse_version("dev") is None and parse_version(None) is None


@pytest.mark.parametrize("machine,arch", [("x86_64", "amd64"), ("aarch64", "arm64"), ("arm64", "arm64"), ("armv7l", "arm"), ("i686", "386")])
def test_normalize_arch(machine, arch):
    assert normalize_arch(machine) == arch


@needs_docker_cli
def test_buildx_without_plugin_is_unknown(tmp_path, monkeypatch):
    """The real docker CLI with an empty config dir: ``unknown command`` -> UNKNOWN."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    assert probe_buildx_version() is UNKNOWN


@needs_docker_cli
def test_buildx_plugin_version_through_the_real_cli(tmp_path, monkeypatch):
    """The real docker CLI runs a CLI plugin from $DOCKER_CONFIG/cli-plugins.

    The plugin is a stand-in script for buildx (the real one is not installed on these machines);
    what is tested is the probe's use of the CLI and its parsing of what the plugin prints.
    """
    _stand_in_buildx(tmp_path, monkeypatch)
    assert probe_buildx_version() == Version("0.8.2")


def _stand_in_buildx(tmp_path, monkeypatch) -> None:
    """A stand-in buildx plugin (0.8.2) in $DOCKER_CONFIG/cli-plugins, for the real docker CLI to run."""
    plugins = tmp_path / "docker" / "cli-plugins"
    plugins.mkdir(parents=True)
    script = plugins / "docker-buildx"
    script.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = docker-cli-plugin-metadata ]; then\n'
        '  echo \'{"SchemaVersion":"0.1.0","Vendor":"test","Version":"0.8.2","ShortDescription":"buildx"}\'; exit 0\n'
        "fi\n"
        'echo "github.com/docker/buildx 0.8.2+ds1-1 6224def4"\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))


def test_a_switch_needs_only_the_facts_its_store_can_use():
    """The packaged catalog: containerd-only issues are ruled out for the classic store, so their facts are not needed."""
    from backend.known_issues import load_catalog
    from backend.known_issues.evaluate import facts_needed

    catalog = load_catalog()
    to_classic = facts_needed(catalog, {"store_after": "classic"})
    to_containerd = facts_needed(catalog, {"store_after": "containerd"})
    assert {"wasm_runtimes", "containerd_migration"} <= to_classic
    assert not {"buildx_version", "reference_filter_supported", "kubernetes_enabled"} & to_classic
    assert {"buildx_version", "reference_filter_supported", "kubernetes_enabled", "engine_version"} <= to_containerd


@needs_docker_cli
def test_the_switch_preflight_skips_buildx_for_the_classic_store_and_decides_the_same(profile, tmp_path, monkeypatch):
    """needed_only leaves the unneeded facts UNKNOWN (buildx is not asked) and every issue decided as before.

    Only an issue ruled out anyway (``no``, which a switch does not show) may list such a fact as unknown."""
    from backend.known_issues import assess

    _stand_in_buildx(tmp_path, monkeypatch)
    target = ManagedTarget(profile)
    target.config_path.parent.mkdir(parents=True)
    target.config_path.write_text(json.dumps({"runtimes": {"io.containerd.wasmedge.v1": {"runtimeType": "io.containerd.wasmedge.v1"}}}))
    for store in ("classic", "containerd"):
        full = assess(target, profile, store)
        needed = assess(target, profile, store, needed_only=True)
        assert [(ev.id, ev.applies) for ev in needed.evaluations] == [(ev.id, ev.applies) for ev in full.evaluations], store
        assert [ev.as_dict() for ev in needed.shown] == [ev.as_dict() for ev in full.shown], store
        assert full.facts["buildx_version"] == Version("0.8.2")
    assert assess(target, profile, "classic", needed_only=True).facts["buildx_version"] is UNKNOWN
    assert assess(target, profile, "containerd", needed_only=True).facts["buildx_version"] == Version("0.8.2")
    assert [ev.id for ev in assess(target, profile, "classic", needed_only=True).shown] == ["wasm-needs-containerd"]


def test_buildx_without_docker_cli_is_unknown(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert probe_buildx_version() is UNKNOWN
    assert probe_buildx_version(tmp_path / "no-such-docker") is UNKNOWN


SECRET = "S3cr3t-planted-by-the-test"
SECRET_B64 = base64.b64encode(f"someone:{SECRET}".encode()).decode()


def write_docker_config(home, data) -> None:
    d = home / "docker"
    d.mkdir(exist_ok=True)
    (d / "config.json").write_text(data if isinstance(data, str) else json.dumps(data))


@pytest.mark.parametrize("data,expected", [
    ({"auths": {"https://index.docker.io/v1/": {"auth": SECRET_B64}}}, True),
    ({"auths": {"https://index.docker.io/v1/": {}}, "credsStore": "secretservice"}, True),
    ({"credHelpers": {"docker.io": "pass"}}, True),
    ({"auths": {"ghcr.io": {"auth": SECRET_B64}}}, False),
    ({"credsStore": "desktop"}, UNKNOWN),
    ("{not json", UNKNOWN),
])
def test_docker_hub_login_by_presence(tmp_path, monkeypatch, data, expected):
    write_docker_config(tmp_path, data)
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    assert probe_docker_hub_login() is expected


def test_no_docker_config_means_no_login(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "nothing"))
    assert probe_docker_hub_login() is False


def test_secrets_reach_no_fact(tmp_path, monkeypatch, profile):
    """A login and a mirror password are planted; neither appears in any fact, raw or shown."""
    write_docker_config(tmp_path, {"auths": {"https://index.docker.io/v1/": {"auth": SECRET_B64, "identitytoken": SECRET}}})
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    target = ManagedTarget(profile)
    target.config_path.parent.mkdir(parents=True)
    target.config_path.write_text(json.dumps({
        "registry-mirrors": [f"https://someone:{SECRET}@mirror.example.com"],
        "insecure-registries": ["registry.local:5000"],
    }))
    facts = probe_facts(target, None, "containerd")
    assert facts["docker_hub_login"] is True
    assert facts["registry_mirrors"] == ["https://***@mirror.example.com"]
    dumped = repr(facts) + json.dumps(display_facts(facts))
    assert SECRET not in dumped and SECRET_B64 not in dumped and "someone" not in dumped


def test_probe_with_engine_down(profile, monkeypatch, tmp_path):
    """Engine not started: engine facts are UNKNOWN; config, settings and host facts are known."""
    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    target = ManagedTarget(profile)
    target.config_path.parent.mkdir(parents=True)
    target.config_path.write_text(json.dumps({
        "userns-remap": "default",
        "data-root": "/srv/docker",
        "runtimes": {"io.containerd.wasmedge.v1": {"runtimeType": "io.containerd.wasmedge.v1"}, "crun": {"path": "/usr/bin/crun"}},
        "features": {"containerd-snapshotter": True},
    }))
    settings = Settings(profile.settings_path, {"kubernetes_enabled": True})
    facts = probe_facts(target, settings)
    assert set(facts) == set(FACTS)
    assert facts["store_after"] == "containerd"  # None: what the config names
    assert facts["kubernetes_enabled"] is True
    assert facts["userns_remap"] == "default" and facts["data_root"] == "/srv/docker"
    assert facts["registry_mirrors"] is None and facts["storage_driver"] is None
    assert facts["runtimes"] == ["crun", "io.containerd.wasmedge.v1"]
    assert facts["wasm_runtimes"] == ["io.containerd.wasmedge.v1"]
    assert facts["system_containerd"] is False  # the managed engine supervises its own
    assert facts["host_arch"] == normalize_arch(os.uname().machine)
    for name in ("api_version", "live_store", "reference_filter_supported"):
        assert facts[name] is UNKNOWN, name
    # knowable with the engine stopped: the dockerd binary's version, and the host's architecture
    from backend.engine.install import fetched_binaries

    if fetched_binaries() is not None:
        assert facts["engine_version"] >= Version("24.0")
    assert facts["engine_arch"] == facts["host_arch"]
    assert probe_facts(target, None, "classic")["kubernetes_enabled"] is UNKNOWN


def test_unreadable_daemon_json_makes_config_facts_unknown(profile):
    target = ManagedTarget(profile)
    target.config_path.parent.mkdir(parents=True)
    target.config_path.write_text('{"registry-mirrors": [\n')
    facts = probe_facts(target, None)
    assert facts["store_after"] is UNKNOWN
    for name in ("registry_mirrors", "insecure_registries", "userns_remap", "storage_driver", "data_root", "runtimes", "wasm_runtimes"):
        assert facts[name] is UNKNOWN, name


def test_a_containerd_socket_in_daemon_json_means_system_containerd(profile):
    target = ManagedTarget(profile)
    target.config_path.parent.mkdir(parents=True)
    target.config_path.write_text('{"containerd": "/run/containerd/containerd.sock"}')
    assert probe_facts(target, None)["system_containerd"] is True


def test_draft_facts_from_the_editor():
    draft = draft_facts("classic", False, {
        "runtimes": {"io.containerd.wasmtime.v1": {"runtimeType": "io.containerd.wasmtime.v1"}},
        "insecure-registries": ["registry.local:5000"],
        "containerd": "/run/containerd/containerd.sock",
    })
    assert draft["store_after"] == "classic" and draft["kubernetes_enabled"] is False
    assert draft["wasm_runtimes"] == ["io.containerd.wasmtime.v1"]
    assert draft["insecure_registries"] == ["registry.local:5000"] and draft["registry_mirrors"] is None
    assert draft["system_containerd"] is True
    empty = draft_facts("containerd", None, {})
    assert empty["kubernetes_enabled"] is UNKNOWN and empty["wasm_runtimes"] == [] and "system_containerd" not in empty
    unparsable = draft_facts(None, True, None)
    assert unparsable["store_after"] is UNKNOWN and unparsable["userns_remap"] is UNKNOWN
    assert set(unparsable) <= set(FACTS)


def test_unknown_is_a_singleton_without_truth_value():
    assert copy.deepcopy(UNKNOWN) is UNKNOWN and copy.copy({"x": UNKNOWN})["x"] is UNKNOWN
    with pytest.raises(TypeError, match="is UNKNOWN"):
        bool(UNKNOWN)
    assert str(UNKNOWN) == "unknown" and display_facts({})["engine_version"] == "unknown"


class _FakeEngine(http.server.BaseHTTPRequestHandler):
    """Answers like an engine whose image list refuses the reference filter (or fails otherwise)."""

    answer: tuple[int, dict] = (400, {"message": "invalid filter 'reference'"})

    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path.startswith("/version"):
            status, body = 200, {"Version": "22.06.0-beta.0-372-gd3bb8227ce.m", "ApiVersion": "1.43", "Arch": "arm64"}
        elif self.path.startswith("/v1.43/info"):
            status, body = 200, {
                "Driver": "stargz", "DriverStatus": [["driver-type", "io.containerd.snapshotter.v1"]],
                "Architecture": "aarch64", "Runtimes": {"runc": {"path": "runc"}, "io.containerd.wasmtime.v1": {}},
            }
        elif self.path.startswith("/v1.43/images/json"):
            status, body = self.answer
        else:
            status, body = 404, {"message": "page not found"}
        send_json(self, status, body)

    def address_string(self):
        return "fake-engine"

    def log_message(self, *args):
        pass


def serve_fake_engine(sock: str):
    server = socketserver.UnixStreamServer(sock, _FakeEngine)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    return server


@pytest.fixture
def fake_engine():
    """A stand-in engine on a unix socket: a real engine cannot be made to refuse the reference
    filter on demand (Engine 26.1.5 accepts it on both stores; Desktop 4.12's engine did not)."""
    d = tempfile.mkdtemp(prefix="ssw-fake-")
    sock = os.path.join(d, "docker.sock")
    server = serve_fake_engine(sock)
    yield sock
    server.shutdown()
    server.server_close()
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("answer,expected", [
    ((400, {"message": "invalid filter 'reference'"}), False),
    ((500, {"message": "something else broke"}), UNKNOWN),
    ((400, {"message": "invalid filter 'dangling'"}), UNKNOWN),
    ((200, []), True),
])
def test_reference_filter_probe_answers(fake_engine, monkeypatch, answer, expected):
    monkeypatch.setattr(_FakeEngine, "answer", answer)
    with EngineClient(f"unix://{fake_engine}") as client:
        assert probe_reference_filter(client) is expected


def test_probe_of_an_engine_that_refuses_the_filter(profile, monkeypatch, tmp_path):
    """The whole probe against a stand-in for Docker Desktop 4.12's engine (see ``fake_engine``),
    listening where the managed target looks: its issues of that era come out as applying."""
    from backend.known_issues import evaluate, load_catalog

    monkeypatch.setenv("DOCKER_CONFIG", str(tmp_path / "docker"))
    target = ManagedTarget(profile)
    profile.run_dir.mkdir(parents=True, exist_ok=True)
    server = serve_fake_engine(str(profile.managed_socket))
    try:
        facts = probe_facts(target, Settings(profile.settings_path, {}), "containerd")
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(profile.run_dir, ignore_errors=True)
    assert facts["engine_version"] == Version("22.6.0") and facts["api_version"] == Version("1.43")
    assert facts["engine_arch"] == "arm64" and facts["live_store"] == "containerd"
    assert facts["reference_filter_supported"] is False
    assert facts["wasm_runtimes"] == ["io.containerd.wasmtime.v1"]
    assert facts["kubernetes_enabled"] is False
    applies = {ev.id: ev.applies for ev in evaluate(load_catalog(), facts)}
    assert applies["reference-filter-unsupported"] == "yes"
    assert applies["arm-content-digest-not-found"] == "yes"
    assert applies["engine-too-old"] == "yes"
    assert applies["kubernetes-incompatible"] == "no"


def test_wasm_runtimes_fact_uses_the_status_rule_for_shims_without_wasm_in_the_name():
    """A spin shim is a Wasm runtime though its name lacks "wasm"; status lists it, so must the fact."""
    from backend.known_issues.facts import config_facts
    from backend.stores import wasm_runtimes

    runtimes = {"spin": {"runtimeType": "io.containerd.spin.v2"}, "runc": {"path": "runc"}}
    assert config_facts({"runtimes": runtimes})["wasm_runtimes"] == wasm_runtimes(runtimes) == ["spin"]
