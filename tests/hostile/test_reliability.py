"""Regression tests for the reliability layer: the one exit-code table, the documented
limits, bounded reading, strict JSON, and one line for every CLI error (internal errors
included). Each bug fixed here has a test named after it."""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import re
import sys
import time
import tracemalloc
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import exactrelu
import exactrelu.errors as errors
from exactrelu.errors import EXIT_CODES, DomainError, ExactReluError, ExitCode, ModelFormatError, NumberError
from exactrelu.limits import MAX_EXPONENT, MAX_NUMBER_CHARS

PKG = Path(exactrelu.__file__).parent


def run_cli(argv, env=None, monkeypatch=None):
    from exactrelu.cli.app import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = main([str(a) for a in argv])
        except SystemExit as exc:
            rc = exc.code
    return rc, out.getvalue(), err.getvalue()


# --- the one exit-code table ------------------------------------------------------------

def test_exit_code_table_values():
    assert EXIT_CODES == {"ok": 0, "invalid": 1, "unusable": 2, "backend": 3, "violated": 10, "incomplete": 20,
                          "internal": 70, "interrupted": 130}


def test_every_error_class_exits_with_a_code_of_the_table():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, ExactReluError)]
    from exactrelu.domain.cex import CounterexampleFormatError
    from exactrelu.shallow.certificates import RepresentationMismatch
    from exactrelu.shallow.lazy import TooManyTerms

    for cls in classes + [CounterexampleFormatError, RepresentationMismatch, TooManyTerms]:
        assert isinstance(cls.exit_code, ExitCode), cls
    assert errors.LPError.exit_code == 3 and errors.LimitReached.exit_code == 20 and ModelFormatError.exit_code == 2


def test_verify_exit_codes_are_the_table():
    from exactrelu.verify.property import EXIT_CODES as VERIFY

    assert VERIFY == {"holds": ExitCode.OK, "violated": ExitCode.VIOLATED, "unknown": ExitCode.INCOMPLETE}


def test_cli_modules_return_no_literal_exit_codes():
    """The CLI's codes come from ExitCode; a `return 2` or `return 20` would be a second table."""
    for path in sorted(PKG.glob("cli*.py")):
        src = path.read_text()
        bad = [ln for ln in src.splitlines() if re.search(r"\breturn\s+\(?\s*[0-9]+\b", ln)
               or re.search(r"\{True:\s*[0-9]", ln)]
        assert not bad, (path.name, bad)


def _certificate(tmp_path: Path) -> Path:
    from exactrelu.certificate.partition import partition_certificate, write_certificate
    from exactrelu.domain.polytope import parse_box
    from exactrelu.model.network import mlp
    from exactrelu.regions.walk import enumerate_regions

    net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    part = enumerate_regions(net, parse_box("-1:1", 1))
    p = tmp_path / "c.json"
    write_certificate(partition_certificate(part), p)
    return p


def test_checker_and_product_agree_on_0_1_2(tmp_path):
    """The checker keeps its own codes (it imports nothing from exactrelu): observed, not read."""
    from exactrelu.checker import run

    valid = _certificate(tmp_path)
    cert = json.loads(valid.read_text())
    cert["regions"][0]["d"] = ["12345"]  # a wrong affine map: invalid
    invalid = tmp_path / "bad.json"
    invalid.write_text(json.dumps(cert))
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        codes = (run([str(valid), "-q"]), run([str(invalid), "-q"]), run([str(junk), "-q"]))
    assert codes == (ExitCode.OK, ExitCode.INVALID, ExitCode.UNUSABLE)
    # and through the product's CLI the same three
    assert [run_cli(["check", p])[0] for p in (valid, invalid, junk)] == [0, 1, 2]


# --- one line on every path -------------------------------------------------------------

