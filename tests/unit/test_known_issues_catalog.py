"""The catalog loads strictly: every mistake names the file, the line and the issue."""

from __future__ import annotations

import re

import pytest

from backend.known_issues import CatalogError, load_catalog, parse_catalog
from backend.known_issues.catalog import ENV_OVERRIDE, SCHEMA_VERSION, SEVERITIES

REQUIRED_IDS = {
    "buildx-too-old", "kubernetes-incompatible", "registry-mirrors-ignored", "reference-filter-unsupported",
    "pull-access-denied-without-manifest-list", "arm-content-digest-not-found", "engine-too-old",
    "userns-remap-conflict", "containerd-root-not-moved", "disk-usage-higher", "save-needs-platform",
    "wasm-needs-containerd",
}

GOOD = '''\
schema_version = 1

[[issue]]
id = "first-issue"
title = "First"
severity = "warning"
symptom = "Something shows."
workaround = "Do this."
link = "https://docs.docker.com/engine/storage/containerd/"
[issue.when]
store_after = "containerd"
buildx_version = "<0.9.0"

[[issue]]
id = "second-issue"
title = "Second"
severity = "info"
symptom = """A multi-line
symptom with id = "not-this" inside."""
workaround = "Do that."
link = "https://github.com/moby/moby/issues/43847"
see_also = ["https://docs.docker.com/desktop/containerd/"]
[issue.when]
store_after = ["classic", "containerd"]
any_set = ["registry_mirrors", "insecure_registries"]
kubernetes_enabled = false
'''


def line_of(text: str, needle: str, nth: int = 1) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[nth - 1]


def broken(old: str, new: str, nth: int = 1) -> str:
    parts = GOOD.split(old)
    assert len(parts) > nth, f"{old!r} occurs fewer than {nth} times"
    return old.join(parts[:nth]) + new + old.join(parts[nth:])


def error_for(text: str) -> CatalogError:
    with pytest.raises(CatalogError) as err:
        parse_catalog(text, "known_issues.toml")
    return err.value


def test_good_catalog_parses():
    cat = parse_catalog(GOOD)
    assert cat.ids == ("first-issue", "second-issue")
    second = cat["second-issue"]
    assert second.see_also == ("https://docs.docker.com/desktop/containerd/",)
    assert second.fact_names == ("store_after", "registry_mirrors", "insecure_registries", "kubernetes_enabled")
    assert second.line == line_of(GOOD, "[[issue]]", 2)


def test_damaged_toml_names_line_and_issue():
    text = broken('workaround = "Do that."', 'workaround = "Do that.')
    err = error_for(text)
    assert err.line == line_of(text, 'workaround = "Do that.')
    assert err.issue_id == "second-issue"
    assert f"line {err.line}" in str(err) and "second-issue" in str(err) and "not valid TOML" in str(err)


def test_unknown_key_names_line_issue_and_suggests():
    text = broken('severity = "warning"', 'sevrity = "warning"')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "sevrity"), "first-issue")
    assert "unknown key 'sevrity'" in str(err) and "did you mean 'severity'" in str(err)


def test_unknown_subtable_names_its_header():
    text = GOOD + "[issue.whenever]\nx = 1\n"
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "[issue.whenever]"), "second-issue")


@pytest.mark.parametrize("bad", ["<<0.9.0", "0.9.0", ">= banana", "~> 1.0", ""])
def test_bad_version_range(bad):
    text = broken('buildx_version = "<0.9.0"', f'buildx_version = "{bad}"')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "buildx_version"), "first-issue")
    assert "bad version range" in str(err)


def test_version_condition_must_be_a_string():
    err = error_for(broken('buildx_version = "<0.9.0"', "buildx_version = 0.9"))
    assert "version range" in str(err) and err.issue_id == "first-issue"


def test_unknown_fact_names_line_and_issue():
    text = broken('buildx_version = "<0.9.0"', 'buildx_ver = "<0.9.0"')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "buildx_ver"), "first-issue")
    assert "unknown fact 'buildx_ver'" in str(err) and "did you mean 'buildx_version'" in str(err)


def test_unknown_fact_in_any_set():
    text = broken('"insecure_registries"]', '"insecure-registries"]')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "any_set"), "second-issue")
    assert "unknown fact 'insecure-registries'" in str(err)


def test_any_set_takes_only_presence_facts():
    err = error_for(broken('any_set = ["registry_mirrors", "insecure_registries"]', 'any_set = ["kubernetes_enabled"]'))
    assert "presence facts" in str(err) and err.issue_id == "second-issue"


def test_unknown_severity():
    text = broken('severity = "info"', 'severity = "critical"')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, 'severity = "critical"'), "second-issue")
    assert all(s in str(err) for s in SEVERITIES)


def test_duplicate_id_names_the_second():
    text = broken('id = "second-issue"', 'id = "first-issue"')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, 'id = "first-issue"', 2), "first-issue")
    assert f"first defined at line {line_of(text, '[[issue]]', 1)}" in str(err)


