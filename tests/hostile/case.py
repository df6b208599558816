"""One hostile-input case: files to write, a CLI command, and the clean error it must give.

Every case of the corpus (``cases_*.py`` in this folder, each defining ``CASES``) is run by
``test_corpus.py`` through the CLI in-process (:func:`exactrelu.cli.app.main`, in a forked child
of the test process), under a time bound of ``seconds`` and a memory cap, and must

* return exactly ``exit_code`` (no uncaught exception: a traceback fails the case; an
  internal error, exit 70, always fails: hostile input must never reach a bug),
* for an unusable input (exit 2, or 3 and above except 10 and 20) print exactly one line,
  on stderr, and nothing on stdout; for a verdict (0, 1 ``invalid: <rule>: ...``, 10, 20) the
  verdict line (the first line for 1, the last otherwise); that line must match the regular
  expression ``message``,
* when ``api`` is given, make that library call raise the exception class ``error`` (a name
  in :mod:`exactrelu.errors`, or ``CertificateMalformed``/``CertificateInvalid`` of the checker).

Files are given as ``bytes``/``str`` or as a function ``(tmp_dir) -> bytes`` (for inputs
built from others, e.g. a truncated copy of a generated ONNX model; a function may also
create the file itself, e.g. a directory or a FIFO, and return ``None``). In ``argv``, in
``env``'s values and in ``api``'s argument, ``{name}`` stands for the path of the case's
file ``name``, and ``{shared}`` for ``../shared/benchmarks`` (cases that need it are skipped
without it). ``env`` sets environment variables for the case (e.g. a tiny
``EXACTRELU_MAX_MODEL_BYTES``).

Examples
--------
>>> c = Case("demo/empty-model", {"m.json": ""}, ("info", "{m.json}"), 2, r"error: .*", "ModelFormatError")
>>> c.id
'demo/empty-model'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Union

FileContent = Union[bytes, str, Callable[[Path], bytes]]

__all__ = ["Case", "FileContent", "write_files", "expand"]


@dataclass(frozen=True)
class Case:
    """A hostile input and the one-line error it must produce (see the module docstring)."""

    name: str
    files: Mapping[str, FileContent]
    argv: tuple[str, ...]
    exit_code: int
    message: str
    error: str | None = None
    api: Callable[..., Any] | None = None
    seconds: float = 20.0
    needs_shared: bool = False
    note: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.name


def write_files(case: Case, where: Path) -> dict[str, str]:
    """Write the case's files into ``where``; return the placeholder map for :func:`expand`."""
    from conftest import BENCH

    paths: dict[str, str] = {"shared": str(BENCH)}
    for name in case.files:
        paths[name] = str(where / name)
    for name, content in case.files.items():
        target = where / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content(where) if callable(content) else content
        if data is None:  # the function made the file itself (a directory, a FIFO, ...)
            continue
        if isinstance(data, str):
            target.write_text(data, encoding="utf-8")
        else:
            target.write_bytes(data)
    return paths


def expand(text: str, paths: Mapping[str, str]) -> str:
    """``text`` with every ``{name}`` replaced by the path of file ``name``."""
    for name, p in sorted(paths.items(), key=lambda kv: -len(kv[0])):
        text = text.replace("{" + name + "}", p)
    return text