def test_internal_error_is_one_line_and_exit_70(monkeypatch, tmp_path):
    import exactrelu.cli.info as cli

    def boom(args):
        raise RuntimeError("kaboom\nsecond line")

    monkeypatch.setattr(cli, "cmd_info", boom)
    monkeypatch.delenv("EXACTRELU_DEBUG", raising=False)
    rc, out, err = run_cli(["info", "whatever.json"])
    lines = err.strip().splitlines()
    assert rc == ExitCode.INTERNAL == 70 and not out and len(lines) == 1
    assert lines[0].startswith("exactrelu: internal error: RuntimeError at exactrelu/")
    assert "kaboom second line" in lines[0] and "EXACTRELU_DEBUG=1" in lines[0]
    monkeypatch.setenv("EXACTRELU_DEBUG", "1")
    with pytest.raises(RuntimeError, match="kaboom"):
        run_cli(["info", "whatever.json"])


def test_argparse_errors_are_one_line():
    rc, out, err = run_cli(["regions", "m.json", "--workers", "-3"])
    assert rc == 2 and not out
    assert err.strip() == ("exactrelu: error: regions: argument --workers: expected an integer from 1 to 1024, "
                           "got -3 (see exactrelu regions --help)")


def test_long_messages_are_clipped_to_one_readable_line(tmp_path):
    (tmp_path / "m.json").write_text('{"format": "' + "x" * 100_000 + '"}')
    rc, out, err = run_cli(["info", tmp_path / "m.json"])
    assert rc == 2 and len(err.splitlines()) == 1 and len(err) < 2200


# --- numbers ------------------------------------------------------------------------------

def test_huge_exponent_is_refused_at_once_not_hung():
    """Bug: Fraction(Decimal("1e999999999")) hung the process (JSON, VNN-LIB, npz, domains)."""
    from exactrelu.numbers.rationals import to_rational

    for text in ("1e999999999", "-1e-999999999", "1e100001", "1e" + "9" * 5000):
        t0 = time.perf_counter()
        with pytest.raises(NumberError, match="beyond the limit of 100,000"):
            to_rational(text)
        assert time.perf_counter() - t0 < 0.1
    with pytest.raises(NumberError, match="beyond the limit"):
        to_rational(Decimal("1e999999999"))


def test_limits_are_exact_boundaries():
    from exactrelu.numbers.rationals import to_rational

    assert to_rational(f"1e{MAX_EXPONENT}") == 10 ** MAX_EXPONENT
    assert to_rational(f"1e-{MAX_EXPONENT}") == Fraction(1, 10 ** MAX_EXPONENT)
    assert to_rational("7" * MAX_NUMBER_CHARS).numerator % 10 == 7
    with pytest.raises(NumberError, match="1,000,001 characters"):
        to_rational("7" * (MAX_NUMBER_CHARS + 1))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\A[+-]?([0-9]{1,30}(\.[0-9]{0,30})?|\.[0-9]{1,30})([eE][+-]?[0-9]{1,3})?\Z"))
def test_decimal_parsing_agrees_with_pythons_decimal(text):
    """Oracle: Fraction(Decimal(text)), which the product used before (and which hangs on huge exponents)."""
    from exactrelu.numbers.rationals import to_rational

    assert to_rational(text) == Fraction(Decimal(text))


