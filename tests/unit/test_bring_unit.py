"""The bring's pure parts: the journal's schema 2 (and old journals still loading), resolving names,
the free-space check, the archive facts, and the CLI's usage rules. The real copy is in
tests/engine/test_bring*.py."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from backend.bring import BringRefused, BroughtImage, check_space, images_of
from backend.bring_images import ImageChoice, archive_facts, resolve
from backend.journal import JOURNAL_SCHEMA, PLAIN_JOURNAL_SCHEMA, JournalDamaged, JournalEntry, SwitchJournal, encode
from backend.oci_archive import build_archive
from backend.stores import Store


def entry(**kw) -> JournalEntry:
    return JournalEntry("id1", "classic", "containerd", "managed", "/p/daemon.json", encode(b"{}"), encode(b"{}"),
                        True, True, 1.0, **kw)


def test_a_plain_switch_journal_stays_schema_1_and_a_bring_is_schema_2(tmp_path):
    journal = SwitchJournal(tmp_path / "j.json")
    journal.begin(entry())
    assert json.loads(journal.path.read_text())["schema_version"] == PLAIN_JOURNAL_SCHEMA == 1
    bring = {"archive": "/p/state/bring/id1.tar", "state": "planned", "images": [
        {"name": "a:1", "tags": ["a:1"], "size": 5, "source_id": "sha256:x", "diff_ids": ["sha256:y"]}]}
    journal.begin(entry(bring=bring))
    on_disk = json.loads(journal.path.read_text())
    assert on_disk["schema_version"] == JOURNAL_SCHEMA == 2 and on_disk["bring"]["archive"].endswith("id1.tar")
    got = journal.read()
    assert got.bring == bring and [i.name for i in images_of(got)] == ["a:1"]


def test_an_old_journal_without_bring_still_loads(tmp_path):
    path = tmp_path / "j.json"
    old = {k: v for k, v in entry().__dict__.items() if k != "bring"}
    path.write_text(json.dumps({**old, "schema_version": 1}))
    got = SwitchJournal(path).read()
    assert got.bring is None and got.to_store == "containerd"


def test_a_newer_journal_and_a_bad_bring_are_refused_not_overwritten(tmp_path):
    path = tmp_path / "j.json"
    path.write_text(json.dumps({**entry().__dict__, "schema_version": JOURNAL_SCHEMA + 1}))
    with pytest.raises(JournalDamaged, match="newer storeswitch"):
        SwitchJournal(path).read()
    path.write_text(json.dumps({**entry().__dict__, "bring": ["not", "an", "object"]}))
    with pytest.raises(JournalDamaged, match="bring"):
        SwitchJournal(path).read()
    assert "not" in path.read_text()


def test_resolve_by_tag_by_bare_name_and_by_id_and_says_what_is_missing():
    images = [ImageChoice(["app:1", "app:latest"], "sha256:" + "a" * 64, 10, ["linux/amd64"]),
              ImageChoice(["docker.io/library/db:2"[len("docker.io/library/"):]], "sha256:" + "b" * 64, 5, None)]
    chosen, missing = resolve(images, ["app", "docker.io/library/db:2", "b" * 12, "nope:1"])
    assert [c.name for c in chosen] == ["app:latest", "db:2"]  # named as asked; the ID prefix is db again
    assert chosen[0].tags == ["app:latest", "app:1"]
    assert missing == ["nope:1"]


def test_check_space_refuses_with_the_path_and_the_figures(tmp_path):
    huge = [BroughtImage("big:1", ["big:1"], 1 << 60, "sha256:x", [])]
    with pytest.raises(BringRefused) as info:
        check_space(huge, tmp_path / "bring", None, Store.CONTAINERD)
    text = str(info.value)
    assert str(tmp_path / "bring") in text and "free" in text and "Nothing was changed" in text
    check_space([BroughtImage("s:1", ["s:1"], 1000, "sha256:x", [])], tmp_path / "bring", tmp_path, Store.CLASSIC)


def test_archive_facts_read_the_config_and_manifest_per_tag(tmp_path):
    """A ``docker save``-shaped archive: the generated OCI layout plus the manifest.json both stores write."""
    archive = build_archive("docker.io/ssw/facts:v1", ["linux/amd64"])
    with tarfile.open(fileobj=io.BytesIO(archive.data)) as src:
        members = {m.name: src.extractfile(m).read() for m in src.getmembers() if m.isfile()}
    index = json.loads(members["index.json"])
    inner = json.loads(members["blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]])
    manifest_digest = inner["manifests"][0]["digest"]
    config_digest = json.loads(members["blobs/sha256/" + manifest_digest.split(":")[1]])["config"]["digest"]
    members["manifest.json"] = json.dumps([{"Config": "blobs/sha256/" + config_digest.split(":")[1],
                                             "RepoTags": ["ssw/facts:v1"], "Layers": []}]).encode()
    members["index.json"] = json.dumps({"schemaVersion": 2, "manifests": [
        {"digest": manifest_digest, "annotations": {"io.containerd.image.name": "docker.io/ssw/facts:v1"}}]}).encode()
    path = tmp_path / "a.tar"
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    facts = archive_facts(path)
    assert facts.config == {"ssw/facts:v1": config_digest}
    assert facts.manifest == {"ssw/facts:v1": manifest_digest}
    assert facts.manifest_config[manifest_digest] == config_digest


@pytest.mark.parametrize(("argv", "words"), [
    (["switch", "containerd", "--platform", "linux/amd64"], "--platform applies only with --bring"),
    (["switch", "containerd", "--bring", "a:1", "--platform", "linux/arm64"], "switch to the classic store"),
    (["switch", "classic", "--bring", "a:1", "--platform", "arm64"], "OS/ARCH"),
    (["switch", "containerd", "--bring", "a:1", "--no-restart"], "needs a restart"),
])
def test_cli_usage_errors_exit_2(argv, words, capsys):
    from backend.cli import main

    assert main(["--target", "managed", *argv]) == 2
    assert words in capsys.readouterr().err
