"""The VNN-COMP tool interface (issue 17): ``vnncomp/*.sh`` and ``verify --vnncomp-result``.

The scripts are run as the competition's harness runs them (``prepare_instance.sh v1 CAT
ONNX VNNLIB``, then ``run_instance.sh v1 CAT ONNX VNNLIB RESULT TIMEOUT``) on the VNN-COMP
2022 ``test`` family and on three ACAS Xu instances; each ``sat`` result must round-trip
through ``exactrelu recheck`` and each ``unsat`` must leave a certificate that ``exactrelu
check --vnnlib --model`` accepts and pins to the instance.

The benchmark files are read from ``../shared/benchmarks`` beside the repository, or from
``$EXACTRELU_BENCHMARKS``; the tests that need them skip when they are absent. The scripts
run this tree's CLI (``EXACTRELU`` points at a wrapper around ``python -m exactrelu.cli``).
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from exactrelu.cli import main
from exactrelu.cli.vnncomp_result import (RESULT_WORDS, certificate_path, float_counterexample, format_result,
                                          result_word, write_vnncomp_result)
from exactrelu.domain.cex import parse_counterexample
from exactrelu.domain.vnnlib import parse_vnnlib
from exactrelu.io.loader import save_model
from exactrelu.model.network import mlp
from exactrelu.numbers.rationals import is_float32_exact
from exactrelu.verify.property import VerificationResult

REPO = Path(__file__).resolve().parents[2]
SCRIPTS = REPO / "vnncomp"
BENCH = Path(os.environ.get("EXACTRELU_BENCHMARKS") or REPO.parent / "shared" / "benchmarks")

pytestmark = pytest.mark.skipif(shutil.which("bash") is None or shutil.which("timeout") is None,
                                reason="the VNN-COMP scripts need bash and coreutils' timeout")

# Verdicts of the test family: test_sat / test_unsat from the family's README (ACAS Xu 1-7 / 1-6
# on property 3); test_nano (y <= -1), test_tiny (y >= 100) and test_small are unsafe sets the
# networks never reach (unsat).
TEST_FAMILY = {"test_nano.onnx": "unsat", "test_tiny.onnx": "unsat", "test_small.onnx": "unsat",
               "test_sat.onnx": "sat", "test_unsat.onnx": "unsat"}
# three quick ACAS Xu instances (a few seconds each here), one violated
ACAS = [("ACASXU_run2a_5_4_batch_2000", "prop_2", "sat"),
        ("ACASXU_run2a_4_7_batch_2000", "prop_4", "unsat"),
        ("ACASXU_run2a_2_5_batch_2000", "prop_3", "unsat")]

_HDR = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) "
        "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1)) ")


def bench(*parts: str) -> Path:
    p = BENCH.joinpath(*parts)
    if not p.exists() and not Path(str(p) + ".gz").exists():
        pytest.skip(f"benchmark file not available: {p} (set EXACTRELU_BENCHMARKS to the benchmarks folder)")
    return p


@pytest.fixture(scope="module")
def script_env(tmp_path_factory) -> dict:
    """The environment for the scripts: EXACTRELU runs this tree's CLI."""
    d = tmp_path_factory.mktemp("cli")
    wrapper = d / "exactrelu"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m exactrelu.cli "$@"\n')
    wrapper.chmod(0o755)
    env = dict(os.environ)
    env["EXACTRELU"] = str(wrapper)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    for k in ("EXACTRELU_VNNCOMP_ARGS", "EXACTRELU_VNNCOMP_WORKERS", "EXACTRELU_VNNCOMP_GRACE"):
        env.pop(k, None)
    return env


def prepare(env: dict, onnx, vnnlib, category: str = "test", version: str = "v1") -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPTS / "prepare_instance.sh"), version, category, str(onnx), str(vnnlib)],
                          env=env, capture_output=True, text=True, timeout=60)


def run_instance(env: dict, onnx, vnnlib, result, timeout: "float | str", category: str = "test",
                 version: str = "v1") -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPTS / "run_instance.sh"), version, category, str(onnx), str(vnnlib),
                           str(result), str(timeout)], env=env, capture_output=True, text=True,
                          timeout=120)


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(list(argv))
    return code, out.getvalue()


def only_results(directory: Path) -> list[str]:
    """The files left in a result directory (no temporary file may remain)."""
    return sorted(p.name for p in directory.iterdir())


