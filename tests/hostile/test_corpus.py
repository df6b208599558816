"""Runs every hostile-input case (``cases_*.py``) through the CLI: one line, the documented
exit code, the right error class, no traceback, no hang."""

from __future__ import annotations

import contextlib
import importlib
import io
import re
import signal
import sys
from pathlib import Path

import pytest

from conftest import BENCH
from hostile.case import Case, expand, write_files

HERE = Path(__file__).parent


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for path in sorted(HERE.glob("cases_*.py")):
        mod = importlib.import_module(f"hostile.{path.stem}")
        cases.extend(mod.CASES)
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise AssertionError(f"duplicate case names: {sorted(dup)}")
    return cases


CASES = all_cases()


class _Hang(Exception):
    pass


@contextlib.contextmanager
def time_bound(seconds: float):
    """Raise :class:`_Hang` if the block runs longer than ``seconds`` (SIGALRM; main thread)."""
    def fire(signum, frame):
        raise _Hang(f"no answer within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _error_class(name: str):
    import exactrelu.errors as errors
    from exactrelu import checker

    return getattr(errors, name, None) or getattr(checker, name)


def test_corpus_is_not_empty():
    assert len(CASES) >= 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path, monkeypatch):
    if case.needs_shared and not BENCH.exists():
        pytest.skip("needs ../shared/benchmarks")
    from exactrelu.cli import main

    paths = write_files(case, tmp_path)
    argv = [expand(a, paths) for a in case.argv]
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with time_bound(case.seconds), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main(argv)
        except SystemExit as exc:  # argparse usage errors
            rc = exc.code if isinstance(exc.code, int) else 2
    text = err.getvalue() + out.getvalue()
    assert "Traceback" not in text, text[-2000:]
    assert rc == case.exit_code, f"exit {rc}, expected {case.exit_code}; output: {text[-500:]}"
    err_lines = [ln for ln in err.getvalue().splitlines() if ln.strip()]
    out_lines = [ln for ln in out.getvalue().splitlines() if ln.strip()]
    if case.exit_code == 2 or case.exit_code >= 3 and case.exit_code not in (10, 20):
        # an unusable input: exactly one line, on stderr, and nothing on stdout
        assert not out_lines, f"unexpected stdout: {out_lines[:5]}"
        assert len(err_lines) == 1, f"expected one line on stderr, got {err_lines[:5]}"
        last = err_lines[0]
    else:
        # a verdict (0 valid/holds, 1 invalid, 10 violated, 20 incomplete): the last line says it
        lines = out_lines + err_lines
        assert lines, "no output"
        last = (err_lines or out_lines)[-1] if case.exit_code in (0, 10, 20) else lines[0]
    assert re.search(case.message, last), f"{last!r} does not match {case.message!r}"
    if case.api is not None:
        cls = _error_class(case.error or "ExactReluError")
        with time_bound(case.seconds), pytest.raises(cls):
            case.api(paths)
