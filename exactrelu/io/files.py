"""Reading the files exactrelu is given: bounded in size, gzip recognised by content,
JSON without surprises.

Every reader here refuses, with one line naming the file and an error class the caller
chooses (``ModelFormatError`` for a model, ``DomainError`` for a domain, ...):

* a path that does not exist, a directory, anything that is not a regular file (a FIFO
  would block, ``/dev/zero`` never ends);
* a file, or the decompressed content of a gzip stream, larger than its limit
  (:func:`~exactrelu.limits.max_model_bytes` for models and certificates,
  :func:`~exactrelu.limits.max_input_bytes` for properties, domains and counterexamples).
  A gzip stream is decompressed incrementally and abandoned once past the limit: a gzip
  bomb is never decompressed into memory;
* bytes that are not UTF-8 text, where text is expected.

:func:`parse_json` reads JSON as the exact formats need it: integers of any length up to
the number limit (Python's own ``json`` refuses integers beyond 4,300 digits with a raw
``ValueError``), no ``NaN``/``Infinity`` (which Python's ``json`` accepts), no duplicate
keys (two readers could take different ones), and nesting too deep to parse is a clean
error instead of a ``RecursionError``.

Examples
--------
>>> import gzip
>>> decode_text(gzip.compress(b"(assert true)"), ValueError, "p.vnnlib")
'(assert true)'
>>> parse_json('{"b": ["1/2", 3]}', ValueError, "d.json")
{'b': ['1/2', 3]}
>>> parse_json('{"b": NaN}', ValueError, "d.json")
Traceback (most recent call last):
...
ValueError: d.json: NaN is not a JSON number; write numbers as 'p/q' strings
"""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import zlib
from pathlib import Path
from typing import Any, Callable

from ..errors import ExactReluError, NumberError
from ..limits import MAX_NUMBER_CHARS, format_bytes, max_input_bytes, max_model_bytes
from ..numbers.rationals import parse_int

__all__ = ["GZIP_MAGIC", "maybe_gunzip", "gunzip_bounded", "decode_text", "read_bytes", "read_text",
           "open_text", "regular_file", "parse_json", "json_int"]

GZIP_MAGIC = b"\x1f\x8b"


def _too_large(name: str, what: str, limit: int, env: str) -> str:
    return (f"{name}: {what} is larger than the limit of {format_bytes(limit)} "
            f"(set {env} to a larger number of bytes to read it)")


def _env_of(limit_fn: Callable[[], int]) -> str:
    from ..limits import ENV_INPUT_BYTES, ENV_MODEL_BYTES

    return ENV_MODEL_BYTES if limit_fn is max_model_bytes else ENV_INPUT_BYTES


def read_at_most(fh: Any, limit: int) -> bytes:
    """At most ``limit + 1`` bytes of the open binary file ``fh``, read in 1 MiB chunks
    (``fh.read(n)`` allocates all ``n`` bytes first, whatever the file's size).

    >>> read_at_most(io.BytesIO(b"abc"), 10), read_at_most(io.BytesIO(b"abc"), 1)
    (b'abc', b'ab')
    """
    parts, total = [], 0
    while total <= limit:
        chunk = fh.read(min(1 << 20, limit + 1 - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)


def gunzip_bounded(raw: bytes, limit: int, error: type[Exception] = ExactReluError, name: str = "input",
                   env: str = "EXACTRELU_MAX_MODEL_BYTES") -> bytes:
    """Decompress the gzip stream ``raw`` (several members allowed), refusing with
    ``error`` once the output passes ``limit`` bytes, or if the stream is corrupt.

    >>> gunzip_bounded(gzip.compress(b"x" * 10), 10)
    b'xxxxxxxxxx'
    >>> gunzip_bounded(gzip.compress(b"x" * 11), 10, ValueError, "bomb.gz")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: bomb.gz: decompressed content is larger than the limit of 10 bytes (...)
    """
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(raw)) as g:
            out = read_at_most(g, limit)  # incremental: never more than limit + 1 bytes in memory
    except (OSError, EOFError, zlib.error) as exc:
        raise error(f"{name}: corrupt gzip: {exc}") from None
    if len(out) > limit:
        raise error(_too_large(name, "decompressed content", limit, env))
    return out


def maybe_gunzip(raw: bytes, limit: int | None = None, error: type[Exception] = ExactReluError,
                 name: str = "input") -> bytes:
    """``raw`` decompressed if it starts with the gzip magic bytes, at most ``limit`` bytes
    (default :func:`~exactrelu.limits.max_model_bytes`); a corrupt or too large stream
    raises ``error``."""
    if raw[:2] != GZIP_MAGIC:
        return raw
    if limit is None:
        return gunzip_bounded(raw, max_model_bytes(), error, name)
    return gunzip_bounded(raw, limit, error, name)


def decode_text(raw: bytes, error: type[Exception], name: str, limit: int | None = None) -> str:
    """Gunzip if needed (at most ``limit`` bytes, default
    :func:`~exactrelu.limits.max_input_bytes`) and decode UTF-8; failures raise ``error``
    naming ``name``."""
    if raw[:2] == GZIP_MAGIC:
        from ..limits import ENV_INPUT_BYTES

        raw = gunzip_bounded(raw, max_input_bytes() if limit is None else limit, error, name, ENV_INPUT_BYTES)
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise error(f"{name}: not a text file (not UTF-8)") from None


