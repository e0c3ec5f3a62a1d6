"""The known-issue catalog: ``resources/known_issues.toml``, loaded strictly.

A catalog is data that people edit by hand, so every mistake is an error that names the file,
the line and the issue: a TOML syntax error, an unknown key, a missing key, an unknown severity,
an unknown fact name, a condition that does not fit its fact's kind, a bad version range
(``packaging.specifiers.SpecifierSet`` decides), a duplicate id, or a schema version newer than
this program. Nothing is guessed or skipped: a half-loaded list would hide issues silently.

Conditions (the ``[issue.when]`` table; every entry must hold)::

    store_after = "containerd"          enum fact: equals (or a list: any of)
    kubernetes_enabled = true           bool fact
    userns_remap = true                 presence fact (daemon.json key, wasm_runtimes): set or not
    buildx_version = "<0.9.0"           version fact: a PEP 440 range, e.g. ">=24.0, <29.0"
    any_set = ["registry_mirrors", "insecure_registries"]   at least one presence fact set

Capped: a catalog over :data:`MAX_BYTES` or :data:`MAX_ISSUES` is refused (a 20,000-issue file
slowed every switch from 2.9 s to 7.2 s; the packaged one has a few dozen). Its text is data from
a file: :func:`safe_text` escapes control characters (colours, hyperlinks, ``\r``) before any
of it reaches a terminal.

Why ``tomllib`` and a line lookup of our own: tomllib is the standard, strict TOML 1.0 reader,
but neither it nor tomlkit (a round-trip editor; this file is never written) reports where a
value sits. :class:`_LineIndex` scans the text once for table headers and ``key =`` lines
(skipping multi-line strings), which is all an error message needs.
"""

from __future__ import annotations

import difflib
import os
import pkgutil
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from backend.errors import StoreswitchError
from backend.known_issues.facts import FACTS, FactKind

# Bump rules: no bump for an added issue, a reworded text or a new optional key; bump for a
# renamed or removed key or fact, or a condition form whose meaning changes (raise the TOML's
# schema_version in the same change). A file with a higher version than this is refused.
SCHEMA_VERSION = 1

SEVERITIES = ("blocker", "warning", "info")  # most serious first: the display order
RESOURCE_PACKAGE = "resources"
RESOURCE_NAME = "known_issues.toml"
ENV_OVERRIDE = "STORESWITCH_KNOWN_ISSUES"  # a catalog file to use instead (QA, support)

MAX_BYTES = 512 * 1024  # the packaged catalog is ~30 KB
MAX_ISSUES = 500

REQUIRED_KEYS = ("id", "title", "severity", "symptom", "workaround", "link", "when")
OPTIONAL_KEYS = ("see_also",)
TOP_KEYS = ("schema_version", "issue")
ANY_SET = "any_set"
_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class CatalogError(StoreswitchError):
    """The catalog could not be loaded; the text names the file, the line and the issue."""

    def __init__(self, message: str, source: str = RESOURCE_NAME, line: int | None = None, issue_id: str | None = None) -> None:
        self.reason = message
        self.source = source
        self.line = line
        self.issue_id = issue_id
        where = source + (f", line {line}" if line else "")
        which = f", issue '{issue_id}'" if issue_id else ""
        super().__init__(f"{where}{which}: {message}")


@dataclass(frozen=True)
class Condition:
    """One entry of ``when``: ``facts`` is one name, or several for ``any_set``."""

    key: str  # the fact name, or "any_set"
    facts: tuple[str, ...]
    kind: FactKind
    expected: Any  # tuple[str] (enum), bool (bool/presence), SpecifierSet (version)
    line: int | None = None

    def describe(self) -> str:
        if self.key == ANY_SET:
            return f"any of {', '.join(self.facts)} set"
        if self.kind is FactKind.ENUM:
            return f"{self.key} = {' or '.join(self.expected)}"
        if self.kind is FactKind.VERSION:
            return f"{self.key} {self.expected}"
        if self.kind is FactKind.PRESENCE:
            return f"{self.key} {'set' if self.expected else 'not set'}"
        return f"{self.key} = {str(self.expected).lower()}"