def check_result(result: Path, onnx, vnnlib, expected: str) -> None:
    """The result word, and its evidence: recheck for sat, the pinned certificate for unsat."""
    text = result.read_text()
    word = text.split("\n", 1)[0]
    assert word == expected, text[:500]
    cert = certificate_path(result)
    if word == "sat":
        code, out = cli("recheck", str(onnx), str(vnnlib), str(result))
        assert code == 0, out
        assert "real counterexample: YES" in out and "claimed outputs match the exact ones: yes" in out
        cex = parse_counterexample(text)
        assert all(is_float32_exact(v) for v in cex.inputs.values())  # reaches a float32 harness unchanged
    else:
        assert text == word + "\n"
    if word in ("sat", "unsat"):
        code, out = cli("check", str(cert), "--vnnlib", str(vnnlib), "--model", str(onnx))
        assert code == 0, out
        assert "pinned" in out
    else:
        assert not cert.exists()


# ----------------------------------------------------------------- verify --vnncomp-result (no benchmarks)

@pytest.fixture
def small(tmp_path):
    """A 2-input network (|x0| + |x1| - relu(x0 + x1 - 1/2)) saved as JSON, and two properties."""
    net = mlp(2, [([[1, 0], [-1, 0], [0, 1], [0, -1], [1, 1]], [0, 0, 0, 0, Fraction(-1, 2)]),
                  ([[1, 1, 1, 1, -1]], [0])])
    model = tmp_path / "net.json"
    save_model(net, model)
    holds = tmp_path / "holds.vnnlib"
    holds.write_text(_HDR + "(assert (<= Y_0 -0.75))")
    violated = tmp_path / "violated.vnnlib"
    violated.write_text(_HDR + "(assert (>= Y_0 1.9))")
    return net, model, holds, violated


def test_result_words():
    assert result_word("holds") == "unsat" and result_word("violated") == "sat"
    assert result_word("unknown", "stopped by time_limit") == "timeout"
    assert result_word("unknown", "stopped by max_regions") == "unknown"
    assert all(format_result(w) == w + "\n" for w in RESULT_WORDS if w != "sat")


def test_cli_unsat_leaves_a_pinned_certificate(small, tmp_path):
    _, model, holds, _ = small
    res = tmp_path / "out" / "result.txt"
    res.parent.mkdir()
    code, _ = cli("verify", str(model), str(holds), "--vnncomp-result", str(res), "--no-progress",
                  "--attack-seconds", "0")
    assert code == 0
    check_result(res, model, holds, "unsat")
    assert only_results(res.parent) == ["result.txt", "result.txt.cert.json"]


def test_cli_sat_round_trips_through_recheck(small, tmp_path):
    net, model, _, violated = small
    res = tmp_path / "result.txt"
    code, _ = cli("verify", str(model), str(violated), "--vnncomp-result", str(res), "--no-progress")
    assert code == 10
    check_result(res, model, violated, "sat")
    cex = parse_counterexample(res.read_text())
    from exactrelu.model.evaluation import evaluate

    x = cex.input_vector(2)
    assert tuple(evaluate(net, x)) == cex.output_vector(1)  # the Y_j are the exact outputs


def test_certificate_option_unchanged_by_vnncomp_result(small, tmp_path):
    """--certificate writes the same bytes with or without --vnncomp-result."""
    _, model, holds, violated = small
    for prop in (holds, violated):
        a, b = tmp_path / f"{prop.stem}-a.json", tmp_path / f"{prop.stem}-b.json"
        fast = ("--no-progress", "--attack-seconds", "0")
        cli("verify", str(model), str(prop), "--certificate", str(a), *fast)
        cli("verify", str(model), str(prop), "--certificate", str(b), *fast,
            "--vnncomp-result", str(tmp_path / f"{prop.stem}.txt"))
        assert a.read_bytes() == b.read_bytes()


def test_cli_error_result_and_stale_certificate_removed(small, tmp_path):
    _, model, holds, _ = small
    res = tmp_path / "result.txt"
    certificate_path(res).write_text("{}")  # left by an earlier run: must not sit beside 'error'
    code, _ = cli("verify", str(tmp_path / "missing.onnx"), str(holds), "--vnncomp-result", str(res))
    assert code == 2
    assert res.read_text() == "error\n"
    assert only_results(tmp_path) == ["holds.vnnlib", "net.json", "result.txt", "violated.vnnlib"]


