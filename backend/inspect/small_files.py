"""Whole small files as bytes, with the fewest system calls: what a scan of 10,000 images reads.

A scan reads tens of thousands of small files (image configs, layer ``size`` files, manifests).
``open(path, "rb").read()`` makes nine system calls for each (two ``fstat``, two ``lseek``, an
``ioctl``, two ``read``, ``openat``, ``close``: strace), this makes four (``openat``, ``read``
until it returns nothing, ``close``) and took half the CPU time (docs/performance.md). Errors are
the same ``OSError`` subclasses (a directory fails at the ``read`` with ``IsADirectoryError``
instead of at the ``open``, with the same message).
"""

from __future__ import annotations

import os

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