@dataclass(frozen=True)
class KnownIssue:
    id: str
    title: str
    severity: str  # "info" | "warning" | "blocker"
    symptom: str  # what the user will see
    workaround: str
    link: str
    when: tuple[Condition, ...]
    see_also: tuple[str, ...] = ()
    line: int | None = None  # of its [[issue]] header

    @property
    def fact_names(self) -> tuple[str, ...]:
        """The facts this issue depends on, in the order its conditions name them (a live-probe
        fact brings ``store_after`` and ``live_store``, which decide whether it counts)."""
        names: list[str] = []
        for cond in self.when:
            names.extend(f for f in cond.facts if f not in names)
        if any(FACTS[n].measured_on_live_store for n in names):
            names.extend(n for n in ("store_after", "live_store") if n not in names)
        return tuple(names)


@dataclass(frozen=True)
class Catalog:
    issues: tuple[KnownIssue, ...]
    schema_version: int = SCHEMA_VERSION
    source: str = RESOURCE_NAME
    _by_id: dict[str, KnownIssue] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({issue.id: issue for issue in self.issues})

    def __iter__(self) -> Iterator[KnownIssue]:
        return iter(self.issues)

    def __len__(self) -> int:
        return len(self.issues)

    def __getitem__(self, issue_id: str) -> KnownIssue:
        return self._by_id[issue_id]

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(issue.id for issue in self.issues)


# --- loading -------------------------------------------------------------------------------
def load_catalog(path: str | os.PathLike | None = None) -> Catalog:
    """The catalog from *path*, else ``$STORESWITCH_KNOWN_ISSUES``, else the packaged resource.

    Raises :class:`CatalogError` (file, line, issue) for anything wrong; never returns a partial list.
    """
    chosen = path or os.environ.get(ENV_OVERRIDE)
    if chosen:
        p = Path(chosen)
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise CatalogError(f"cannot be read ({exc.strerror})", str(p)) from exc
        return parse_catalog(data, str(p))
    # pkgutil.get_data, not importlib.resources.files: the same bytes through the package's loader
    # (a zip too), without loading zipfile and typing protocols on every switch (docs/performance.md).
    try:
        data = pkgutil.get_data(RESOURCE_PACKAGE, RESOURCE_NAME)
    except OSError as exc:
        raise CatalogError(f"the packaged catalog is missing ({exc}); reinstall storeswitch") from exc
    if data is None:
        raise CatalogError(f"the packaged catalog cannot be read from the {RESOURCE_PACKAGE!r} package; reinstall storeswitch")
    return parse_catalog(data, RESOURCE_NAME)


def safe_text(text: str) -> str:
    """*text* with control characters (ESC, BEL, ``\r``, C1...) escaped as ``\\x1b`` etc.; newline and tab kept."""
    return "".join(
        ch if ch in "\n\t" or (ch.isprintable() and not 0x80 <= ord(ch) < 0xA0) else ch.encode("unicode_escape").decode("ascii")
        for ch in text
    )


def parse_catalog(raw: bytes | str, source: str = RESOURCE_NAME) -> Catalog:
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_BYTES:
        raise CatalogError(f"too large ({size} bytes; at most {MAX_BYTES}): a catalog lists a few dozen issues", source)
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as exc:
        raise CatalogError(f"not UTF-8 text (byte {exc.start})", source) from exc
    index = _LineIndex(text)
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _error_line(str(exc))
        raise CatalogError(f"not valid TOML: {exc}", source, line, index.issue_id_at(line)) from exc

    def fail(message: str, line: int | None = None, issue_id: str | None = None) -> CatalogError:
        return CatalogError(message, source, line, issue_id)

    for key in doc:
        if key not in TOP_KEYS:
            raise fail(f"unknown top-level key '{key}'{_suggest(key, TOP_KEYS)}; allowed: {', '.join(TOP_KEYS)}",
                       index.key_line(None, "top", key))
    version = doc.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise fail("schema_version must be a positive whole number", index.key_line(None, "top", "schema_version"))
    if version > SCHEMA_VERSION:
        raise fail(f"schema_version {version} is newer than this storeswitch understands ({SCHEMA_VERSION}); "
                   "update storeswitch", index.key_line(None, "top", "schema_version"))
    entries = doc.get("issue", [])
    if not isinstance(entries, list) or not entries:
        raise fail("no [[issue]] entries")
    if len(entries) > MAX_ISSUES:
        raise fail(f"too many issues ({len(entries)}; at most {MAX_ISSUES})")

    issues: list[KnownIssue] = []
    seen: dict[str, int | None] = {}
    for n, entry in enumerate(entries):
        issue = _parse_issue(n, entry, index, fail)
        if issue.id in seen:
            raise fail(f"duplicate id (first defined at line {seen[issue.id]})", index.key_line(n, "issue", "id"), issue.id)
        seen[issue.id] = issue.line
        issues.append(issue)
    return Catalog(tuple(issues), version, source)


