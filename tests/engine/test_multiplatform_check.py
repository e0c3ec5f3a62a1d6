"""Real engine: the multi-platform check says "supported" on containerd and "not supported" on classic.

The check loads a generated two-platform OCI image, exports it and counts the platforms kept.
Each run must leave the store exactly as it found it (the user's image stays, nothing is added).
"""

from __future__ import annotations

import json

from backend.cli import main
from backend.stores import Store
from backend.switch import SwitchTransaction
from tests.conftest import tiny_tar


def _check(capsys) -> tuple[int, dict]:
    rc = main(["--target", "managed", "check", "multiplatform", "--json"])
    return rc, json.loads(capsys.readouterr().out)


def _images(client) -> list[tuple[str, tuple[str, ...]]]:
    return sorted((img["Id"], tuple(img.get("RepoTags") or ())) for img in client.images())


def test_multiplatform_check_on_both_stores(managed, engine_profile, capsys):
    with managed.client() as c:
        c.import_image(tiny_tar(b"classic"), "ssw/classic", "v1")
        before = _images(c)
    rc, out = _check(capsys)
    assert rc == 0
    assert out["supported"] is False and out["store"] == "classic"
    assert out["phrase"] == "multi-platform images: not supported on the current store"
    assert "blobs/json: no such file or directory" in out["reason"]
    assert out["platforms"] == ["linux/amd64", "linux/arm64"] and out["kept"] == []
    assert out["leftover"] is None
    with managed.client() as c:
        assert _images(c) == before

    SwitchTransaction(managed, engine_profile).run(Store.CONTAINERD)
    with managed.client() as c:
        c.import_image(tiny_tar(b"containerd"), "ssw/containerd", "v1")
        before = _images(c)
    rc, out = _check(capsys)
    assert rc == 0
    assert out["supported"] is True and out["store"] == "containerd"
    assert out["phrase"] == "multi-platform images: supported on the current store"
    assert out["kept"] == ["linux/amd64", "linux/arm64"]
    assert out["leftover"] is None
    with managed.client() as c:
        assert _images(c) == before

    main(["--target", "managed", "check", "multiplatform"])
    human = capsys.readouterr().out
    assert human.splitlines()[0] == "multi-platform images: supported on the current store"
    assert "containerd store, snapshotter overlayfs" in human
