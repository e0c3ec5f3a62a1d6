"""Regenerate the README's screenshots with ``storeswitch-gui --screenshot`` (needs root and the fetched engine).

The scene: an isolated managed engine running the classic store with a few images and
containers and a Wasm runtime configured, and a daemon.json that already asks for the containerd
store (saved with ``--no-restart``), so one picture shows the status line's "restart pending",
what a switch would hide and show (both stores, read from disk), the snapshotter choice and the
known issues of the containerd store. Every tab at 1280x800 and at 900x600. Then the Experimental
tab once more with an administrator's policy locking the containerd store
(``experimental-locked-*.png``: the disabled checkbox and "Set by your administrator"). Last, the
Apply confirmation over the window (``confirmation-*.png``, :mod:`confirmation_shot`), with
Kubernetes on so that a blocker shows among the known issues.

    sudo .venv/bin/python docs/screenshots/make_screenshots.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from backend.engine.install import default_engine_dir  # noqa: E402
from backend.profile import Profile  # noqa: E402
from backend.targets.managed import ManagedTarget  # noqa: E402
from tests.conftest import tiny_tar  # noqa: E402

TABS = ("general", "docker-engine", "kubernetes", "experimental", "troubleshoot")
SIZES = ("1280x800", "900x600")
GUI = str(Path(sys.executable).with_name("storeswitch-gui"))


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="ssw-shots-"))
    home = Path(tempfile.mkdtemp(prefix="ssw-shots-home-"))
    profile = Profile.from_dir(root)
    env = dict(os.environ, STORESWITCH_PROFILE=str(root), STORESWITCH_ENGINE_DIR=str(default_engine_dir()), DOCKER_CONFIG=str(home / ".docker"), HOME=str(home),
               QT_QPA_PLATFORM="offscreen")
    os.environ.update(env)
    target = ManagedTarget(profile)
    config = {"log-level": "warn", "registry-mirrors": ["https://mirror.gcr.io"], "features": {"buildkit": True},
              "runtimes": {"io.containerd.wasmedge.v1": {"runtimeType": "io.containerd.wasmedge.v1"}}}
    profile.managed_config_path.parent.mkdir(parents=True, exist_ok=True)
    profile.managed_config_path.write_text(json.dumps(config, indent=2) + "\n")
    try:
        target.start()
        with target.client() as c:
            for name in ("web", "worker", "db"):
                c.import_image(tiny_tar(name.encode()), f"acme/{name}", "1.4")
            c.create_container("acme/web:1.4", name="web-1")
            c.create_container("acme/db:1.4", name="db-1")
        config["features"]["containerd-snapshotter"] = True  # saved for the next start: restart pending
        profile.managed_config_path.write_text(json.dumps(config, indent=2) + "\n")
        for size in SIZES:
            for tab in TABS:
                out = HERE / f"{tab}-{size}.png"
                subprocess.run([GUI, "--profile", str(root), "--screenshot", str(out), "--tab", tab, "--size", size],
                               check=True, env=env)
        policy = root / "policy.toml"  # under the root-owned profile: a place only root can write
        policy.write_text('schema_version = 1\nstore = "containerd"\nlocked = true\n'
                          'message = "All developer machines use the containerd image store. Questions: #platform-help."\n')
        for size in SIZES:
            subprocess.run([GUI, "--profile", str(root), "--screenshot", str(HERE / f"experimental-locked-{size}.png"),
                            "--tab", "experimental", "--size", size], check=True, env=dict(env, STORESWITCH_POLICY=str(policy)))
        # The Apply confirmation ("Restart to apply"), with Kubernetes on: a blocker group among the cards.
        from backend.settings import Settings

        Settings(profile.settings_path, {"kubernetes_enabled": True}).save()
        for size in SIZES:
            subprocess.run([sys.executable, str(HERE / "confirmation_shot.py"), str(HERE / f"confirmation-{size}.png"), size,
                            "--profile", str(root)], check=True, env=env)
    finally:
        target.stop()
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(profile.run_dir, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
