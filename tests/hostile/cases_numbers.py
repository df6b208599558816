"""Hostile numbers in every place a number literal is read: native JSON networks (strings
and JSON integers), ``.npz`` string arrays, ``.nnet`` files, domain files, ``--box``,
``--point``, VNN-LIB bounds and counterexample files.

The documented limits (:mod:`exactrelu.limits`): a literal has at most 1,000,000
characters and a decimal exponent at most 100,000 in absolute value, checked on the text
before any big computation (``1e999999999`` used to hang the process); integers beyond
Python's 4,300-digit int/str limit are read exactly up to the character limit (JSON
integers used to raise a raw ``ValueError``). Each refusal also asserts that
:func:`exactrelu.numbers.rationals.to_rational` raises :class:`~exactrelu.errors.NumberError` on
the literal itself.
"""

from __future__ import annotations

import json

import numpy as np

from exactrelu.domain.cex import parse_counterexample
from exactrelu.domain.polytope import load_domain, parse_box
from exactrelu.io import load_model
from exactrelu.numbers.rationals import parse_rational_list, to_rational

from hostile.build import net_json, net_text_with, npz_bytes, npz_ok, nnet_with, setp
from hostile.case import Case

E = r"^exactrelu: error: .*"
OK_INFO = r"width\s+1\s+identity"
ONE_INPUT = json.dumps({"format": "exactrelu-network", "version": 1, "inputs": 1, "layers": [
    {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"]]}]}]})
TWO_INPUTS = net_json()

PROPERTY = ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
            "(assert (<= X_0 1))\n(assert (>= X_0 -1))\n(assert (<= X_1 1))\n(assert (>= X_1 -1))\n"
            "(assert (>= Y_0 100))\n")
HUGE_EXP = "1e999999999"
TOO_LONG = "1" * 1_000_001
LONGEST = "7" * 1_000_000


def refused(name: str, literal: str, message: str, seconds: float = 10.0, note: str = "") -> list[Case]:
    """A literal refused as a JSON bias string, a domain bound, a --box bound and a --point
    coordinate; the first case also checks to_rational(literal) -> NumberError."""
    shown = json.dumps(literal)
    return [
        Case(f"numbers/{name}/json-string", {"m.json": net_json(setp(("layers", 0, "bias", 1), literal))},
             ("info", "{m.json}"), 2, E + r"layer 1 bias: " + message, "NumberError",
             api=lambda p: to_rational(literal), seconds=seconds, note=note),
        Case(f"numbers/{name}/domain", {"m.json": ONE_INPUT, "d.json": '{"A": [[1], [-1]], "b": [%s, 1]}' % shown},
             ("regions", "{m.json}", "--domain", "{d.json}"), 2, E + r"domain: " + message, "DomainError",
             api=lambda p: load_domain(p["d.json"]), seconds=seconds),
        Case(f"numbers/{name}/box", {"m.json": ONE_INPUT}, ("regions", "{m.json}", f"--box=0:{literal}"), 2,
             E + r"box: " + message, "DomainError", api=lambda p: parse_box(f"0:{literal}", 1), seconds=seconds),
        Case(f"numbers/{name}/point", {"m.json": TWO_INPUTS}, ("eval", "{m.json}", f"--point=0,{literal}"), 2,
             E + r"--point: " + message, "NumberError", api=lambda p: parse_rational_list(f"0,{literal}"),
             seconds=seconds),
    ]


def accepted(name: str, literal: str, seconds: float = 20.0, note: str = "") -> list[Case]:
    """A literal accepted (exactly) as a JSON bias string and a --point coordinate."""
    return [
        Case(f"numbers/{name}/json-string-accepted", {"m.json": net_json(setp(("layers", 0, "bias", 1), literal))},
             ("info", "{m.json}"), 0, OK_INFO, seconds=seconds, note=note),
        Case(f"numbers/{name}/point-accepted", {"m.json": TWO_INPUTS}, ("eval", "{m.json}", f"--point=0,{literal}"),
             0, r"^-?[0-9]+(/[0-9]+)?$", seconds=seconds),
    ]


BEYOND = r"decimal exponent {} is beyond the limit of 100,000 in absolute value"
MALFORMED = r"malformed number '{}'"

CASES: list[Case] = [
    *refused("exponent-999999999", HUGE_EXP, BEYOND.format("999999999"), seconds=5, note="used to hang"),
    *refused("exponent-minus-999999999", "-1e-999999999", BEYOND.format("-999999999"), seconds=5),
    *refused("exponent-100001", "1e100001", BEYOND.format("100001"), seconds=5),
    *refused("exponent-5000-digits", "1e" + "9" * 5000, r"decimal exponent 9{10}\.\.\.\(5,000 digits\) is beyond",
             seconds=5),
    *refused("too-long-integer", TOO_LONG, r"number literal of 1,000,001 characters refused", seconds=5),
    *refused("too-long-fraction", "1" * 500_000 + "/" + "3" * 500_001,
             r"number literal of 1,000,002 characters refused", seconds=5),
    *refused("zero-denominator", "1/0", r"zero denominator in '1/0'"),
    *refused("zero-over-zero", "0/0", r"zero denominator"),
    *refused("hex", "0x10", MALFORMED.format("0x10")),
    *refused("underscores", "1_000", MALFORMED.format("1_000")),
    *refused("arabic-indic-digit", "\u0663", MALFORMED.format("\u0663")),
    *refused("fullwidth-digit", "\uff11", MALFORMED.format("\uff11")),
    *refused("nbsp-padding", "\u00a01", MALFORMED.format(r"\\xa01")),
    *refused("nan-string", "nan", MALFORMED.format("nan")),
    *refused("inf-string", "-inf", MALFORMED.format("-inf")),
    *refused("infinity-sign", "\u221e", MALFORMED.format("\u221e")),
    *refused("half-sign", "\u00bd", MALFORMED.format("\u00bd")),
    *refused("lone-exponent", "e5", MALFORMED.format("e5")),
    *refused("dangling-exponent", "1e", MALFORMED.format("1e")),
    *refused("lone-dot", ".", MALFORMED.format(r"\.")),
    *refused("double-sign", "+-1", MALFORMED.format(r"\+-1")),
    *refused("two-dots", "1..2", MALFORMED.format(r"1\.\.2")),
    *refused("fractional-exponent", "1e1.5", MALFORMED.format(r"1e1\.5")),
    *refused("decimal-fraction", "1.5/2", MALFORMED.format(r"1\.5/2")),
    *refused("junk-after-digits", "1" * 999_000 + "x",
             r"malformed number '1{20}'\.\.\.\(999,001 characters\)", seconds=5,
             note="a regex that backtracked quadratically would take hours here"),
    # accepted, exactly: the limits are not a ban on long numbers
    *accepted("exponent-100000", "1e100000"),
    *accepted("exponent-minus-100000", "-1e-100000"),
    *accepted("exponent-leading-zeros", "1e" + "0" * 5000 + "1", note="the exponent is 1"),
    *accepted("longest-integer", LONGEST, note="1,000,000 digits: flint reads them in ~0.03 s"),
    *accepted("longest-fraction", "1" * 499_999 + "/" + "3" * 500_000),
    *accepted("5000-digits", "9" * 5000, note="beyond Python's 4,300-digit int/str limit"),
    *accepted("padded", " 1/2 "),
    *accepted("signed-fraction", "+3/-7"),
    Case("numbers/json-integer-5000-digits-accepted", {"m.json": net_text_with('"1/2"', "9" * 5000)},
         ("info", "{m.json}"), 0, OK_INFO, note="was a raw ValueError traceback (json.loads)"),
    Case("numbers/json-integer-negative-5000-digits-accepted", {"m.json": net_text_with('"1/2"', "-" + "9" * 5000)},
         ("info", "{m.json}"), 0, OK_INFO),
    Case("numbers/json-integer-longest-accepted", {"m.json": net_text_with('"1/2"', LONGEST)},
         ("info", "{m.json}"), 0, OK_INFO),
    Case("numbers/json-integer-too-long", {"m.json": net_text_with('"1/2"', TOO_LONG)},
         ("info", "{m.json}"), 2, E + r"integer of 1,000,001 digits refused", "ModelFormatError",
         api=lambda p: load_model(p["m.json"]), seconds=5),
    Case("numbers/json-integer-inputs-too-long", {"m.json": net_text_with('"inputs": 2', '"inputs": ' + TOO_LONG)},
         ("info", "{m.json}"), 2, E + r"integer of 1,000,001 digits refused", "ModelFormatError",
         api=lambda p: load_model(p["m.json"]), seconds=5),
    Case("numbers/domain-json-integer-too-long", {"m.json": ONE_INPUT,
                                                  "d.json": '{"A": [[1], [-1]], "b": [%s, 1]}' % TOO_LONG},
         ("regions", "{m.json}", "--domain", "{d.json}"), 2, E + r"integer of 1,000,001 digits refused",
         "DomainError", api=lambda p: load_domain(p["d.json"]), seconds=5),
    Case("numbers/domain-json-integer-5000-digits", {"m.json": ONE_INPUT,
                                                     "d.json": '{"A": [[1], [-1]], "b": [%s, 1]}' % ("9" * 5000)},
         ("regions", "{m.json}", "--domain", "{d.json}"), 2,
         E + r"domain vertex coordinate about 10\^(4999|5000) is beyond the float64 range", "DomainError",
         api=lambda p: load_domain(p["d.json"]), note="read exactly (cdd used to fail on it with a raw ValueError); "
         "refused for being beyond float64"),
    Case("numbers/domain-tiny-accepted", {"m.json": ONE_INPUT, "d.json": '{"A": [[1], [-1]], "b": ["1e-100000", 0]}'},
         ("regions", "{m.json}", "--domain", "{d.json}"), 0, r"1 regions, .* complete"),
    Case("numbers/box-beyond-float64", {"m.json": ONE_INPUT}, ("regions", "{m.json}", "--box=0:1e400"), 2,
         E + r"box bound about 10\^400 is beyond the float64 range", "DomainError",
         api=lambda p: parse_box("0:1e400", 1)),
    Case("numbers/box-near-float64-limit-accepted", {"m.json": TWO_INPUTS}, ("regions", "{m.json}", "--box=-1e308:1e308"),
         0, r"regions, .* complete", note="float proposals overflow; exact arithmetic decides"),
    Case("numbers/box-tiny-accepted", {"m.json": TWO_INPUTS}, ("regions", "{m.json}", "--box=0:1e-300"),
         0, r"regions, .* complete"),
    Case("numbers/point-1e400-float", {"m.json": TWO_INPUTS}, ("eval", "{m.json}", "--point=1e400,0", "--float"),
         0, r"^float64: (inf|nan)", note="float64 overflow is inf; was an OverflowError"),
    Case("numbers/weight-1e400-eval-float", {"m.json": net_json(setp(("layers", 0, "inputs", 0, "weight", 0, 0),
                                                                     "1e400"))},
         ("eval", "{m.json}", "--point=1,0", "--float"), 0, r"^float64: inf", note="was an OverflowError"),
    Case("numbers/weight-1e-400-regions", {"m.json": net_json(setp(("layers", 0, "inputs", 0, "weight", 0, 0),
                                                                   "1e-400"))},
         ("regions", "{m.json}", "--box=-1:1"), 0, r"regions, .* complete",
         note="an all-zero int64 block divided by a gcd beyond int64 used to crash intnet"),
    Case("numbers/weight-1e400-crosscheck", {"m.json": net_json(setp(("layers", 0, "bias", 0), "1e400"))},
         ("crosscheck", "{m.json}", "--box=-1:1", "--points", "20"), 2,
         E + r"layer 1 has a weight or bias beyond the float64 range", note="was an OverflowError"),
    Case("numbers/weight-1e-400-crosscheck", {"m.json": net_json(setp(("layers", 0, "inputs", 0, "weight", 0, 0),
                                                                      "1e-400"))},
         ("crosscheck", "{m.json}", "--box=-1:1", "--points", "50"), 0, r"\S",
         note="a hyperplane normal with 400-digit coefficients overflowed float(); now scaled exactly first"),
    Case("numbers/cex-far-outside-the-region", {"m.json": TWO_INPUTS, "p.vnnlib": PROPERTY,
                                                "c.txt": "((X_0 1e1000) (X_1 0))"},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 1, r"real counterexample: NO",
         note="the summary's float(violation) overflowed (an internal error)"),
    # .npz string arrays and .nnet tokens
    Case("numbers/npz-string-huge-exponent", {"m.npz": npz_bytes(**npz_ok(b0=np.array([HUGE_EXP, "0"])))},
         ("info", "{m.npz}"), 2, E + r"b0: " + BEYOND.format("999999999"), "ModelFormatError",
         api=lambda p: load_model(p["m.npz"]), seconds=5, note="used to hang"),
    Case("numbers/npz-string-5000-digits-accepted", {"m.npz": npz_bytes(**npz_ok(b0=np.array(["9" * 5000, "0"])))},
         ("info", "{m.npz}"), 0, OK_INFO),
    Case("numbers/npz-float128-exact", {"m.npz": npz_bytes(**npz_ok(b0=np.array([1, 0], dtype=np.longdouble)
                                                                   / np.longdouble(3)))},
         ("info", "{m.npz}"), 0, OK_INFO),
    Case("numbers/nnet-huge-exponent", {"m.nnet": nnet_with("0.1,", HUGE_EXP + ",")}, ("info", "{m.nnet}"), 2,
         E + BEYOND.format("999999999"), "ModelFormatError", api=lambda p: load_model(p["m.nnet"]), seconds=5),
    Case("numbers/nnet-too-long", {"m.nnet": nnet_with("0.1,", TOO_LONG + ",")}, ("info", "{m.nnet}"), 2,
         E + r"number literal of 1,000,001 characters refused", "ModelFormatError",
         api=lambda p: load_model(p["m.nnet"]), seconds=5),
    # counterexample files (recheck) and VNN-LIB bounds
    Case("numbers/cex-huge-exponent", {"m.json": TWO_INPUTS, "p.vnnlib": PROPERTY, "c.txt": f"((X_0 {HUGE_EXP}) (X_1 0))"},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 2, E + r"X_0: value out of range", "PropertyError",
         api=lambda p: parse_counterexample(f"((X_0 {HUGE_EXP}) (X_1 0))"), seconds=5),
    Case("numbers/cex-too-long", {"m.json": TWO_INPUTS, "p.vnnlib": PROPERTY, "c.txt": f"((X_0 {TOO_LONG}) (X_1 0))"},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 2, E + r"X_0: value out of range: number literal",
         "PropertyError", api=lambda p: parse_counterexample(f"((X_0 {TOO_LONG}) (X_1 0))"), seconds=5,
         note="was an internal error (float overflow in the summary)"),
    Case("numbers/cex-5000-digit-fraction-denominator", {"m.json": TWO_INPUTS, "c.txt": f"((X_0 1/{'9' * 5000}) (X_1 0))",
                                                         "p.vnnlib": "(declare-const X_0 Real)\n(declare-const X_1 Real)\n"
                                                         "(declare-const Y_0 Real)\n(assert (<= X_0 1))\n"
                                                         "(assert (>= X_0 -1))\n(assert (<= X_1 1))\n"
                                                         "(assert (>= X_1 -1))\n(assert (>= Y_0 100))\n"},
         ("recheck", "{m.json}", "{p.vnnlib}", "{c.txt}"), 1, r"real counterexample: NO",
         note="int() of a 5,000-digit denominator was a raw ValueError"),
    Case("numbers/vnnlib-5000-digit-number-in-a-polytope",
         {"m.json": TWO_INPUTS, "p.vnnlib": "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
          "(assert (<= -1 X_0 1)) (assert (<= -1 X_1 1)) (assert (<= (+ X_0 X_1) 1e5000))\n"},
         ("verify", "{m.json}", "{p.vnnlib}"), 10, r"^counterexample|^output|^violated",
         note="a redundant row with a 5,001-digit number: pycddlib's string conversion used to fail (ValueError)"),
    Case("numbers/vnnlib-bound-5000-digits", {"m.json": TWO_INPUTS, "p.vnnlib":
                                              "(declare-const X_0 Real)\n(declare-const X_1 Real)\n"
                                              "(declare-const Y_0 Real)\n(assert (<= X_0 " + "9" * 5000 + "))\n"
                                              "(assert (>= X_0 -1))\n(assert (<= X_1 1))\n(assert (>= X_1 -1))\n"
                                              "(assert (>= Y_0 100))\n"},
         ("regions", "{m.json}", "--vnnlib", "{p.vnnlib}"), 2,
         E + r"domain vertex coordinate about 10\^(4999|5000) is beyond the float64 range",
         note="cdd used to fail with a raw ValueError on 5,000-digit numbers"),
]
