"""The docker CLI's address rules: DOCKER_HOST, DOCKER_CONTEXT, currentContext, contexts on disk.

The contexts are written the way ``docker context create`` lays them out:
``$DOCKER_CONFIG/contexts/meta/<sha256 of the name>/meta.json``.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from backend.engine.address import DEFAULT_HOST, docker_config_dir, resolve_address
from backend.errors import ConfigError


def write_context(config_dir, name: str, host: str) -> None:
    meta = config_dir / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text(json.dumps({
        "Name": name,
        "Metadata": {"Description": "test context"},
        "Endpoints": {"docker": {"Host": host, "SkipTLSVerify": False}},
    }))


@pytest.fixture
def cfg(tmp_path):
    d = tmp_path / "dockercfg"
    d.mkdir()
    return d


def test_nothing_set_means_the_default_socket(cfg):
    address = resolve_address(env={"DOCKER_CONFIG": str(cfg)})
    assert address.host == DEFAULT_HOST == "unix:///var/run/docker.sock"
    assert address.source == "default socket"


def test_docker_host_wins_over_contexts(cfg):
    write_context(cfg, "remote", "tcp://10.0.0.9:2375")
    (cfg / "config.json").write_text(json.dumps({"currentContext": "remote"}))
    env = {"DOCKER_CONFIG": str(cfg), "DOCKER_HOST": "unix:///run/user/1000/docker.sock", "DOCKER_CONTEXT": "remote"}
    address = resolve_address(env=env)
    assert (address.host, address.source) == ("unix:///run/user/1000/docker.sock", "DOCKER_HOST")


def test_explicit_host_wins_over_everything(cfg):
    env = {"DOCKER_CONFIG": str(cfg), "DOCKER_HOST": "tcp://a:1"}
    assert resolve_address("tcp://b:2", env=env).host == "tcp://b:2"


def test_docker_context_names_a_context_on_disk(cfg):
    write_context(cfg, "colima", "unix:///home/u/.colima/default/docker.sock")
    write_context(cfg, "other", "tcp://other:2375")
    (cfg / "config.json").write_text(json.dumps({"currentContext": "other"}))
    address = resolve_address(env={"DOCKER_CONFIG": str(cfg), "DOCKER_CONTEXT": "colima"})
    assert address.host == "unix:///home/u/.colima/default/docker.sock"
    assert "colima" in address.source and "DOCKER_CONTEXT" in address.source


def test_current_context_from_config_json(cfg):
    write_context(cfg, "desktop-linux", "unix:///home/u/.docker/desktop/docker.sock")
    (cfg / "config.json").write_text(json.dumps({"auths": {}, "currentContext": "desktop-linux"}))
    address = resolve_address(env={"DOCKER_CONFIG": str(cfg)})
    assert address.host == "unix:///home/u/.docker/desktop/docker.sock"
    assert str(cfg / "config.json") in address.source


def test_docker_config_defaults_to_home_dot_docker(tmp_path):
    home = tmp_path / "home"
    write_context(home / ".docker", "rootless", "unix:///run/user/1000/docker.sock")
    (home / ".docker" / "config.json").write_text(json.dumps({"currentContext": "rootless"}))
    env = {"HOME": str(home)}
    assert docker_config_dir(env) == home / ".docker"
    assert resolve_address(env=env).host == "unix:///run/user/1000/docker.sock"


@pytest.mark.parametrize("how", ["env", "config"])
def test_the_default_context_means_no_context(cfg, how):
    env = {"DOCKER_CONFIG": str(cfg)}
    if how == "env":
        env["DOCKER_CONTEXT"] = "default"
    else:
        (cfg / "config.json").write_text(json.dumps({"currentContext": "default"}))
    assert resolve_address(env=env).host == DEFAULT_HOST


def test_config_json_without_current_context(cfg):
    (cfg / "config.json").write_text(json.dumps({"auths": {"https://index.docker.io/v1/": {}}}))
    assert resolve_address(env={"DOCKER_CONFIG": str(cfg)}).host == DEFAULT_HOST


def test_missing_context_metadata_says_what_to_run(cfg):
    with pytest.raises(ConfigError) as err:
        resolve_address(env={"DOCKER_CONFIG": str(cfg), "DOCKER_CONTEXT": "gone"})
    assert "'gone'" in str(err.value)
    assert "docker context ls" in str(err.value)


@pytest.mark.parametrize("meta", ["{not json", json.dumps({"Endpoints": {}}), json.dumps([1, 2])])
def test_broken_context_metadata_names_the_file(cfg, meta):
    name = "broken"
    path = cfg / "contexts" / "meta" / hashlib.sha256(name.encode()).hexdigest() / "meta.json"
    path.parent.mkdir(parents=True)
    path.write_text(meta)
    with pytest.raises(ConfigError) as err:
        resolve_address(env={"DOCKER_CONFIG": str(cfg), "DOCKER_CONTEXT": name})
    assert str(path) in str(err.value)
    assert "Endpoints.docker.Host" in str(err.value)


@pytest.mark.parametrize("text", ["{oops", "[]"])
def test_unreadable_config_json_names_the_file(cfg, text):
    (cfg / "config.json").write_text(text)
    with pytest.raises(ConfigError) as err:
        resolve_address(env={"DOCKER_CONFIG": str(cfg)})
    assert str(cfg / "config.json") in str(err.value)