@pytest.mark.parametrize("digits", [4_001, 4_301, 50_000, 1_000_000])
def test_long_integers_round_trip_against_the_checkers_parser(digits):
    from exactrelu.checker.checker import parse_int
    from exactrelu.numbers.rationals import int_str, parse_int

    text = ("98765432101234567" * (digits // 17 + 1))[:digits]
    n = parse_int(text)
    if digits <= 50_000:
        assert n == parse_int(text)  # the checker's divide-and-conquer parser: an independent oracle
    assert int_str(n) == text and int_str(-n) == "-" + text and parse_int("-" + text) == -n


def test_json_integers_beyond_4300_digits():
    """Bug: json.loads raised a raw ValueError on a 5,000-digit JSON integer."""
    from exactrelu.io.native_json import loads
    from exactrelu.model.network import mlp
    from exactrelu.io.native_json import network_to_dict

    d = network_to_dict(mlp(1, [([[1]], [0])]))
    text = json.dumps(d).replace('"bias": ["0"]', '"bias": [' + "9" * 5000 + "]")
    assert loads(text).layers[0].bias == (Fraction(10 ** 5000 - 1),)
    with pytest.raises(ModelFormatError, match="1,000,001 digits refused"):
        loads(json.dumps(d).replace('"bias": ["0"]', '"bias": [' + "9" * 1_000_001 + "]"))


def test_input_names_must_be_strings():
    """Bug: "input_names": 5 raised TypeError."""
    from exactrelu.io.native_json import loads
    from exactrelu.model.network import Network, mlp

    from exactrelu.io.native_json import network_to_dict

    d = network_to_dict(mlp(1, [([[1]], [0])]))
    d["input_names"] = 5
    with pytest.raises(ModelFormatError, match="'input_names' must be a list of strings"):
        loads(json.dumps(d))
    net = mlp(1, [([[1]], [0])])
    with pytest.raises(errors.ModelError, match="input_names must be a tuple of strings"):
        Network(1, net.layers, input_names=(5,))


def test_counterexample_numbers_of_any_length():
    """Bugs: the counterexample reader had its own parser (a raw ValueError on a 5,000-digit
    p/q, its own exponent limit) and format_exact_decimal called str() on huge ints."""
    from exactrelu.domain.cex import CounterexampleFormatError, format_exact_decimal, parse_counterexample
    from exactrelu.numbers.rationals import int_str, to_rational

    den = 10 ** 5000 + 1
    assert parse_counterexample(f"((X_0 1/{int_str(den)}))").inputs[0] == Fraction(1, den)
    assert parse_counterexample("((X_0 1e-5000))").inputs[0] == Fraction(1, 10 ** 5000)  # was refused (limit 4,000)
    with pytest.raises(CounterexampleFormatError, match="out of range"):
        parse_counterexample("((X_0 1e100001))")
    text = format_exact_decimal(Fraction(1, 2 ** 20_000))
    assert text.startswith("0.") and len(text) == 20_002 and to_rational(text) == Fraction(1, 2 ** 20_000)
    assert format_exact_decimal(Fraction(1, 3 ** 9000)).startswith("1/")


def test_npz_long_double_is_read_exactly(tmp_path):
    """Bug: float128 arrays were rounded to float64 before the exact conversion."""
    from exactrelu.io.numpy_io import load_npz

    third = np.longdouble(1) / np.longdouble(3)
    np.savez(tmp_path / "m.npz", W0=np.array([[third]], dtype=np.longdouble), b0=np.zeros(1))
    w = load_npz(tmp_path / "m.npz").layers[0].inputs[0][1][0][0]
    p, q = third.as_integer_ratio()
    assert w == Fraction(int(p), int(q)) and w != Fraction(float(third))


def test_cdd_reads_numbers_beyond_4300_digits_and_restores_the_limit():
    """Bug: a domain with a 5,000-digit number failed inside pycddlib with a raw ValueError."""
    from exactrelu.numbers.lp import vertices_and_rays

    big = Fraction(10 ** 5000 + 1, 3)
    before = sys.get_int_max_str_digits()
    verts, rays, lin = vertices_and_rays([[Fraction(1)], [Fraction(-1)]], [big, Fraction(0)])
    assert sorted(verts) == [(Fraction(0),), (big,)] and not rays and not lin
    assert sys.get_int_max_str_digits() == before


def test_tiny_weight_region_walk_and_certificate(tmp_path):
    """Bug: a 1e-400 weight crashed intnet (an all-zero int64 block divided by a gcd beyond int64)."""
    from exactrelu.certificate.partition import partition_certificate
    from exactrelu.checker import check_certificate
    from exactrelu.domain.polytope import parse_box
    from exactrelu.model.network import mlp
    from exactrelu.regions.walk import enumerate_regions

    net = mlp(2, [([["1e-400", 1], [1, -1]], [0, 0]), ([[1, 1]], [0])])
    part = enumerate_regions(net, parse_box("-1:1", 2))
    assert part.complete and check_certificate(partition_certificate(part)).valid


def test_box_near_the_float64_limit_is_decided_exactly():
    """Bug: simple_interior rounded an infinite float average (OverflowError)."""
    from exactrelu.certificate.partition import partition_certificate
    from exactrelu.checker import check_certificate
    from exactrelu.domain.polytope import parse_box
    from exactrelu.model.network import mlp
    from exactrelu.regions.walk import enumerate_regions

    net = mlp(2, [([[1, -1], [1, 1]], [0, 0]), ([[1, 1]], [0])])
    with np.errstate(all="ignore"):
        part = enumerate_regions(net, parse_box("-1e308:1e308", 2))
    assert part.complete and len(part.regions) == 4
    assert check_certificate(partition_certificate(part)).valid
    with pytest.raises(DomainError, match="beyond the float64 range"):
        parse_box("0:1e309", 1)


# --- files --------------------------------------------------------------------------------

def test_gzip_bomb_is_not_decompressed_into_memory(tmp_path):
    from exactrelu.io.files import read_bytes

    member = gzip.compress(b"\0" * (1 << 20), 9)
    (tmp_path / "bomb.gz").write_bytes(member * 256)  # 256 MiB inflated, ~260 KB on disk
    tracemalloc.start()
    try:
        with pytest.raises(ModelFormatError, match="decompressed content is larger than the limit of 1 MiB"):
            read_bytes(tmp_path / "bomb.gz", ModelFormatError, limit=1 << 20, gunzip=True)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20, peak


def test_limits_from_the_environment(tmp_path, monkeypatch):
    from exactrelu.io import load_model
    from exactrelu.io.native_json import save_json
    from exactrelu.model.network import mlp

    save_json(mlp(1, [([[1]], [0])]), tmp_path / "m.json")
    monkeypatch.setenv("EXACTRELU_MAX_MODEL_BYTES", "50")
    with pytest.raises(ModelFormatError, match="larger than the limit of 50 bytes"):
        load_model(tmp_path / "m.json")
    monkeypatch.setenv("EXACTRELU_MAX_MODEL_BYTES", "1000000")
    assert load_model(tmp_path / "m.json").n_inputs == 1
    assert load_model(tmp_path / "m.json", max_bytes=10_000).n_inputs == 1
    with pytest.raises(ModelFormatError, match="limit of 50 bytes"):
        load_model(tmp_path / "m.json", max_bytes=50)


def test_binary_domain_file_is_a_domain_error(tmp_path):
    """Bug: --domain given a binary file raised UnicodeDecodeError."""
    from exactrelu.domain.polytope import load_domain

    (tmp_path / "d.json").write_bytes(bytes(range(256)))
    with pytest.raises(DomainError, match="not a text file"):
        load_domain(tmp_path / "d.json")
    rc, out, err = run_cli(["regions", PKG / "examples" / "mlp_2x8x8.json", "--domain", tmp_path / "d.json"])
    assert rc == 2 and len(err.splitlines()) == 1 and "not a text file" in err


def test_strict_json():
    from exactrelu.io.files import parse_json

    for text, msg in [('{"a": NaN}', "NaN is not a JSON number"), ('{"a": 1, "a": 2}', "duplicate key 'a'"),
                      ("[" * 100_000, "nested too deeply"), ('{"a": -Infinity}', "-Infinity")]:
        with pytest.raises(DomainError, match=re.escape(msg)):
            parse_json(text, DomainError, "x.json")
    assert parse_json('{"a": ' + "1" * 5000 + "}", DomainError, "x.json")["a"] == int("1" * 4000) * 10 ** 1000 + \
        int("1" * 1000)
