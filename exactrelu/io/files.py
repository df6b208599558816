"""Reading small text inputs (properties, counterexamples, certificates) that may be gzipped.

Examples
--------
>>> import gzip
>>> decode_text(gzip.compress(b"(assert true)"), ValueError, "p.vnnlib")
'(assert true)'
"""

from __future__ import annotations

import gzip
from pathlib import Path

__all__ = ["GZIP_MAGIC", "maybe_gunzip", "decode_text", "read_text", "open_text"]

GZIP_MAGIC = b"\x1f\x8b"


def maybe_gunzip(raw: bytes) -> bytes:
    """``raw`` decompressed if it starts with the gzip magic bytes (OSError/EOFError if corrupt)."""
    return gzip.decompress(raw) if raw[:2] == GZIP_MAGIC else raw


def decode_text(raw: bytes, error: type[Exception], name: str) -> str:
    """Gunzip if needed and decode UTF-8; failures raise ``error`` naming ``name``."""
    try:
        raw = maybe_gunzip(raw)
    except (OSError, EOFError) as exc:
        raise error(f"{name}: corrupt gzip: {exc}") from exc
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise error(f"{name}: not a text file") from None


def read_text(path: "str | Path", error: type[Exception], what: str = "") -> str:
    """Read a text file (``.gz`` recognised by content); failures raise ``error``.

    ``what`` names the kind of file in the message (``"counterexample "``).
    """
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise error(f"cannot read {what}{p}: {exc.strerror or exc}") from exc
    return decode_text(raw, error, str(p))


def open_text(path: "str | Path"):
    """Open a text file for streaming reads (line by line), gunzipping if its content is gzip."""
    p = Path(path)
    with open(p, "rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(p, "rt", encoding="utf-8")
    return open(p, "r", encoding="utf-8")
