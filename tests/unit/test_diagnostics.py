"""``storeswitch diagnose`` with the engine down: both stores from disk, damage, the bundle's redaction.

The stores are synthetic ones under the profile's managed data-root; no engine runs here (the
real-engine acceptance test is tests/engine/test_diagnose_engine.py).
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
import zipfile

import pytest

from backend.cli import main
from backend.diagnostics import REPORT_SCHEMA
from backend.inspect.containerd import META_DB
from backend.journal import HistoryEntry, SwitchHistory
from backend.profile import Profile
from tests.synthetic_stores import make_classic, make_container, make_containerd

CLASSIC = ["ex/web:v1", "ex/web:v2", "alpine:3.20"]
CONTAINERD = ["ex/api:v3", "busybox:latest"]


@pytest.fixture
def stores(profile: Profile):
    data = profile.managed_data_root
    make_classic(data, CLASSIC)
    make_containerd(data / "containerd" / "daemon", CONTAINERD)
    make_container(data, "a" * 64, "web-box", "ex/web:v1", "overlay2")
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    profile.managed_config_path.write_text('{"features": {"containerd-snapshotter": true}}\n')
    return data


def run_cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["--target", "managed", "diagnose", *args])
    return code, capsys.readouterr().out


def test_json_report_with_the_engine_down(stores, profile, capsys):
    SwitchHistory(profile.history_path).append(HistoryEntry(time.time() - 60, "classic", "containerd", "switched", "ok", "managed"))
    code, out = run_cli(capsys, "--json", "--no-known-issues")
    assert code == 0
    report = json.loads(out)
    assert report["schema_version"] == REPORT_SCHEMA
    assert report["engine"]["reachable"] is False
    assert report["live_store"] is None and report["pending_restart"] is False
    assert report["config"] == {"path": str(profile.managed_config_path), "configured_store": "containerd", "error": None,
                                "configured_by": "daemon.json: features.containerd-snapshotter is true"}
    classic, containerd = report["stores"]["classic"], report["stores"]["containerd"]
    assert classic["image_names"] == sorted(CLASSIC) and classic["image_count"] == 3
    assert classic["container_count"] == 1 and classic["source"] == "disk"
    assert containerd["image_names"] == sorted(CONTAINERD) and containerd["configured"] is True
    assert classic["bytes"] > 0 and containerd["bytes"] > 0
    assert report["switches"]["entries"][0]["from"] == "classic" and report["switches"]["entries"][0]["outcome"] == "switched"
    assert report["host"]["arch"] and report["host"]["os"]
    assert report["disk"] and report["disk"][0]["free_bytes"] > 0
    assert report["switch_impact"].startswith("2 images (")
    assert "in the containerd store will be hidden, not deleted. The classic store holds 3 images and 1 container (" in report["switch_impact"]


def test_human_report_is_short_and_names_things(stores, capsys):
    code, out = run_cli(capsys, "--no-known-issues")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) < 25
    assert any(line.startswith("classic store:") and "3 images, 1 container" in line for line in lines)
    assert any("ex/web:v1" in line for line in lines) and any("busybox:latest" in line for line in lines)
    assert "engine:" in out and "not running" in out


def test_damaged_stores_say_what_could_not_be_read(stores, capsys):
    (stores / "image" / "overlay2" / "repositories.json").unlink()
    meta = stores / "containerd" / "daemon" / META_DB
    meta.write_bytes(meta.read_bytes()[:6000])
    code, out = run_cli(capsys, "--json", "--no-known-issues")
    assert code == 0
    report = json.loads(out)
    classic, containerd = report["stores"]["classic"], report["stores"]["containerd"]
    assert any("repositories.json: missing" in e for e in classic["errors"])
    assert classic["image_count"] == 3 and classic["image_names"] == []
    assert any("meta.db" in e and "truncated" in e for e in containerd["errors"])
    assert containerd["bytes"] > 0 and classic["container_count"] == 1  # the rest still comes out
    code, out = run_cli(capsys, "--no-known-issues")
    assert "! could not read:" in out and "repositories.json" in out


def test_known_issues_section(stores, capsys, monkeypatch):
    code, out = run_cli(capsys, "--json")
    ki = json.loads(out)["known_issues"]
    assert ki["available"] is True, ki["reason"]
    assert ki["store_after"] == "containerd"  # what daemon.json asks for
    assert ki["issues"], "the catalog has issues that apply or may apply to the containerd store"
    assert all({"id", "applies", "severity", "title"} <= set(i) for i in ki["issues"])
    assert all(i["applies"] in ("yes", "maybe") for i in ki["issues"])  # only those that apply or may


def test_known_issues_missing_module_is_reported(stores, capsys, monkeypatch):
    """A double for a module that is absent (a broken install): the import itself fails."""
    monkeypatch.setitem(sys.modules, "backend.known_issues", None)
    code, out = run_cli(capsys, "--json")
    assert code == 0
    ki = json.loads(out)["known_issues"]
    assert ki["available"] is False and ki["reason"].startswith("known issues unavailable:")


def test_known_issues_checker_that_fails_is_reported(stores, capsys, monkeypatch):
    """A double for a checker bug: whatever it raises, the report still comes out."""
    import backend.known_issues as ki_module

    def broken(*a, **k):
        raise RuntimeError("catalog exploded")

    monkeypatch.setattr(ki_module, "assess", broken)
    code, out = run_cli(capsys, "--json")
    assert code == 0
    assert json.loads(out)["known_issues"]["reason"] == "known issues unavailable: RuntimeError: catalog exploded"


# --- the bundle -----------------------------------------------------------------------------------
PROXY_PASS = "Pr0xy-Pa55-planted-1"
MIRROR_PASS = "Mirr0r-Pa55-planted-2"
REGISTRY_PASS = "Regi5try-Pa55-planted-3"
IDENTITY_TOKEN = "identity-token-planted-4"
SETTINGS_TOKEN = "settings-token-planted-5"
SETTINGS_PROXY_PASS = "settings-proxy-planted-6"
DOCKER_AUTH_PASS = "docker-config-planted-7"
DOCKER_IDTOKEN = "docker-idtoken-planted-8"
ENV_SECRET = "env-secret-planted-9"
LOG_BEARER = "bearer-planted-10abcdef"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def plant_secrets(profile: Profile) -> list[str]:
    daemon = {
        "features": {"containerd-snapshotter": True},
        "proxies": {"http-proxy": f"http://proxyuser:{PROXY_PASS}@proxy.corp.example:3128",
                    "https-proxy": f"https://proxyuser:{PROXY_PASS}@proxy.corp.example:3129", "no-proxy": "localhost"},
        "registry-mirrors": [f"https://mirroruser:{MIRROR_PASS}@mirror.example.com"],
        "auths": {"registry.example.com": {"auth": b64(f"reguser:{REGISTRY_PASS}"), "identitytoken": IDENTITY_TOKEN}},
        "labels": [f"DEPLOY_SECRET={ENV_SECRET}", "team=infra"],
    }
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    profile.managed_config_path.write_text(json.dumps(daemon, indent=2))
    settings = {"schema_version": 1, "target": "auto", "kubernetes_enabled": False,
                "registry_token": SETTINGS_TOKEN, "proxy": f"http://me:{SETTINGS_PROXY_PASS}@proxy.example"}
    profile.settings_path.parent.mkdir(parents=True, exist_ok=True)
    profile.settings_path.write_text(json.dumps(settings))
    docker_config = os.path.join(os.environ["DOCKER_CONFIG"], "config.json")
    os.makedirs(os.environ["DOCKER_CONFIG"], exist_ok=True)
    with open(docker_config, "w") as fh:
        json.dump({"auths": {"https://index.docker.io/v1/": {"auth": b64(f"hubuser:{DOCKER_AUTH_PASS}")},
                             "ghcr.io": {"identitytoken": DOCKER_IDTOKEN}},
                   "credsStore": "desktop", "proxies": {"default": {"httpProxy": f"http://u:{PROXY_PASS}@p:1"}}}, fh)
    profile.engine_log_path.parent.mkdir(parents=True, exist_ok=True)
    profile.engine_log_path.write_text(
        "level=info msg=\"starting\"\n"
        f"level=debug msg=\"using proxy http://proxyuser:{PROXY_PASS}@proxy.corp.example:3128\"\n"
        f"level=debug msg=\"login with {REGISTRY_PASS} and {DOCKER_AUTH_PASS}\"\n"
        f"level=debug msg=\"header Authorization: Bearer {LOG_BEARER}\"\n"
        f"level=debug msg=\"env API_TOKEN={ENV_SECRET}\"\n"
        "level=info msg=\"API listen on /tmp/x/docker.sock\"\n"
    )
    secrets = [PROXY_PASS, MIRROR_PASS, REGISTRY_PASS, IDENTITY_TOKEN, SETTINGS_TOKEN, SETTINGS_PROXY_PASS,
               DOCKER_AUTH_PASS, DOCKER_IDTOKEN, ENV_SECRET, LOG_BEARER]
    encoded = [b64(f"reguser:{REGISTRY_PASS}"), b64(f"hubuser:{DOCKER_AUTH_PASS}")]
    return secrets + encoded


def read_zip(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def test_bundle_holds_no_planted_secret(stores, profile, tmp_path, capsys):
    secrets = plant_secrets(profile)
    bundle = tmp_path / "support.zip"
    code, out = run_cli(capsys, "--json", "--bundle", str(bundle))
    assert code == 0
    files = read_zip(bundle)
    names = {n.split("/", 1)[1] for n in files}
    assert names == {"MANIFEST.json", "daemon.json", "settings.json", "docker-config.json", "engine.log", "report.json", "report.txt"}
    for name, data in files.items():
        for secret in secrets:
            assert secret.encode() not in data, f"{secret} leaked into {name}"
    # and nothing in what was printed either
    for secret in secrets:
        assert secret not in out
    # the useful parts are kept
    daemon = json.loads(files["storeswitch-diagnostics/daemon.json"])
    assert daemon["proxies"]["http-proxy"] == "http://REDACTED@proxy.corp.example:3128"
    assert daemon["auths"]["registry.example.com"] == {"auth": "REDACTED", "identitytoken": "REDACTED"}
    assert daemon["features"] == {"containerd-snapshotter": True}
    docker = json.loads(files["storeswitch-diagnostics/docker-config.json"])
    assert docker["credsStore"] == "desktop" and set(docker["auths"]) == {"https://index.docker.io/v1/", "ghcr.io"}
    assert b"API listen on" in files["storeswitch-diagnostics/engine.log"]
    report = json.loads(files["storeswitch-diagnostics/report.json"])
    assert report["stores"]["classic"]["image_names"] == sorted(CLASSIC)
    assert json.loads(out)["bundle"]["path"] == str(bundle)


def test_bundle_with_unparseable_daemon_json(stores, profile, tmp_path, capsys):
    profile.managed_config_path.write_text(
        '{"proxies": {"http-proxy": "http://u:' + PROXY_PASS + '@proxy:3128"}, "password": "' + REGISTRY_PASS + '",'
    )
    bundle = tmp_path / "b.zip"
    code, out = run_cli(capsys, "--no-known-issues", "--bundle", str(bundle))
    assert code == 0 and "bundle:" in out
    files = read_zip(bundle)
    assert "storeswitch-diagnostics/daemon.json.txt" in files
    for data in files.values():
        assert PROXY_PASS.encode() not in data and REGISTRY_PASS.encode() not in data
    manifest = json.loads(files["storeswitch-diagnostics/MANIFEST.json"])
    assert "not valid JSON" in manifest["missing"]["daemon.json"]
    report = json.loads(files["storeswitch-diagnostics/report.json"])
    assert "invalid JSON" in report["config"]["error"]


def test_bundle_replaces_atomically_and_leaves_no_temp(stores, tmp_path, capsys):
    bundle = tmp_path / "out" / "b.zip"
    bundle.parent.mkdir()
    bundle.write_bytes(b"old")
    code, _ = run_cli(capsys, "--no-known-issues", "--bundle", str(bundle))
    assert code == 0
    assert zipfile.is_zipfile(bundle)
    assert sorted(p.name for p in bundle.parent.iterdir()) == ["b.zip"]