def test_limit_exception_is_unknown(tmp_path):
    from exactrelu.cli.vnncomp_result import writing_error_result
    from exactrelu.errors import LimitReached

    res = tmp_path / "r.txt"

    def stops():
        raise LimitReached("listing the terms needs more than 100000")
    with pytest.raises(LimitReached):
        writing_error_result(res, stops)
    assert res.read_text() == "unknown\n"
    assert writing_error_result(res, lambda: 7) == 7 and res.read_text() == "unknown\n"  # untouched on success


def test_unknown_and_timeout_results(small, tmp_path):
    net, _, holds, _ = small
    prop = parse_vnnlib(holds.read_text())
    res = tmp_path / "r.txt"
    for reason, word in (("stopped by max_regions", "unknown"), ("stopped by time_limit", "timeout")):
        assert write_vnncomp_result(res, net, prop, VerificationResult("unknown", reason=reason)) == word
        assert res.read_text() == word + "\n"
        assert not certificate_path(res).exists()


def test_float_counterexample_prefers_float32(small):
    net, _, _, violated = small
    prop = parse_vnnlib(violated.read_text())
    x0 = (Fraction(99, 100), Fraction(-99, 100))  # y = 1.98 >= 1.9, off the float grid
    from exactrelu.model.evaluation import evaluate

    assert prop.is_counterexample(x0, evaluate(net, x0))
    x, y = float_counterexample(net, prop, x0)
    assert all(is_float32_exact(v) for v in x) and prop.is_counterexample(x, y)
    assert tuple(evaluate(net, x)) == y


# ----------------------------------------------------------------- the scripts on the VNN-COMP families

def _test_family_rows() -> list:
    path = BENCH / "vnncomp2022" / "test" / "instances.csv"
    if not path.exists():
        return [pytest.param(None, None, None, marks=pytest.mark.skip(reason=f"benchmark file not available: {path}"))]
    with path.open() as fh:
        return [pytest.param(r[0], r[1], float(r[2]), id=Path(r[0]).stem) for r in csv.reader(fh) if r]


@pytest.mark.parametrize("onnx_name, vnnlib_name, timeout", _test_family_rows())
def test_test_family(script_env, tmp_path, onnx_name, vnnlib_name, timeout):
    onnx, vnnlib = bench("vnncomp2022", "test", onnx_name), bench("vnncomp2022", "test", vnnlib_name)
    p = prepare(script_env, onnx, vnnlib)
    assert p.returncode == 0, p.stderr
    res = tmp_path / "result.txt"
    r = run_instance(script_env, onnx, vnnlib, res, timeout)
    assert r.returncode == 0, r.stderr
    check_result(res, onnx, vnnlib, TEST_FAMILY[Path(onnx_name).name])
    assert set(only_results(tmp_path)) <= {"result.txt", "result.txt.cert.json"}


@pytest.mark.slow
@pytest.mark.parametrize("net, prop, expected", ACAS, ids=[f"{n[13:16]}-{p}" for n, p, _ in ACAS])
def test_acasxu(script_env, tmp_path, net, prop, expected):
    # the paths as instances.csv gives them (onnx/X.onnx): the scripts take X.onnx.gz when only it exists
    onnx = bench("vnncomp2022", "acasxu", "onnx", f"{net}.onnx")
    vnnlib = bench("vnncomp2022", "acasxu", "vnnlib", f"{prop}.vnnlib")
    assert prepare(script_env, onnx, vnnlib, "acasxu").returncode == 0
    res = tmp_path / "result.txt"
    t0 = time.perf_counter()
    r = run_instance(script_env, onnx, vnnlib, res, 116, "acasxu")
    assert r.returncode == 0, r.stderr
    assert time.perf_counter() - t0 < 116, "an instance chosen to be quick took longer than its timeout"
    gz = lambda p: p if p.exists() else Path(str(p) + ".gz")  # noqa: E731
    check_result(res, gz(onnx), gz(vnnlib), expected)


# ----------------------------------------------------------------- malformed runs