def regular_file(path: "str | Path", error: type[Exception], what: str = "") -> Path:
    """``Path(path)`` if it names a readable regular file, else ``error`` with one line
    (no such file, a directory, a FIFO or device, a NUL byte in the name, ...).

    >>> regular_file("/dev/zero", ValueError, "model ")
    Traceback (most recent call last):
    ...
    ValueError: cannot read model /dev/zero: not a regular file (a pipe, socket or device)
    """
    text = str(os.fspath(path))
    shown = text if len(text) <= 300 else text[:150] + f"...({len(text):,} characters)"
    if "\x00" in text:
        raise error(f"cannot read {what}{shown!r}: a file name cannot contain a NUL byte")
    if not text:
        raise error(f"cannot read {what.strip() or 'a file'}: the file name is empty")
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise error(f"cannot read {what}{shown}: no such file") from None
    except OSError as exc:
        raise error(f"cannot read {what}{shown}: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"cannot read {what}{shown}: is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"cannot read {what}{shown}: not a regular file (a pipe, socket or device)")
    return p


def read_bytes(path: "str | Path", error: type[Exception], what: str = "", limit: int | None = None,
               gunzip: bool = False, kind: str = "model") -> bytes:
    """The bytes of a regular file, at most ``limit`` (default by ``kind``: ``"model"``
    2 GiB, ``"input"`` 64 MiB, see :mod:`exactrelu.limits`), gunzipped (bounded by the
    same limit) when ``gunzip`` and the content starts with the gzip magic bytes.

    >>> import os, shutil, tempfile
    >>> d = tempfile.mkdtemp()
    >>> p = os.path.join(d, "x.gz")
    >>> with open(p, "wb") as fh:
    ...     _ = fh.write(gzip.compress(b"0" * 1000))
    >>> len(read_bytes(p, ValueError, gunzip=True))
    1000
    >>> try:
    ...     read_bytes(p, ValueError, gunzip=True, limit=100)
    ... except ValueError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    ... finally:
    ...     shutil.rmtree(d)
    decompressed content is larger than the limit of 100 bytes (set EXACTRELU_MAX_MODEL_BYTES to a larger number of bytes to read it)
    """
    limit_fn = max_model_bytes if kind == "model" else max_input_bytes
    if limit is None:
        limit = limit_fn()
    env = _env_of(limit_fn)
    p = regular_file(path, error, what)
    try:
        if p.stat().st_size > limit:
            raise error(_too_large(f"{what}{p}", "the file", limit, env))
        with open(p, "rb") as fh:
            raw = read_at_most(fh, limit)
    except OSError as exc:
        raise error(f"cannot read {what}{p}: {exc.strerror or exc}") from None
    if len(raw) > limit:  # grew while we read it
        raise error(_too_large(f"{what}{p}", "the file", limit, env))
    if gunzip and raw[:2] == GZIP_MAGIC:
        raw = gunzip_bounded(raw, limit, error, f"{what}{p}", env)
    return raw


def read_text(path: "str | Path", error: type[Exception], what: str = "", limit: int | None = None,
              kind: str = "input") -> str:
    """Read a text file (``.gz`` recognised by content, bounded by ``limit``, default by
    ``kind`` as in :func:`read_bytes`); failures raise ``error``.

    ``what`` names the kind of file in the message (``"counterexample "``).

    >>> read_text("nope.vnnlib", ValueError, "property ")
    Traceback (most recent call last):
    ...
    ValueError: cannot read property nope.vnnlib: no such file
    """
    raw = read_bytes(path, error, what, limit=limit, gunzip=True, kind=kind)
    try:
        return raw.decode()
    except UnicodeDecodeError:
        raise error(f"{what}{path}: not a text file (not UTF-8)") from None


def open_text(path: "str | Path"):
    """Open a text file for streaming reads (line by line), gunzipping if its content is gzip."""
    p = Path(path)
    with open(p, "rb") as fh:
        magic = fh.read(2)
    if magic == GZIP_MAGIC:
        return gzip.open(p, "rt", encoding="utf-8")
    return open(p, "r", encoding="utf-8")


# --- JSON -------------------------------------------------------------------------------

class _JsonRefusal(ValueError):
    pass


def json_int(text: str) -> int:
    """The ``parse_int`` hook of :func:`parse_json`: any length up to the number limit.

    >>> json_int("-" + "1" * 5000) < 0
    True
    """
    if len(text) <= 4_000:
        return int(text)
    if len(text) > MAX_NUMBER_CHARS:
        raise NumberError(f"integer of {len(text):,} digits refused (the limit is {MAX_NUMBER_CHARS:,} characters)")
    return parse_int(text)


def _constant(name: str) -> Any:
    raise _JsonRefusal(f"{name} is not a JSON number; write numbers as 'p/q' strings")


def _no_duplicates(pairs: list) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        shown = dup if len(dup) <= 40 else dup[:40] + "..."
        raise _JsonRefusal(f"duplicate key {shown!r} in an object")
    return d


def parse_json(text: "str | bytes", error: type[Exception], name: str) -> Any:
    """``json.loads(text)`` for exact formats; every failure raises ``error`` naming ``name``
    (see the module docstring)."""
    try:
        return json.loads(text, parse_int=json_int, parse_constant=_constant, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise error(f"{name}: malformed JSON: {exc}") from None
    except UnicodeDecodeError:
        raise error(f"{name}: not a text file (not UTF-8)") from None
    except RecursionError:
        raise error(f"{name}: JSON nested too deeply") from None
    except (_JsonRefusal, NumberError) as exc:
        raise error(f"{name}: {exc}") from None
