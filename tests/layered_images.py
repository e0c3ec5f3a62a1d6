"""Images with chosen (and shared) layers, made without a registry: a ``docker save`` archive.

``POST /images/create?fromSrc=-`` makes one-layer images only; the reclaim tests need images that
share a base layer, so that removing one of them frees only its own layer. A ``docker save``
archive (``manifest.json``, one config per image, one ``layer.tar`` per layer) loads with
``POST /images/load`` on both stores. Layers hold random bytes, so they do not compress away and
each layer is distinct unless the same bytes are given to two images.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform

from backend.oci_archive import _tar as tar_of  # the same tar writer as the multi-platform check's archive

ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def layer(size: int, name: str = "data.bin") -> bytes:
    """An uncompressed layer tar holding one file of *size* random bytes."""
    return tar_of([(name, os.urandom(size))])


def save_archive(images: dict[str, list[bytes]]) -> bytes:
    """A ``docker save`` archive of *images*: ``{"name:tag": [layer tar, ...]}``."""
    files: dict[str, bytes] = {}
    manifest = []
    for ref, layers in images.items():
        names = []
        for data in layers:
            hexd = hashlib.sha256(data).hexdigest()
            files[f"{hexd}/layer.tar"] = data
            names.append(f"{hexd}/layer.tar")
        config = json.dumps({
            "architecture": ARCH, "os": "linux", "config": {"Cmd": ["/none"]},
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(d).hexdigest()}" for d in layers]},
            "history": [{"created_by": f"storeswitch test layer {n}"} for n in range(len(layers))],
        }).encode()
        config_name = f"{hashlib.sha256(config).hexdigest()}.json"
        files[config_name] = config
        manifest.append({"Config": config_name, "RepoTags": [ref], "Layers": names})
    files["manifest.json"] = json.dumps(manifest).encode()
    return tar_of(files.items())