def _parse_issue(n: int, entry: Any, index: "_LineIndex", fail) -> KnownIssue:
    header = index.issue_line(n)
    raw_id = entry.get("id") if isinstance(entry, dict) else None
    issue_id = raw_id if isinstance(raw_id, str) and raw_id else None
    if not isinstance(entry, dict):
        raise fail("an issue must be a table", header)
    for key in entry:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            allowed = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
            raise fail(f"unknown key '{key}'{_suggest(key, REQUIRED_KEYS + OPTIONAL_KEYS)}; allowed: {allowed}",
                       index.key_line(n, "issue", key) or index.key_line(n, key, None) or header, issue_id)
    for key in REQUIRED_KEYS:
        if key not in entry:
            raise fail(f"missing key '{key}'", header, issue_id)
    if issue_id is None or not _ID_RE.match(issue_id):
        raise fail(f"id must be lowercase words joined by '-', found {raw_id!r}", index.key_line(n, "issue", "id") or header, issue_id)
    for key in ("title", "symptom", "workaround", "link"):
        value = entry[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(f"'{key}' must be a non-empty string", index.key_line(n, "issue", key), issue_id)
    severity = entry["severity"]
    if severity not in SEVERITIES:
        raise fail(f"unknown severity {severity!r}; use one of: {', '.join(SEVERITIES)}", index.key_line(n, "issue", "severity"), issue_id)
    links = [entry["link"]]
    see_also = entry.get("see_also", [])
    if not isinstance(see_also, list) or not all(isinstance(u, str) for u in see_also):
        raise fail("'see_also' must be a list of URLs", index.key_line(n, "issue", "see_also"), issue_id)
    for url in links + see_also:
        if not url.startswith("https://") or " " in url:
            key = "link" if url == entry["link"] else "see_also"
            raise fail(f"{key} {url!r} is not an https:// URL", index.key_line(n, "issue", key), issue_id)
    when = entry["when"]
    if not isinstance(when, dict) or not when:
        raise fail("'when' must be a table with at least one condition", index.key_line(n, "issue", "when") or index.section_line(n, "when") or header, issue_id)
    conditions = tuple(_parse_condition(key, value, index.key_line(n, "when", key) or index.section_line(n, "when") or header, issue_id, fail)
                       for key, value in when.items())
    return KnownIssue(
        id=issue_id,
        title=entry["title"].strip(),
        severity=severity,
        symptom=entry["symptom"].strip(),
        workaround=entry["workaround"].strip(),
        link=entry["link"],
        when=conditions,
        see_also=tuple(see_also),
        line=header,
    )


def _parse_condition(key: str, value: Any, line: int | None, issue_id: str, fail) -> Condition:
    if key == ANY_SET:
        if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
            raise fail("any_set must be a non-empty list of fact names", line, issue_id)
        for name in value:
            spec = FACTS.get(name)
            if spec is None:
                raise fail(f"unknown fact '{name}' in any_set{_suggest(name, FACTS)}", line, issue_id)
            if spec.kind is not FactKind.PRESENCE:
                raise fail(f"any_set takes presence facts (daemon.json keys, wasm_runtimes); '{name}' is a {spec.kind.value} fact", line, issue_id)
        return Condition(key, tuple(value), FactKind.PRESENCE, True, line)
    spec = FACTS.get(key)
    if spec is None:
        known = ", ".join(FACTS)
        raise fail(f"unknown fact '{key}'{_suggest(key, FACTS)}; known facts: {known}", line, issue_id)
    kind = spec.kind
    if kind is FactKind.ENUM:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or not values or not all(isinstance(v, str) for v in values):
            raise fail(f"{key} takes a string or a list of strings, found {value!r}", line, issue_id)
        bad = [v for v in values if v not in spec.choices]
        if bad:
            raise fail(f"{key} cannot be {bad[0]!r}; use one of: {', '.join(spec.choices)}", line, issue_id)
        return Condition(key, (key,), kind, tuple(values), line)
    if kind in (FactKind.BOOL, FactKind.PRESENCE):
        if not isinstance(value, bool):
            what = "true or false" if kind is FactKind.BOOL else "true (set) or false (not set)"
            raise fail(f"{key} takes {what}, found {value!r}", line, issue_id)
        return Condition(key, (key,), kind, value, line)
    # version
    if not isinstance(value, str):
        raise fail(f"{key} takes a version range string such as \"<24.0\", found {value!r}", line, issue_id)
    try:
        spec_set = SpecifierSet(value)
    except InvalidSpecifier as exc:
        raise fail(f"bad version range {value!r} for {key}: use PEP 440 comparisons such as \"<0.9.0\" or \">=24.0, <29.0\"", line, issue_id) from exc
    if not len(spec_set):
        raise fail(f"bad version range {value!r} for {key}: it is empty", line, issue_id)
    return Condition(key, (key,), kind, spec_set, line)


def _suggest(word: str, choices) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _error_line(message: str) -> int | None:
    m = re.search(r"at line (\d+)", message)
    return int(m.group(1)) if m else None


class _LineIndex:
    """Where headers and keys sit in the TOML text (1-based lines), for error messages.

    Understands what this catalog uses: ``schema_version`` at the top, ``[[issue]]`` blocks, their
    ``[issue.when]`` sub-tables or inline ``when = {...}`` tables. Lines inside multi-line strings
    are skipped.
    """

    _HEADER = re.compile(r"^\s*(\[\[|\[)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
    _KEY = re.compile(r"^\s*(?:\"([^\"]+)\"|'([^']+)'|([A-Za-z0-9_\-]+))\s*=")
    _INLINE_KEY = re.compile(r"(?:[{,]\s*)(?:\"([^\"]+)\"|([A-Za-z0-9_\-]+))\s*=")

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.issues: list[int] = []
        self.sections: dict[tuple[int, str], int] = {}
        self.keys: dict[tuple[int | None, str, str], int] = {}
        issue: int | None = None
        section = "top"
        in_string: str | None = None
        for no, line in enumerate(self.lines, start=1):
            if in_string:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = self._HEADER.match(line)
            if header and not self._KEY.match(line):
                name = header.group(2).replace(" ", "")
                if header.group(1) == "[[" and name == "issue":
                    self.issues.append(no)
                    issue, section = len(self.issues) - 1, "issue"
                elif name.startswith("issue.") and issue is not None:
                    section = name.split(".", 1)[1]
                    self.sections[(issue, section)] = no
                else:
                    section = name
                continue
            key = self._KEY.match(line)
            if key:
                name = next(g for g in key.groups() if g)
                self.keys.setdefault((issue, section, name), no)
                if section == "issue" and name == "when":
                    for inner in self._INLINE_KEY.finditer(line):
                        self.keys.setdefault((issue, "when", next(g for g in inner.groups() if g)), no)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_string = quote
                    break

    def issue_line(self, n: int) -> int | None:
        return self.issues[n] if n < len(self.issues) else None

    def section_line(self, n: int, section: str) -> int | None:
        return self.sections.get((n, section))

    def key_line(self, n: int | None, section: str, key: str | None) -> int | None:
        if key is None:
            return self.sections.get((n, section)) if n is not None else None
        return self.keys.get((n, section, key))

    def issue_id_at(self, line: int | None) -> str | None:
        """The id of the ``[[issue]]`` block holding *line*, read from the text (for syntax errors)."""
        if line is None:
            return None
        starts = [s for s in self.issues if s <= line]
        if not starts:
            return None
        start = starts[-1]
        following = [s for s in self.issues if s > start]
        end = following[0] if following else len(self.lines) + 1
        for text in self.lines[start:end - 1]:
            m = re.match(r"""^\s*id\s*=\s*["']([^"']*)["']""", text)
            if m:
                return m.group(1)
        return None
