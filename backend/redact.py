"""Secrets out of everything that leaves the machine in a report or a support bundle.

What counts as a secret (the things daemon.json, docker's ``config.json``, storeswitch's settings
and an engine log can hold):

* the value of any key that names one: ``auth``, ``identitytoken``, ``registrytoken``, and any key
  containing ``password``, ``passwd``, ``secret``, ``token``, ``credential``, ``apikey``,
  ``api_key``, ``private_key`` or ``privatekey`` (case-insensitive); every string inside it too;
* the user and password of a URL (``http://user:pass@proxy:3128`` -> ``http://REDACTED@proxy:3128``),
  wherever it appears, in JSON values or in free text. The userinfo runs to the *last* ``@``
  before the end of the URL: dockerd accepts a password with an unencoded ``@``, ``:`` or ``/``
  (``http://carol:Pa@ss@proxy:3128``), and stopping at the first ``@`` leaked the rest. A proxy
  or mirror value without a scheme (``carol:pw@proxy:3128``, which Go's proxy reader accepts)
  loses everything before its last ``@`` too;
* in free text (a log): ``NAME=value`` where NAME names a secret (``GITHUB_TOKEN=...``,
  ``DB_PASSWORD=...``), ``Authorization: Basic|Bearer ...``, and ``"password": "..."`` style pairs.

A :class:`Redactor` also remembers every secret it removed from structured files, and scrubs those
exact strings (and, for a registry ``auth``, the user and password it decodes to) from free text:
a log line that echoes a password from daemon.json is cleaned even though no pattern knew it.

Written by hand because no maintained library knows docker's files; the rules are a dozen lines.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

REDACTED = "REDACTED"

_SECRET_EXACT = {"auth", "identitytoken", "registrytoken", "pass", "pwd", "authorization", "cookie"}
_SECRET_PARTS = ("password", "passwd", "secret", "token", "credential", "apikey", "api_key", "private_key", "privatekey", "passphrase")

# scheme://user[:password]@host -- the userinfo part is dropped whole
# (greedy: to the last "@" before whitespace or a quote; over-redacting a path is the safe mistake)
_URL_USERINFO = re.compile(r"(?P<scheme>\b[a-zA-Z][a-zA-Z0-9+.\-]*://)(?P<userinfo>[^\s\"'<>]+)@")
_BARE_USERINFO = re.compile(r"^(?P<userinfo>[^\s\"'<>]+)@(?P<host>[^\s@\"'<>/]+)$")
_URL_KEY_PARTS = ("proxy", "mirror")
_ENV_SECRET = re.compile(
    r"(?P<name>\b[A-Za-z0-9_.\-]*(?:PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|API_?KEY|PRIVATE_?KEY)[A-Za-z0-9_.\-]*)"
    r"(?P<sep>\s*[=:]\s*)(?P<value>\"[^\"]*\"|'[^']*'|[^\s,;&\"']+)",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(r"(?P<head>\b(?:Basic|Bearer|Token)\s+)(?P<value>[A-Za-z0-9+/=._~\-]{6,})", re.IGNORECASE)
_JSON_PAIR = re.compile(
    r"(?P<key>\"[^\"]*(?:password|passwd|secret|token|auth|credential|apikey|api_key)[^\"]*\"\s*:\s*)\"(?P<value>(?:[^\"\\]|\\.)*)\"",
    re.IGNORECASE,
)
_MIN_SECRET_LEN = 6  # shorter remembered values would scrub ordinary words from a log


def is_secret_key(key: str) -> bool:
    low = str(key).lower().replace("-", "").replace(" ", "")
    return low in _SECRET_EXACT or any(part.replace("_", "") in low.replace("_", "") for part in _SECRET_PARTS)


class Redactor:
    """Redacts JSON values and text, remembering the secrets it saw so it can scrub them anywhere."""

    def __init__(self) -> None:
        self.known: set[str] = set()

    # --- remembering --------------------------------------------------------------------
    def _remember(self, value: str) -> None:
        if len(value) >= _MIN_SECRET_LEN:
            self.known.add(value)
        decoded = _maybe_base64_userpass(value)
        if decoded:
            user, password = decoded
            self.known.add(f"{user}:{password}")
            if len(password) >= _MIN_SECRET_LEN:
                self.known.add(password)

    def learn(self, obj: Any) -> None:
        """Remember the secrets in *obj* without changing it (call on every source first)."""
        self.redact_json(obj)

    # --- structured ---------------------------------------------------------------------
    def redact_json(self, obj: Any, secret: bool = False, url_key: bool = False) -> Any:
        """A copy of *obj* with secret values replaced by ``REDACTED``; keys and shape kept."""
        if isinstance(obj, dict):
            return {k: self.redact_json(v, secret or is_secret_key(k), url_key or _names_urls(k)) for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.redact_json(v, secret, url_key) for v in obj]
        if isinstance(obj, str):
            if secret:
                if obj:
                    self._remember(obj)
                    return REDACTED
                return obj
            if url_key and "://" not in obj:
                obj = self._redact_bare_userinfo(obj)
            return self._redact_string(obj)
        if secret and isinstance(obj, (int, float)) and not isinstance(obj, bool):
            return REDACTED
        return obj

    def _redact_urls(self, text: str) -> str:
        def repl(m: re.Match) -> str:
            userinfo = m.group("userinfo")
            user, _, password = userinfo.partition(":")
            self._remember(userinfo)
            if password:
                self._remember(password)
            return f"{m.group('scheme')}{REDACTED}@"

        return _URL_USERINFO.sub(repl, text)

    def _redact_bare_userinfo(self, value: str) -> str:
        """``user:pass@host:port`` (a proxy without a scheme), or a comma list of them."""
        parts = []
        for part in value.split(","):
            m = _BARE_USERINFO.match(part.strip())
            if m:
                userinfo = m.group("userinfo")
                self._remember(userinfo)
                password = userinfo.partition(":")[2]
                if password:
                    self._remember(password)
                part = part.replace(userinfo + "@", f"{REDACTED}@", 1)
            parts.append(part)
        return ",".join(parts)

    def _redact_string(self, text: str) -> str:
        """One string value or line: URL userinfo, ``NAME=secret``, auth headers (values remembered)."""
        text = self._redact_urls(text)

        def env(m: re.Match) -> str:
            value = m.group("value").strip("\"'")
            if value and value != REDACTED:
                self._remember(value)
            return f"{m.group('name')}{m.group('sep')}{REDACTED}"

        def header(m: re.Match) -> str:
            self._remember(m.group("value"))
            return f"{m.group('head')}{REDACTED}"

        text = _ENV_SECRET.sub(env, text)
        return _AUTH_HEADER.sub(header, text)

    # --- free text ----------------------------------------------------------------------
    def redact_text(self, text: str) -> str:
        """A log or any text: URL userinfo, NAME=secret, auth headers, JSON pairs, remembered values."""
        text = _JSON_PAIR.sub(lambda m: f'{m.group("key")}"{REDACTED}"' if m.group("value") else m.group(0), text)
        text = self._redact_string(text)
        for secret in sorted(self.known, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def scrub_bytes(self, data: bytes) -> bytes:
        """Last pass over a finished file: no remembered secret survives, in any encoding we wrote."""
        for secret in sorted(self.known, key=len, reverse=True):
            forms = {secret, json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
            for form in sorted(forms, key=len, reverse=True):
                data = data.replace(form.encode("utf-8"), REDACTED.encode())
        return data


def _names_urls(key: str) -> bool:
    low = str(key).lower()
    return any(part in low for part in _URL_KEY_PARTS)


def _maybe_base64_userpass(value: str) -> tuple[str, str] | None:
    """A registry ``auth`` is base64("user:password"); decode it to scrub both halves elsewhere."""
    if len(value) < 8 or len(value) % 4:
        return None
    try:
        raw = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = raw.partition(":")
    return (user, password) if sep else None
