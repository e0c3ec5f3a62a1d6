"""Whole small files as bytes, with the fewest system calls: what a scan of 10,000 images reads.

A scan reads tens of thousands of small files (image configs, layer ``size`` files, manifests).
``open(path, "rb").read()`` makes nine system calls for each (two ``fstat``, two ``lseek``, an
``ioctl``, two ``read``, ``openat``, ``close``: strace), this makes four (``openat``, ``read``
until it returns nothing, ``close``) and took half the CPU time (docs/performance.md). Errors are
the same ``OSError`` subclasses (a directory fails at the ``read`` with ``IsADirectoryError``
instead of at the ``open``, with the same message).

:func:`parse_json` parses them with orjson (a maintained C parser, ~4x faster than :mod:`json` on
these small documents: the 20,000 configs and manifests of 10,000 images per store), and with
:func:`json.loads` whenever orjson refuses a document, so that what it returns and the errors it
raises are json's: json accepts more (``NaN``, a UTF-8 BOM, UTF-16, lone surrogates, integers past
64 bits) and its messages are the ones ``errors`` quotes.
"""

from __future__ import annotations

import json
import os
from typing import Any

try:
    import orjson
except ImportError:  # a checkout whose venv predates the dependency: json alone, slower, same results
    orjson = None  # type: ignore[assignment]

CHUNK = 1 << 16  # under glibc's mmap threshold: a bigger buffer costs an mmap/munmap per read


def read_bytes(path: str) -> bytes:
    """The whole file at *path*; raises ``OSError`` as ``Path.read_bytes`` would."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        data = os.read(fd, CHUNK)
        if not data:
            return data
        chunks = [data]
        while chunk := os.read(fd, CHUNK):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return data if len(chunks) == 1 else b"".join(chunks)


def parse_json(data: bytes | str) -> Any:
    """``json.loads(data)``: the same value, or the same exception."""
    if orjson is not None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return json.loads(data)