@pytest.mark.parametrize("old,new,words", [
    ('store_after = "containerd"', 'store_after = "overlay2"', "cannot be 'overlay2'"),
    ("kubernetes_enabled = false", 'kubernetes_enabled = "no"', "true or false"),
    ('any_set = ["registry_mirrors", "insecure_registries"]', 'userns_remap = "default"', "true (set) or false"),
    ('link = "https://github.com/moby/moby/issues/43847"', 'link = "http://example.com"', "not an https:// URL"),
    ('id = "second-issue"', 'id = "Second Issue"', "lowercase words"),
    ('title = "Second"', 'title = ""', "'title' must be a non-empty string"),
])
def test_values_that_do_not_fit(old, new, words):
    text = broken(old, new)
    err = error_for(text)
    assert words in str(err)
    assert err.line == line_of(text, new.split(" =")[0].strip() + " =", 2 if new.startswith(("id", "link", "title")) else 1)


def test_missing_key_names_the_issue_header():
    text = broken('workaround = "Do this."\n', "")
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "[[issue]]"), "first-issue") and "missing key 'workaround'" in str(err)


def test_inline_when_table_lines_are_found():
    text = GOOD.replace('[issue.when]\nstore_after = "containerd"\nbuildx_version = "<0.9.0"',
                        'when = { store_after = "containerd", buildx_versio = "<0.9.0" }')
    err = error_for(text)
    assert (err.line, err.issue_id) == (line_of(text, "when = {"), "first-issue")


def test_unknown_top_level_key_and_newer_schema():
    err = error_for("schema_versoin = 1\n" + GOOD)
    assert err.line == 1 and "did you mean 'schema_version'" in str(err)
    err = error_for(GOOD.replace("schema_version = 1", f"schema_version = {SCHEMA_VERSION + 1}"))
    assert err.line == 1 and "newer than this storeswitch" in str(err)


def test_packaged_catalog_is_complete_and_sourced():
    cat = load_catalog()
    assert REQUIRED_IDS <= set(cat.ids)
    assert cat["kubernetes-incompatible"].severity == "blocker"
    assert cat["wasm-needs-containerd"].severity == "warning"
    for issue in cat:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", issue.id)
        assert issue.link.startswith(("https://docs.docker.com/", "https://github.com/")), issue.id
        assert all(u.startswith("https://") for u in issue.see_also)
        assert issue.symptom and issue.workaround and issue.title


def test_override_file_and_its_errors(tmp_path, monkeypatch):
    path = tmp_path / "hand-edited.toml"
    path.write_text(broken('severity = "info"', 'severity = "severe"'))
    monkeypatch.setenv(ENV_OVERRIDE, str(path))
    with pytest.raises(CatalogError) as err:
        load_catalog()
    assert str(err.value).startswith(f"{path}, line {line_of(path.read_text(), 'severe')}, issue 'second-issue'")
    path.write_text(GOOD)
    assert load_catalog().ids == ("first-issue", "second-issue")
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(tmp_path / "missing.toml")


# --- capped and printed safely (issue 13, point 13) ---------------------------------------------
def _issue_block(n: int, title: str = "A title") -> str:
    return (f'[[issue]]\nid = "issue-{n}"\ntitle = "{title}"\nseverity = "info"\nsymptom = "s"\nworkaround = "w"\n'
            f'link = "https://example.com/{n}"\n[issue.when]\nstore_after = "containerd"\n\n')


def test_a_catalog_with_too_many_issues_is_refused():
    from backend.known_issues.catalog import MAX_ISSUES

    text = "schema_version = 1\n\n" + "".join(_issue_block(n) for n in range(MAX_ISSUES + 1))
    with pytest.raises(CatalogError, match=f"too many issues \\({MAX_ISSUES + 1}; at most {MAX_ISSUES}\\)"):
        parse_catalog(text, "big.toml")


def test_a_catalog_too_large_is_refused_before_parsing():
    from backend.known_issues.catalog import MAX_BYTES

    text = "schema_version = 1\n# " + "x" * MAX_BYTES + "\n" + _issue_block(1)
    with pytest.raises(CatalogError, match="too large"):
        parse_catalog(text, "huge.toml")


def test_catalog_text_reaches_the_terminal_with_control_characters_escaped():
    from backend.commands.known_issues import issue_lines
    from backend.known_issues.catalog import safe_text
    from backend.known_issues.evaluate import Evaluation

    nasty = "Red \\u001b[31mALERT\\u001b[0m \\u001b]8;;https://evil.example\\u0007click\\u001b]8;;\\u0007 over\\rwrite"
    catalog = parse_catalog("schema_version = 1\n\n" + _issue_block(1, nasty), "nasty.toml")
    issue = catalog["issue-1"]
    assert "\x1b" in issue.title  # the data is kept as written (JSON output escapes it anyway)
    lines = issue_lines(Evaluation(issue, "yes", {}), detailed=True)
    printed = "\n".join(lines)
    assert not any(ch in printed for ch in "\x1b\x07\r")
    assert "\\x1b[31mALERT" in printed and "\\r" in printed
    assert safe_text("tab\tand\nnewline é ü") == "tab\tand\nnewline é ü"
