"""Secrets out of JSON files and free text."""

from __future__ import annotations

import base64
import json

import pytest

from backend.redact import REDACTED, Redactor, is_secret_key


@pytest.mark.parametrize(
    "key", ["auth", "identitytoken", "registrytoken", "password", "HTTP_PASSWORD", "clientSecret", "api_key", "apiKey",
            "registry-token", "aws_secret_access_key", "PrivateKey", "credentials"],
)
def test_secret_keys(key):
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key", ["auths", "authorization-plugins", "credsStore", "credHelpers", "proxies", "http-proxy", "tlskey", "features", "author"],
)
def test_ordinary_keys(key):
    assert not is_secret_key(key)


def test_daemon_json_shapes():
    r = Redactor()
    auth = base64.b64encode(b"alice:Regi$try-pass-77").decode()
    config = {
        "proxies": {"http-proxy": "http://bob:Pr0xy-pass-42@proxy.corp.example:3128", "no-proxy": "localhost,127.0.0.1"},
        "registry-mirrors": ["https://mirror-user:Mirror-pass-9@mirror.example"],
        "auths": {"registry.example.com": {"auth": auth, "identitytoken": "id-token-123456"}},
        "authorization-plugins": ["authz-broker"],
        "features": {"containerd-snapshotter": True},
        "labels": ["team=infra", "DEPLOY_TOKEN=dt-987654"],
        "nested": {"my_password": {"a": "p1-deep-secret", "b": ["p2-deep-secret"], "n": 1234}},
    }
    out = r.redact_json(config)
    assert out["proxies"] == {"http-proxy": f"http://{REDACTED}@proxy.corp.example:3128", "no-proxy": "localhost,127.0.0.1"}
    assert out["registry-mirrors"] == [f"https://{REDACTED}@mirror.example"]
    assert out["auths"] == {"registry.example.com": {"auth": REDACTED, "identitytoken": REDACTED}}
    assert out["authorization-plugins"] == ["authz-broker"]
    assert out["features"] == {"containerd-snapshotter": True}
    assert out["labels"] == ["team=infra", f"DEPLOY_TOKEN={REDACTED}"]
    assert out["nested"] == {"my_password": {"a": REDACTED, "b": [REDACTED], "n": REDACTED}}
    # what it learned: each secret, and the halves of the base64 registry auth
    for secret in ["Pr0xy-pass-42", auth, "Regi$try-pass-77", "alice:Regi$try-pass-77", "id-token-123456", "dt-987654",
                   "p1-deep-secret", "Mirror-pass-9"]:
        assert secret in r.known
    assert config["proxies"]["http-proxy"].startswith("http://bob:")  # the input is not modified


def test_text_patterns():
    r = Redactor()
    text = "\n".join([
        'time="t" level=info msg="proxy http://u:Pa55word-x@proxy:3128 configured"',
        "env: GITHUB_TOKEN=ghp_abcdef123456 PATH=/usr/bin",
        'DB_PASSWORD="with spaces inside" next',
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig",
        '{"username": "u", "password": "json-pass-1", "auth": ""}',
        "nothing secret here: overlay2 driver, 3 images",
    ])
    out = r.redact_text(text)
    for secret in ["Pa55word-x", "ghp_abcdef123456", "with spaces inside", "eyJhbGciOiJIUzI1NiJ9", "json-pass-1"]:
        assert secret not in out
    assert "nothing secret here: overlay2 driver, 3 images" in out
    assert "PATH=/usr/bin" in out and "proxy:3128" in out


def test_learned_secrets_are_scrubbed_from_text():
    r = Redactor()
    r.learn({"auths": {"x": {"auth": base64.b64encode(b"carol:Learned-pass-5").decode()}}})
    out = r.redact_text("login failed for carol with Learned-pass-5 (echoed by a careless daemon)")
    assert "Learned-pass-5" not in out and REDACTED in out


def test_short_values_are_redacted_in_place_but_not_scrubbed_everywhere():
    r = Redactor()
    assert r.redact_json({"password": "abc"}) == {"password": REDACTED}
    assert r.redact_text("abc is a common word") == "abc is a common word"


def test_scrub_bytes_catches_escaped_forms():
    r = Redactor()
    r.learn({"token": "tök-en-sécret"})
    data = '{"x": "tök-en-sécret", "y": "t\\u00f6k-en-s\\u00e9cret"}'.encode()
    assert b"en-s" not in r.scrub_bytes(data).replace(b"REDACTED", b"")


# Passwords as people type them: dockerd takes them unencoded in proxy and mirror URLs (issue 13, point 7).
HARD_PASSWORDS = ["Pa@ss_9999", "pa:ss:99zz", "pa/ss/9x9x", "p%40ss%3Aw%2Fd", "a@b:c/d%25e-77", "@leading-at-1", "trail@"]
URL_KEYS = [("http-proxy",), ("https-proxy",), ("no-proxy",), ("proxies", "http-proxy"), ("proxies", "https-proxy"),
            ("proxies", "default", "httpProxy"), ("proxies", "default", "httpsProxy"), ("proxies", "default", "ftpProxy"),
            ("registry-mirrors", 0), ("registry-mirrors", 1)]


def _nest(path, value):
    for key in reversed(path):
        value = [value, value] if isinstance(key, int) else {key: value}
    return value


@pytest.mark.parametrize("password", HARD_PASSWORDS)
@pytest.mark.parametrize("path", URL_KEYS, ids=lambda p: ".".join(map(str, p)))
def test_hard_passwords_never_leave_a_proxy_or_mirror_key(password, path):
    r = Redactor()
    for url in (f"http://carol:{password}@proxy.example:3128", f"https://carol:{password}@mirror.example/v2/",
                f"carol:{password}@proxy.example:3128"):
        out = json.dumps(r.redact_json(_nest(path, url)))
        assert password not in out and "carol" not in out, out
        assert "proxy.example:3128" in out or "mirror.example" in out  # the host stays: support needs it
        assert REDACTED in out
        log = f'level=info msg="using proxy {url} for pulls"\n'
        assert password not in r.redact_text(log)
        assert password.encode() not in r.scrub_bytes(f"echo {password}".encode())
