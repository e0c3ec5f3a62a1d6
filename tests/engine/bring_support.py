"""Images for the bring tests, made without a registry: a tar of random (incompressible) bytes
generated at test time and imported through the engine's API (``POST /images/create?fromSrc=-``),
streamed from a file so that a 200 MB image never sits in the test's memory."""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
from pathlib import Path

from backend.engine.api import EngineClient
from backend.inspect.containerd import BLOBS

MB = 1 << 20


def random_tar(path: Path, size: int, name: str = "data.bin") -> Path:
    """A one-file tar whose file holds *size* random bytes (written 4 MB at a time)."""
    with open(path, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = size

        class Random:
            left = size

            def read(self, n: int = -1) -> bytes:
                n = self.left if n < 0 else min(n, self.left)
                self.left -= n
                return os.urandom(n)

        tar.addfile(info, Random())
    return path


def import_random_image(client: EngineClient, repo: str, tag: str, size: int) -> str:
    """An image of one layer of *size* random bytes; returns its ID."""
    with tempfile.TemporaryDirectory(prefix="ssw-img-") as tmp:
        tar = random_tar(Path(tmp) / "layer.tar", size)

        def chunks():
            with open(tar, "rb") as f:
                while block := f.read(4 * MB):
                    yield block

        resp = client.request("POST", "/images/create", params={"fromSrc": "-", "repo": repo, "tag": tag},
                              content=chunks(), headers={"Content-Type": "application/x-tar"}, timeout=600)
        assert '"error"' not in resp.text, resp.text
    return client.inspect_image(f"{repo}:{tag}")["Id"]


def content_blob(data_root: Path, digest: str) -> dict:
    """A JSON blob of the managed engine's containerd content store, read from disk (not through the engine)."""
    algo, _, hexd = digest.partition(":")
    return json.loads((data_root / "containerd" / "daemon" / BLOBS / algo / hexd).read_bytes())