def test_missing_onnx_is_error(script_env, tmp_path, small):
    _, _, holds, _ = small
    missing = tmp_path / "missing.onnx"
    assert prepare(script_env, missing, holds).returncode == 1
    res = tmp_path / "result.txt"
    r = run_instance(script_env, missing, holds, res, 30)
    assert r.returncode == 0, r.stderr
    assert res.read_text() == "error\n"
    assert not certificate_path(res).exists()


def test_scripts_on_a_json_model(script_env, tmp_path, small):
    """Any model exactrelu reads works, not only ONNX; leftover files are replaced."""
    _, model, holds, violated = small
    res = tmp_path / "result.txt"
    res.write_text("sat\n((X_0 0))\n")  # an earlier run's result
    env = dict(script_env, EXACTRELU_VNNCOMP_ARGS="--attack-seconds 0")
    assert run_instance(env, model, holds, res, 30).returncode == 0
    check_result(res, model, holds, "unsat")
    assert run_instance(env, model, violated, res, 30).returncode == 0
    check_result(res, model, violated, "sat")
    assert only_results(tmp_path) == ["holds.vnnlib", "net.json", "result.txt", "result.txt.cert.json",
                                      "violated.vnnlib"]


def test_wrong_version_or_arguments(script_env, tmp_path, small):
    _, model, holds, _ = small
    res = tmp_path / "result.txt"
    assert run_instance(script_env, model, holds, res, 30, version="v2").returncode == 1
    assert prepare(script_env, model, holds, version="v0").returncode == 1
    r = subprocess.run(["bash", str(SCRIPTS / "run_instance.sh"), "v1", "test"], env=script_env,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1 and "usage" in r.stderr
    assert not res.exists()
    assert run_instance(script_env, model, holds, res, "soon").returncode == 0
    assert res.read_text() == "error\n"


@pytest.mark.slow
def test_time_budget_is_timeout(script_env, tmp_path):
    """An instance needing far more than the time budget (3_3 property 2 takes over a minute):
    exactrelu stops itself -> timeout."""
    onnx = bench("vnncomp2022", "acasxu", "onnx", "ACASXU_run2a_3_3_batch_2000.onnx")
    vnnlib = bench("vnncomp2022", "acasxu", "vnnlib", "prop_2.vnnlib")
    res = tmp_path / "result.txt"
    env = dict(script_env, EXACTRELU_VNNCOMP_ARGS="--attack-seconds 0")
    t0 = time.perf_counter()
    r = run_instance(env, onnx, vnnlib, res, 2, "acasxu")
    assert r.returncode == 0
    assert res.read_text() == "timeout\n", r.stdout + r.stderr
    assert time.perf_counter() - t0 < 2 + 2 + 3 + 5  # TIMEOUT + grace + kill-after, with slack
    assert only_results(tmp_path) == ["result.txt"]


def _slow_cli(tmp_path: Path) -> Path:
    slow = tmp_path / "slow-exactrelu"
    slow.write_text("#!/bin/sh\nsleep 30\n")  # a CLI that never answers
    slow.chmod(0o755)
    return slow


def test_hard_kill_is_timeout(script_env, tmp_path, small):
    """A run that ignores its budget is killed shortly after TIMEOUT -> timeout."""
    _, model, holds, _ = small
    res = tmp_path / "out" / "result.txt"
    res.parent.mkdir()
    env = dict(script_env, EXACTRELU=str(_slow_cli(tmp_path)), EXACTRELU_VNNCOMP_GRACE="0.5")
    t0 = time.perf_counter()
    r = run_instance(env, model, holds, res, 1)
    assert r.returncode == 0
    assert time.perf_counter() - t0 < 10
    assert res.read_text() == "timeout\n"
    assert only_results(res.parent) == ["result.txt"]


def test_harness_stopping_the_script_is_timeout(script_env, tmp_path, small):
    """SIGTERM to run_instance.sh (the harness giving up) stops exactrelu and leaves timeout."""
    _, model, holds, _ = small
    res = tmp_path / "out" / "result.txt"
    res.parent.mkdir()
    env = dict(script_env, EXACTRELU=str(_slow_cli(tmp_path)))
    proc = subprocess.Popen(["bash", str(SCRIPTS / "run_instance.sh"), "v1", "test", str(model), str(holds),
                             str(res), "60"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert res.read_text() == "timeout\n"
    assert only_results(res.parent) == ["result.txt"]
