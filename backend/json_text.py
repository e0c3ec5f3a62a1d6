"""Edit one member of a JSON object in its text, keeping every other byte of the file.

daemon.json belongs to the user: its indent, one-line objects, inline arrays, ``\\u`` escapes, a
byte-order mark and CRLF line ends are theirs, and a switch must change only the store key's
line. Parsing to a dict and rendering it again loses all of that, so the edits here work on the
text: the file is first parsed strictly by :mod:`json` (that decides validity and what the file
means), then this module finds the *spans* of an object's members (key start, value start, value
end) and replaces, inserts or removes exactly one member. An inserted member copies the object's
own style: its member indent, its ``": "`` separator, one line or several, its line ends.

Why by hand: no maintained PyPI library round-trips strict JSON byte for byte. ``json-five``
keeps whitespace but reads JSON5 (comments, trailing commas, single quotes), which dockerd
refuses, so it would still need :mod:`json` beside it for strictness, and it would bring a whole
parser and model for what is a member-span scan; ``tomlkit``/``ruamel.yaml`` are TOML and YAML
editors (YAML re-renders JSON's flow style). The scan below walks the text without recursion (a
bracket depth counter), so a deeply nested value costs no stack.

The text given must already be valid JSON (call :func:`json.loads` first): the scanner trusts it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

_WS = " \t\r\n"


@dataclass(frozen=True)
class Member:
    key: str
    key_start: int  # the opening quote of the key
    value_start: int
    value_end: int  # one past the value's last character


@dataclass(frozen=True)
class ObjectSpan:
    open: int  # the "{"
    close: int  # the "}"
    members: tuple[Member, ...]

    def last(self, key: str) -> Member | None:
        """The member *key* as json reads it: the last of equal keys."""
        found = [m for m in self.members if m.key == key]
        return found[-1] if found else None


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _string_end(text: str, i: int) -> int:
    """*i* is an opening quote; return one past the closing quote."""
    i += 1
    while True:
        c = text[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        else:
            i += 1


def _value_end(text: str, i: int) -> int:
    """One past the value that starts at *i* (string, object, array or scalar); no recursion."""
    c = text[i]
    if c == '"':
        return _string_end(text, i)
    if c in "{[":
        depth = 0
        while True:
            c = text[i]
            if c == '"':
                i = _string_end(text, i)
                continue
            if c in "{[":
                depth += 1
            elif c in "}]":
                depth -= 1
                if depth == 0:
                    return i + 1
            i += 1
    while i < len(text) and text[i] not in _WS + ",}]":
        i += 1
    return i


def object_at(text: str, start: int) -> ObjectSpan:
    """The members of the object whose ``{`` is at or after *start* (after whitespace)."""
    i = _skip_ws(text, start)
    open_ = i
    assert text[i] == "{", "not an object"
    members: list[Member] = []
    i = _skip_ws(text, i + 1)
    while text[i] != "}":
        key_start = i
        key_end = _string_end(text, i)
        key = json.loads(text[key_start:key_end])
        i = _skip_ws(text, key_end)  # at ":"
        value_start = _skip_ws(text, i + 1)
        value_end = _value_end(text, value_start)
        members.append(Member(key, key_start, value_start, value_end))
        i = _skip_ws(text, value_end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return ObjectSpan(open_, i, tuple(members))


def top_object(text: str) -> ObjectSpan:
    return object_at(text, 1 if text.startswith("\ufeff") else 0)


def newline_of(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def indent_unit(text: str) -> str:
    """The file's indent step: the top-level members' indent (two spaces when it has none)."""
    obj = top_object(text)
    if obj.members:
        indent = _line_indent(text, obj.members[0].key_start)
        if indent is not None and indent:
            return indent
    return "  "


def _line_indent(text: str, pos: int) -> str | None:
    """The whitespace between the line start and *pos*, or None when something else precedes it."""
    line_start = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    before = text[line_start:pos]
    return before if before.strip(" \t") == "" and line_start > 0 else None


def replace_value(text: str, member: Member, value_text: str) -> str:
    return text[:member.value_start] + value_text + text[member.value_end:]


def remove_member(text: str, obj: ObjectSpan, member: Member) -> str:
    """Remove *member* and one comma; the lines around it keep their shape."""
    members = obj.members
    n = members.index(member)
    if len(members) == 1:
        return text[:obj.open + 1] + text[obj.close:]
    if n + 1 < len(members):  # key .. up to the next key: the next member takes its place
        nxt = members[n + 1]
        start = member.key_start
        if _line_indent(text, member.key_start) is not None and _line_indent(text, nxt.key_start) is not None:
            # one member per line: drop its whole line (from the previous line end)
            start = _line_start_with_break(text, member.key_start)
            return text[:start] + text[_line_start_with_break(text, nxt.key_start):]
        return text[:start] + text[nxt.key_start:]
    prev = members[n - 1]  # the last one: from the previous value's end (its comma goes too)
    return text[:prev.value_end] + text[member.value_end:]


def _line_start_with_break(text: str, pos: int) -> int:
    """The offset of the line break that ends the line before *pos*'s line."""
    i = text.rfind("\n", 0, pos)
    if i > 0 and text[i - 1] == "\r":
        i -= 1
    return i


def insert_member(text: str, obj: ObjectSpan, key: str, value, value_is_object: bool = False) -> str:
    """Add ``key: value`` at the end of *obj*, written the way the object writes its members.

    *value* is a Python value rendered as JSON; a dict is written on one line in a one-line
    object and over several lines (one step deeper) in a multi-line one.
    """
    nl = newline_of(text)
    members = obj.members
    if members:
        first = members[0]
        sep = text[_key_end(text, first.key_start):first.value_start]
        indent = _line_indent(text, first.key_start)
    else:
        sep, indent = ": ", None
        if obj.open == top_object(text).open:  # an empty top-level object: the file's first member
            indent = indent_unit(text)
    key_text = json.dumps(key, ensure_ascii=_ascii_only(text))
    if indent is None:  # a one-line object
        value_text = _render(value, sep, None, nl, text)
        if not members:
            return text[:obj.open + 1] + f"{key_text}{sep}{value_text}" + text[obj.close:]
        between = _between(text, members)
        last = members[-1]
        return text[:last.value_end] + f"{between}{key_text}{sep}{value_text}" + text[last.value_end:]
    value_text = _render(value, sep, indent, nl, text)
    if not members:
        closing_indent = _line_indent(text, obj.close) or ""
        return text[:obj.open + 1] + f"{nl}{indent}{key_text}{sep}{value_text}{nl}{closing_indent}" + text[obj.close:]
    last = members[-1]
    return text[:last.value_end] + f",{nl}{indent}{key_text}{sep}{value_text}" + text[last.value_end:]


def _key_end(text: str, key_start: int) -> int:
    return _string_end(text, key_start)


def _between(text: str, members: tuple[Member, ...]) -> str:
    """What separates two members of a one-line object (``, `` by default)."""
    if len(members) >= 2:
        return text[members[0].value_end:members[1].key_start]
    return ", "


def _ascii_only(text: str) -> bool:
    """True when the file writes non-ASCII as ``\\u`` escapes (it has some escapes and no raw non-ASCII)."""
    body = text.removeprefix("\ufeff")
    return not any(ord(c) > 127 for c in body)


def _render(value, sep: str, indent: str | None, nl: str, text: str) -> str:
    ascii_only = _ascii_only(text)
    if not isinstance(value, dict) or not value:
        return json.dumps(value, ensure_ascii=ascii_only)
    items = [f"{json.dumps(k, ensure_ascii=ascii_only)}{sep}{json.dumps(v, ensure_ascii=ascii_only)}" for k, v in value.items()]
    if indent is None:
        return "{" + ", ".join(items) + "}"
    inner = indent + indent_unit(text)
    return "{" + nl + ("," + nl).join(inner + item for item in items) + nl + indent + "}"
