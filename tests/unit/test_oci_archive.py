"""The generated multi-platform OCI archive, and the reader that counts what an export kept.

No engine: these check the archive against the OCI image-layout rules the engine relies on
(content addressed blobs, index -> manifests -> config + layers). The real load/export round
trip is in tests/engine/test_multiplatform_check.py.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import pytest

from backend.oci_archive import (
    NAME_ANNOTATION,
    OCI_INDEX,
    ArchiveError,
    build_archive,
    complete_platforms,
    read_members,
    split_platform,
)

NAME = "docker.io/storeswitch-check/multiplatform:t1"


def _retar(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _blob(files: dict[str, bytes], digest: str) -> dict:
    return json.loads(files["blobs/sha256/" + digest.split(":", 1)[1]])


def test_layout_is_content_addressed_and_names_the_image():
    archive = build_archive(NAME)
    files = read_members(archive.data)
    assert json.loads(files["oci-layout"]) == {"imageLayoutVersion": "1.0.0"}
    for path, data in files.items():
        if path.startswith("blobs/sha256/"):
            assert hashlib.sha256(data).hexdigest() == path.rsplit("/", 1)[1], path
    top = json.loads(files["index.json"])
    (desc,) = top["manifests"]
    assert desc["mediaType"] == OCI_INDEX
    assert desc["annotations"][NAME_ANNOTATION] == NAME
    assert desc["digest"] == archive.index_digest
    index = _blob(files, desc["digest"])
    assert [m["platform"] for m in index["manifests"]] == [
        {"os": "linux", "architecture": "amd64"},
        {"os": "linux", "architecture": "arm64"},
    ]
    for m in index["manifests"]:
        manifest = _blob(files, m["digest"])
        config = _blob(files, manifest["config"]["digest"])
        assert (config["os"], config["architecture"]) == (m["platform"]["os"], m["platform"]["architecture"])
        (layer,) = manifest["layers"]
        assert config["rootfs"]["diff_ids"] == [layer["digest"]]  # uncompressed: diff id == digest
        with tarfile.open(fileobj=io.BytesIO(files["blobs/sha256/" + layer["digest"][7:]])) as t:
            text = t.extractfile("platform.txt").read().decode()
        assert m["platform"]["architecture"] in text


def test_reader_finds_both_platforms_and_archive_is_reproducible():
    a, b = build_archive(NAME), build_archive(NAME)
    assert complete_platforms(a.data) == ["linux/amd64", "linux/arm64"]
    assert a.data == b.data
    assert build_archive(NAME.replace("t1", "t2")).data != a.data


def test_a_platform_whose_layer_is_missing_does_not_count():
    files = read_members(build_archive(NAME).data)
    index = _blob(files, json.loads(files["index.json"])["manifests"][0]["digest"])
    arm = next(m for m in index["manifests"] if m["platform"]["architecture"] == "arm64")
    layer = _blob(files, arm["digest"])["layers"][0]["digest"]
    del files["blobs/sha256/" + layer[7:]]
    assert complete_platforms(_retar(files)) == ["linux/amd64"]


def test_manifest_without_platform_is_placed_by_its_config():
    """``docker save`` of a single-platform image lists the manifest with no platform field."""
    files = read_members(build_archive(NAME, ["linux/arm64/v8"]).data)
    top = json.loads(files["index.json"])
    index = _blob(files, top["manifests"][0]["digest"])
    plain = {k: v for k, v in index["manifests"][0].items() if k != "platform"}
    files["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [plain]}).encode()
    assert complete_platforms(_retar(files)) == ["linux/arm64/v8"]


def test_unreadable_archives_say_what_is_wrong():
    with pytest.raises(ArchiveError, match="not a tar"):
        complete_platforms(b"this is not a tar archive at all" * 40)
    with pytest.raises(ArchiveError, match="no index.json"):
        complete_platforms(_retar({"manifest.json": b"[]"}))


@pytest.mark.parametrize("bad", ["linux", "linux/", "/amd64", "a/b/c/d", ""])
def test_platform_strings_are_checked(bad):
    with pytest.raises(ValueError, match="OS/ARCH"):
        split_platform(bad)
    assert split_platform("linux/arm/v7") == {"os": "linux", "architecture": "arm", "variant": "v7"}
