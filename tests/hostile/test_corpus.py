"""Runs every hostile-input case (``cases_*.py``) through the CLI: one line, the documented
exit code, the right error class, no traceback, no internal error, no hang, no memory blow-up.

Each case runs in a forked child of the test process (so the CLI is still called
in-process, :func:`exactrelu.cli.app.main`, with everything already imported):

* the child has a SIGALRM time bound of ``case.seconds`` (a hang in Python code reports
  where it was), and the parent kills it ``KILL_GRACE`` seconds later (a hang inside C
  code, which SIGALRM cannot interrupt, still fails the case instead of the whole run);
* the child's address space is capped at its size when forked plus ``MEMORY_MARGIN``: an
  input that would be decompressed or allocated whole (a gzip bomb, a forged shape) runs
  into ``MemoryError`` and the case fails, instead of the test machine swapping;
* file descriptors 1 and 2 are files, so what C libraries print counts as output too.

``EXACTRELU_CORPUS_INPROCESS=1`` runs the cases in the test process itself (no fork, no
memory cap), for debugging with ``pdb``.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import select
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

import pytest

from conftest import BENCH
from hostile.case import Case, expand, write_files

HERE = Path(__file__).parent
KILL_GRACE = 15.0  # seconds after case.seconds before the parent kills the child
MEMORY_MARGIN = 3 * 1024 ** 3  # bytes of address space a case may add to the forked test process
INTERNAL = 70  # exactrelu.errors.ExitCode.INTERNAL: a bug, never acceptable for hostile input


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


class _Hang(BaseException):
    """Raised by the time bound; a BaseException so that no ``except Exception`` (the CLI's
    internal-error handler) can swallow it."""


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


def _vm_size() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


def _execute(case: Case, paths: dict[str, str], argv: list[str], fds: bool) -> dict:
    """Run the CLI on ``argv`` and then ``case.api``; everything the parent checks, as a dict.

    With ``fds``, file descriptors 1 and 2 are redirected to files (what C code prints is
    caught too); otherwise only ``sys.stdout``/``sys.stderr``.
    """
    from exactrelu.cli.app import main

    res: dict = {}
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        if fds:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(fo.fileno(), 1)
            os.dup2(fe.fileno(), 2)
            out = open(1, "w", closefd=False, encoding="utf-8", errors="replace")
            err = open(2, "w", closefd=False, encoding="utf-8", errors="replace")
        else:
            out = open(fo.fileno(), "w", closefd=False, encoding="utf-8", errors="replace")
            err = open(fe.fileno(), "w", closefd=False, encoding="utf-8", errors="replace")
        t0 = time.monotonic()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                with time_bound(case.seconds):
                    try:
                        rc = main(argv)
                    except SystemExit as exc:  # argparse usage errors, --help
                        rc = exc.code if isinstance(exc.code, int) else 2
                res["rc"] = rc
            except _Hang as exc:
                res["hang"] = f"{exc}; stopped at:\n{''.join(traceback.format_tb(exc.__traceback__)[-6:])}"
            except BaseException as exc:  # an exception escaped main(): the CLI's bug
                res["escaped"] = "".join(traceback.format_exception(exc))[-3000:]
            finally:
                out.flush()
                err.flush()
        res["seconds"] = round(time.monotonic() - t0, 3)
        fo.seek(0)
        fe.seek(0)
        res["stdout"] = fo.read().decode("utf-8", "replace")
        res["stderr"] = fe.read().decode("utf-8", "replace")
    if case.api is not None and "rc" in res:
        cls = _error_class(case.error or "ExactReluError")
        try:
            with time_bound(case.seconds):
                case.api(paths)
            res["api"] = {"raised": None}
        except _Hang as exc:
            res["api"] = {"hang": str(exc)}
        except BaseException as exc:
            res["api"] = {"raised": type(exc).__name__, "ok": isinstance(exc, cls), "message": str(exc)[:500],
                          "traceback": "".join(traceback.format_exception(exc))[-2000:]}
    return res


_WARM: list = []


def _warm() -> None:
    """Import, once, what the CLI imports lazily, so that each forked child does not pay for
    it again (the children's imports die with them)."""
    if _WARM:
        return
    import importlib

    for name in ("exactrelu.cli.app", "exactrelu.cli.verify", "exactrelu.cli.crosscheck", "exactrelu.cli.shallow",
                 "exactrelu.io", "exactrelu.io.loader", "exactrelu.io.files", "exactrelu.domain.polytope", "exactrelu.numbers.lp",
                 "exactrelu.regions.walk", "exactrelu.graph.region_graph", "exactrelu.certificate.partition", "exactrelu.model.evaluation",
                 "exactrelu.domain.vnnlib", "exactrelu.verify.property", "exactrelu.domain.cex", "exactrelu.crosscheck.crosscheck", "exactrelu.verify.bounds",
                 "exactrelu.checker", "exactrelu.shallow", "onnx", "flint", "cdd", "cdd.gmp", "numpy.lib.format"):
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    from exactrelu.cli.app import build_parser

    build_parser()
    _WARM.append(True)


def _in_child(case: Case, paths: dict[str, str], argv: list[str]) -> dict:
    """:func:`_execute` in a forked child under a kill timeout and a memory cap."""
    import resource

    _warm()

    import gc

    r, w = os.pipe()
    pid = -1
    gc.freeze()  # the child's collections skip everything already alive: no copy-on-write of the heap
    try:
        pid = os.fork()
    finally:
        if pid != 0:
            gc.unfreeze()
    if pid == 0:  # child: never returns into pytest
        code = 0
        try:
            os.close(r)
            vm = _vm_size()
            if vm is not None:
                cap = vm + MEMORY_MARGIN
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            res = _execute(case, paths, argv, fds=True)
            data = json.dumps(res).encode()
            with os.fdopen(w, "wb") as fh:
                fh.write(data)
        except BaseException:  # noqa: BLE001
            code = 3
        finally:
            os._exit(code)
    os.close(w)
    deadline = time.monotonic() + case.seconds + KILL_GRACE
    chunks: list[bytes] = []
    killed = False
    try:
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.kill(pid, signal.SIGKILL)
                killed = True
                break
            ready, _, _ = select.select([r], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(r, 1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
    finally:
        os.close(r)
        _, status = os.waitpid(pid, 0)
    if killed:
        return {"killed": f"killed after {case.seconds + KILL_GRACE:.0f} s (a hang that SIGALRM could not "
                          "interrupt: inside C code?)"}
    if not chunks:
        return {"killed": f"the child died without a result (wait status {status}: a crash, or out of memory)"}
    return json.loads(b"".join(chunks))


def test_corpus_is_not_empty():
    assert len(CASES) >= 1


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(case: Case, tmp_path, monkeypatch):
    if case.needs_shared and not BENCH.exists():
        pytest.skip("needs ../shared/benchmarks")
    paths = write_files(case, tmp_path)
    argv = [expand(a, paths) for a in case.argv]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("EXACTRELU_DEBUG", raising=False)
    for key, value in getattr(case, "env", {}).items():
        monkeypatch.setenv(key, expand(value, paths))
    if os.environ.get("EXACTRELU_CORPUS_INPROCESS") or not hasattr(os, "fork"):
        res = _execute(case, paths, argv, fds=False)
    else:
        res = _in_child(case, paths, argv)
    assert "killed" not in res, res["killed"]
    assert "hang" not in res, res["hang"]
    assert "escaped" not in res, f"an exception escaped exactrelu.cli.app.main:\n{res['escaped']}"
    out_text, err_text = res["stdout"], res["stderr"]
    text = err_text + out_text
    rc = res["rc"]
    assert "Traceback" not in text, text[-2000:]
    assert rc != INTERNAL and "internal error" not in err_text, f"an internal error (a bug): {err_text[-1000:]}"
    assert "out of memory" not in err_text, f"ran out of memory (a missing limit?): {err_text[-500:]}"
    assert rc == case.exit_code, f"exit {rc}, expected {case.exit_code}; output: {text[-500:]}"
    err_lines = [ln for ln in err_text.splitlines() if ln.strip()]
    out_lines = [ln for ln in out_text.splitlines() if ln.strip()]
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
        api = res["api"]
        assert "hang" not in api, f"the library call {api['hang']}"
        want = case.error or "ExactReluError"
        assert api["raised"] is not None, f"the library call returned instead of raising {want}"
        assert api["ok"], f"the library call raised {api['raised']}, not {want}: {api['traceback']}"
