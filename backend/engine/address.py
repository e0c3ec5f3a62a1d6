"""The docker CLI's rules for finding the engine, so storeswitch talks to the engine ``docker`` does.

Order (as docker/cli resolves it): ``--host`` / ``DOCKER_HOST``; then ``DOCKER_CONTEXT``; then
``currentContext`` in ``$DOCKER_CONFIG/config.json`` (default ``~/.docker``), whose endpoint is
in ``contexts/meta/<sha256 of the name>/meta.json`` at ``Endpoints.docker.Host``; else the
default socket. The context named ``default`` means "no context".
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from backend.errors import ConfigError

DEFAULT_HOST = "unix:///var/run/docker.sock"


@dataclass(frozen=True)
class EngineAddress:
    host: str  # unix:///path or tcp://host:port
    source: str  # how it was chosen, for status and diagnostics


def docker_config_dir(env: dict[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("DOCKER_CONFIG"):
        return Path(env["DOCKER_CONFIG"])
    return Path(env.get("HOME", str(Path.home()))) / ".docker"


def resolve_address(explicit: str | None = None, env: dict[str, str] | None = None) -> EngineAddress:
    env = dict(os.environ if env is None else env)
    if explicit:
        return EngineAddress(explicit, "--host")
    if env.get("DOCKER_HOST"):
        return EngineAddress(env["DOCKER_HOST"], "DOCKER_HOST")
    cfg_dir = docker_config_dir(env)
    context = env.get("DOCKER_CONTEXT")
    source = "DOCKER_CONTEXT"
    if not context:
        cfg = cfg_dir / "config.json"
        if cfg.is_file():
            try:
                context = json.loads(cfg.read_text(encoding="utf-8")).get("currentContext")
            except (OSError, ValueError, AttributeError) as exc:
                raise ConfigError(f"{cfg}: cannot read currentContext ({exc}); fix or remove the file") from exc
            source = f"currentContext in {cfg}"
    if context and context != "default":
        import hashlib  # only for a named context (it loads OpenSSL: the GUI's first paint waits for this module)

        meta = cfg_dir / "contexts" / "meta" / hashlib.sha256(context.encode()).hexdigest() / "meta.json"
        try:
            data = json.loads(meta.read_text(encoding="utf-8"))
            host = data["Endpoints"]["docker"]["Host"]
        except FileNotFoundError as exc:
            raise ConfigError(
                f"docker context {context!r} ({source}) has no metadata at {meta}; "
                "run `docker context ls` to see the contexts that exist"
            ) from exc
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{meta}: cannot read Endpoints.docker.Host for context {context!r} ({exc})") from exc
        return EngineAddress(host, f"context {context!r} ({source})")
    return EngineAddress(DEFAULT_HOST, "default socket")
