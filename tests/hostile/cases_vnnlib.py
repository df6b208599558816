"""Hostile VNN-LIB files, through ``verify`` (exactrelu's parser) and ``check --vnnlib``
(the checker's own reader), and mismatched pins (``--vnnlib``, ``--box``, ``--domain``).

Every bad property file is run twice: ``verify NET P`` must refuse it with exactrelu's
error class (``PropertyError``, or ``NumberError`` for the number limits), exit 2, one
line naming the problem; ``check CERT --vnnlib P`` must refuse it with the checker's
``PinInputError``, exit 2, one line, before checking anything.
"""

from __future__ import annotations

import gzip
import json

from exactrelu.checker.vnnlib import read_vnnlib_file
from exactrelu.domain.vnnlib import load_vnnlib

from hostile.case import Case

NET = json.dumps({"format": "exactrelu-network", "version": 1, "inputs": 1, "layers": [
    {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"]]}]},
    {"activation": "identity", "bias": ["0"], "inputs": [{"source": 1, "weight": [["1"]]}]}]})
NET2 = json.dumps({"format": "exactrelu-network", "version": 1, "inputs": 2, "layers": [
    {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1", "1"]]}]},
    {"activation": "identity", "bias": ["0"], "inputs": [{"source": 1, "weight": [["1"]]}]}]})
NET784 = json.dumps({"format": "exactrelu-network", "version": 1, "inputs": 784, "layers": [
    {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"] * 784]}]}]})
# relu(x) on [-1, 1], counterexamples y >= 1/2; the point 1 is one (a valid certificate)
CERT = json.dumps({"format": "exactrelu-certificate", "version": 1, "claim": "counterexample",
                   "network": json.loads(NET),
                   "property": {"n_inputs": 1, "n_outputs": 1, "fixed_inputs": {},
                                "inputs": [{"A": [["-1"], ["1"]], "b": ["1", "1"]}],
                                "disjuncts": [{"input": 0, "constraints": [
                                    {"a": ["0"], "c": ["-1"], "b": "-1/2", "strict": False}]}]},
                   "complete": True, "point": ["1"]})
# the same net and box: a partition certificate (two regions) for --box / --domain pins
PART = json.dumps({"format": "exactrelu-certificate", "version": 1, "claim": "partition", "network": json.loads(NET),
                   "domain": {"A": [["1"], ["-1"]], "b": ["1", "1"]}, "root_witness": ["0"], "complete": True,
                   "nodes": [{"id": 0, "parent": None, "side": None, "decisions": [],
                              "split": {"unit": 0, "pos": 1, "neg": 2, "witness_pos": ["1/2"],
                                        "witness_neg": ["-1/2"]}},
                             {"id": 1, "parent": 0, "side": "+", "decisions": [], "split": None},
                             {"id": 2, "parent": 0, "side": "-", "decisions": [], "split": None}],
                   "regions": [{"node": 1, "pattern": "1", "C": [["1"]], "d": ["0"]},
                               {"node": 2, "pattern": "0", "C": [["0"]], "d": ["0"]}]})
GOOD = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (>= Y_0 0.5))\n"
D = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
BOX = "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n"

# name: (file content, product error class, regex for verify's line, regex for check's line)
BAD: dict[str, tuple] = {
    "alias-Y_00": ("(declare-const X_0 Real)\n(declare-const Y_00 Real)\n" + BOX + "(assert (>= Y_00 0.5))\n",
                   "PropertyError", r"line 2: 'Y_00' is not a VNN-LIB variable name", r"line 2: 'Y_00' is not a variable"),
    "alias-X_00-beside-X_0": (D + "(declare-const X_00 Real)\n" + BOX + "(assert (>= Y_0 0.5))\n", "PropertyError",
                              r"'X_00' is not a VNN-LIB variable name", r"'X_00' is not a variable name"),
    "alias-X_+0": (D.replace("X_0", "X_+0") + BOX, "PropertyError", r"'X_\+0' is not", r"'X_\+0' is not"),
    "undeclared-Y_1": (D + BOX + "(assert (>= Y_1 0.5))\n", "PropertyError", r"line 5: undeclared variable 'Y_1'",
                       r"line 5: 'Y_1' is used but not declared"),
    "used-before-declared": ("(declare-const X_0 Real)\n" + BOX + "(assert (>= Y_0 0.5))\n(declare-const Y_0 Real)\n",
                             "PropertyError", r"undeclared variable 'Y_0'", r"'Y_0' is used but not declared"),
    "gap-X_1": ("(declare-const X_0 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)\n" + BOX,
                "PropertyError", r"X_1 is not declared but X_2 is", r"X_1 is missing"),
    "redeclared": (D + "(declare-const X_0 Real)\n" + BOX, "PropertyError", r"X_0 is declared twice",
                   r"X_0 is declared a second time"),
    "sort-Int": (D.replace("X_0 Real", "X_0 Int") + BOX, "PropertyError", r"X_0 is declared with sort 'Int'",
                 r"X_0 has sort 'Int'"),
    "sort-Bool": (D.replace("Y_0 Real", "Y_0 Bool") + BOX, "PropertyError", r"Y_0 is declared with sort 'Bool'",
                  r"Y_0 has sort 'Bool'"),
    "declare-fun": ("(declare-fun X_0 () Real)\n(declare-const Y_0 Real)\n" + BOX, "PropertyError",
                    r"unsupported command 'declare-fun'", r"command 'declare-fun' is not part"),
    "define-fun": (D + "(define-fun X_1 () Real 0.5)\n" + BOX, "PropertyError", r"unsupported command 'define-fun'",
                   r"command 'define-fun'"),
    "other-name": (D + "(declare-const Z Real)\n" + BOX, "PropertyError", r"'Z' is not a VNN-LIB variable name",
                   r"'Z' is not a variable name"),
    "truncated": (GOOD[:-3], "PropertyError", r"line 5: unbalanced '\(' \(truncated file\?\)",
                  r"line 5: '\(' is never closed \(truncated file\?\)"),
    "extra-close-paren": (GOOD + ")\n", "PropertyError", r"line 6: unbalanced '\)'", r"line 6: '\)' without a matching"),
    "empty-file": ("", "PropertyError", r"needs X_ and Y_ variables", r"no X_ variable is declared"),
    "only-comments": ("; nothing here\n; at all\n", "PropertyError", r"needs X_ and Y_", r"no X_ variable"),
    "no-outputs": ("(declare-const X_0 Real)\n" + BOX, "PropertyError", r"no Y_ declared", r"no Y_ variable"),
    "binary-garbage": (bytes(range(256)) * 4, "PropertyError", r"not a text file", r"not UTF-8 text"),
    "gzip-of-garbage": (gzip.compress(b"\xff\xfe\x00garbage" * 50), "PropertyError", r"not a text file",
                        r"not UTF-8 text"),
    "broken-gzip": (b"\x1f\x8b" + b"not really gzip" * 10, "PropertyError", r"corrupt gzip", r"broken gzip"),
    "nul-byte": (D + "(assert (>= X_0 -1))\x00\n", "PropertyError", r"line 3: unexpected character U\+0000",
                 r"line 3: character U\+0000"),
    "no-break-space": (D + BOX + "(assert (>=\u00a0Y_0 0.5))\n", "PropertyError", r"unexpected character U\+00A0",
                       r"character U\+00A0"),
    "quoted-symbol": ("(declare-const |X_0| Real)\n(declare-const Y_0 Real)\n", "PropertyError", r"quoted symbols",
                      r"quoted symbols"),
    "string-in-assert": (D + BOX + '(assert (>= Y_0 "0.5"))\n', "PropertyError", r"unknown symbol",
                         r"string literal is allowed only"),
    "unterminated-string": (D + '(set-info :source "no end)\n' + BOX, "PropertyError", r"unterminated string",
                            r"string literal is not closed"),
    "exponent-100001": (D + BOX + "(assert (>= Y_0 1e100001))\n", "NumberError", r"exponent",
                        r"exponent of '1e100001' is beyond"),
    "exponent-999999999": (D + BOX + "(assert (>= Y_0 1e-999999999))\n", "NumberError", r"exponent",
                           r"exponent of '1e-999999999' is beyond"),
    "literal-1000001-chars": (D + BOX + "(assert (>= Y_0 " + "1" * 1_000_001 + "))\n", "NumberError",
                              r"1000001 characters|1,000,001 characters", r"1000001 characters"),
    "p-over-q-literal": (D + BOX + "(assert (>= Y_0 1/2))\n", "PropertyError", r"'1/2' is not a VNN-LIB number",
                         r"'1/2' is neither a declared variable nor a decimal"),
    "hex-literal": (D + BOX + "(assert (>= Y_0 #x1F))\n", "PropertyError", r"literal '#x1F' is not supported",
                    r"'#x1F' is neither"),
    "binary-literal": (D + BOX + "(assert (>= Y_0 #b101))\n", "PropertyError", r"literal '#b101'", r"'#b101' is neither"),
    "nan": (D + BOX + "(assert (>= Y_0 nan))\n", "PropertyError", r"unknown symbol 'nan'", r"'nan' is neither"),
    "non-linear": (D + BOX + "(assert (>= (* X_0 Y_0) 1))\n", "PropertyError", r"non-linear product",
                   r"product of two non-constant"),
    "division-by-zero": (D + BOX + "(assert (>= Y_0 (/ 1 0)))\n", "PropertyError", r"division by zero",
                         r"division by zero"),
    "division-by-zero-expression": (D + BOX + "(assert (>= Y_0 (/ X_0 (- 2 2))))\n", "PropertyError",
                                    r"division by zero", r"division by zero"),
    "division-by-variable": (D + BOX + "(assert (>= Y_0 (/ 1 X_0)))\n", "PropertyError", r"division by a non-constant",
                             r"division by a term with variables"),
    "empty-or": (D + BOX + "(assert (or))\n", "PropertyError", r"\(or\) needs at least one argument",
                 r"\(or\) without arguments"),
    "empty-and": (D + BOX + "(assert (and))\n", "PropertyError", r"\(and\) needs at least one argument",
                  r"\(and\) without arguments"),
    "minus-without-arguments": (D + BOX + "(assert (>= Y_0 (-)))\n", "PropertyError", r"'-' needs an argument",
                                r"\(- \.\.\.\) has too few arguments"),
    "not": (D + BOX + "(assert (not (>= Y_0 1)))\n", "PropertyError", r"unsupported formula operator 'not'",
            r"'not' is not a supported formula operator"),
    "true-literal": (D + BOX + "(assert true)\n", "PropertyError", r"expected a formula, got 'true'",
                     r"'true' where a formula is expected"),
    "comparison-one-argument": (D + BOX + "(assert (<= Y_0))\n", "PropertyError", r"needs at least two arguments",
                                r"needs two or more terms"),
    "assert-two-formulas": (D + "(assert (>= X_0 -1) (<= X_0 1))\n", "PropertyError", r"assert takes one formula",
                            r"assert needs exactly one formula"),
    "empty-parentheses": (D + BOX + "()\n", "PropertyError", r"unexpected top-level item", r"empty parentheses"),
    "token-outside": (D + "X_0\n" + BOX, "PropertyError", r"unexpected token 'X_0' outside",
                      r"'X_0' outside parentheses"),
    "dnf-blow-up": (D + BOX + "(assert (and " + "(or (>= Y_0 1) (<= Y_0 -1)) " * 17 + "))\n", "PropertyError",
                    r"too large in disjunctive normal form", r"more than 100000 disjuncts"),
}

# refused by exactrelu's normal form only (the checker reads them: nothing to pin against);
# optionally the network (default NET)
PRODUCT_ONLY: dict[str, tuple] = {
    "unbounded-input": (D + "(assert (>= X_0 -1))\n(assert (>= Y_0 0.5))\n", r"disjunct 0: input constraints: "
                        r"domain is unbounded"),
    "no-input-constraints": (D + "(assert (>= Y_0 0.5))\n", r"disjunct 0 has no input constraints"),
    "empty-input-region": (D + "(assert (>= X_0 1))\n(assert (<= X_0 0))\n(assert (>= Y_0 0.5))\n",
                           r"disjunct 0: the input constraints have no solution \(empty input region\)"),
    "empty-with-strict": (D + "(assert (>= X_0 1))\n(assert (< X_0 1))\n(assert (>= Y_0 0.5))\n",
                          r"disjunct 0: the input region is lower-dimensional, or empty with its strict"),
    "pinned-in-some-disjuncts": (D + "(assert (or (and (>= X_0 0.5) (<= X_0 0.5)) (and (>= X_0 0) (<= X_0 1))))\n"
                                 "(assert (>= Y_0 2))\n", r"disjunct 0 pins X_0 = 1/2 but not every disjunct"),
    "pinned-to-different-values": (D + "(assert (or (= X_0 0) (= X_0 1)))\n(assert (>= Y_0 2))\n",
                                   r"disjunct 0 pins X_0 = 0 but not every disjunct"),
    "two-inputs-for-one": ("(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n" + BOX
                           + "(assert (>= X_1 0))\n(assert (<= X_1 1))\n", r"the property has 2 inputs, the network 1"),
    "two-outputs-for-one": (D + "(declare-const Y_1 Real)\n" + BOX, r"the property has 2 outputs, the network 1"),
}


def _bad_cases() -> list[Case]:
    out = []
    for name, (content, error, verify_re, check_re) in BAD.items():
        out.append(Case(f"vnnlib/verify/{name}", {"net.json": NET, "p.vnnlib": content},
                        ("verify", "{net.json}", "{p.vnnlib}"), 2, r"^exactrelu: error: .*" + verify_re, error,
                        api=lambda p: load_vnnlib(p["p.vnnlib"], 1, 1)))
        out.append(Case(f"vnnlib/check/{name}", {"c.json": CERT, "p.vnnlib": content},
                        ("check", "{c.json}", "--vnnlib", "{p.vnnlib}"), 2,
                        r"^error: unusable --vnnlib file .*" + check_re, "PinInputError",
                        api=lambda p: read_vnnlib_file(p["p.vnnlib"])))
    for name, (content, verify_re, *net) in PRODUCT_ONLY.items():
        out.append(Case(f"vnnlib/verify/{name}", {"net.json": net[0] if net else NET, "p.vnnlib": content},
                        ("verify", "{net.json}", "{p.vnnlib}"), 2, r"^exactrelu: error: .*" + verify_re,
                        "PropertyError", api=lambda p, k=2 if net else 1: load_vnnlib(p["p.vnnlib"], k, 1)))
    return out


PIN = "(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n"
CASES = _bad_cases() + [
    # a 784-input box (MNIST-like): refused at once, not 2^784 vertices (cdd used to run forever)
    Case("vnnlib/verify/784-dimensional-box", {"net.json": NET784, "p.vnnlib": "".join(
         f"(declare-const X_{i} Real)\n(assert (<= 0 X_{i} 1))\n" for i in range(784)) + "(declare-const Y_0 Real)\n"},
         ("verify", "{net.json}", "{p.vnnlib}"), 2, r"^exactrelu: error: an input box with 784 free inputs has 2\^784",
         "PropertyError", api=lambda p: load_vnnlib(p["p.vnnlib"])),
    # every input pinned: a single point, decided exactly (relu(x0 + x1) at (1/4, 1/4) is 1/2)
    Case("vnnlib/verify/pin-every-input-violated", {"net.json": NET2, "p.vnnlib": PIN + "(assert (= X_0 0.25))\n"
         "(assert (<= X_1 0.25))\n(assert (>= X_1 0.25))\n(assert (>= Y_0 0.5))\n"},
         ("verify", "{net.json}", "{p.vnnlib}", "--json"), 10, r'"verdict": "violated".*"counterexample": \["1/4", "1/4"\]'),
    Case("vnnlib/verify/pin-every-input-holds", {"net.json": NET2, "p.vnnlib": PIN + "(assert (= X_0 0.25))\n"
         "(assert (= X_1 0.25))\n(assert (> Y_0 0.5))\n"},
         ("verify", "{net.json}", "{p.vnnlib}"), 0, r"every input is fixed: the network was evaluated exactly"),
    Case("vnnlib/verify/pin-and-strict-bound", {"net.json": NET, "p.vnnlib": D + "(assert (= X_0 0.5))\n"
         "(assert (< X_0 0.5))\n(assert (>= Y_0 0))\n"},
         ("verify", "{net.json}", "{p.vnnlib}"), 0, r"no disjunct can be met.*holds vacuously"),
    # the two false verdicts of main c6d5735 (tests/data/false_verdicts), now right
    Case("vnnlib/verify/strict-input-bound-holds", {"net.json": NET, "p.vnnlib": D + "(assert (>= X_0 -1))\n"
         "(assert (< X_0 1))\n(assert (>= Y_0 1))\n"}, ("verify", "{net.json}", "{p.vnnlib}"), 0, r"^holds$"),
    # a string with ';' and parentheses inside set-info is read as a string, not as a comment
    Case("vnnlib/verify/semicolon-in-string", {"net.json": NET, "p.vnnlib": D + '(set-info :source "a;(b") '
         + "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= Y_0 2))\n"},
         ("verify", "{net.json}", "{p.vnnlib}"), 0, r"^holds$"),
    # pins that do not match: exit 1, "invalid: pinned: ..." first
    Case("vnnlib/check/mismatched-property", {"c.json": CERT, "p.vnnlib": GOOD.replace("0.5", "0.6")},
         ("check", "{c.json}", "--vnnlib", "{p.vnnlib}"), 1,
         r"^invalid: pinned: the certificate's property is not .*p\.vnnlib: a disjunct of the file is not in the "
         r"certificate \(.*-5\*y0 <= -3"),
    Case("vnnlib/check/strict-instead-of-non-strict", {"c.json": CERT, "p.vnnlib": GOOD.replace(">= Y_0", "> Y_0")},
         ("check", "{c.json}", "--vnnlib", "{p.vnnlib}"), 1, r"^invalid: pinned: the certificate's property is not"),
    Case("vnnlib/check/property-for-two-inputs", {"c.json": CERT, "p.vnnlib": PIN + BOX},
         ("check", "{c.json}", "--vnnlib", "{p.vnnlib}"), 1,
         r"^invalid: pinned: the property file declares 2 inputs and 1 outputs, the certificate's network has 1 and 1"),
    Case("vnnlib/check/matching-property", {"c.json": CERT, "p.vnnlib": GOOD.replace("0.5", "(/ 1 2)")},
         ("check", "{c.json}", "--vnnlib", "{p.vnnlib}"), 0, r"^pinned: the certificate's property is the one given"),
    Case("vnnlib/check/vnnlib-on-a-partition", {"c.json": PART, "p.vnnlib": GOOD},
         ("check", "{c.json}", "--vnnlib", "{p.vnnlib}"), 1,
         r"^invalid: pinned: --vnnlib applies to property and counterexample certificates"),
    Case("vnnlib/check/box-matches", {"c.json": PART}, ("check", "{c.json}", "--box=-1:1"), 0,
         r"^pinned: the certificate's domain is the one given"),
    Case("vnnlib/check/box-mismatch", {"c.json": PART}, ("check", "{c.json}", "--box=-1:2"), 1,
         r"^invalid: pinned: the certificate's domain is not the one given \(--box\)"),
    Case("vnnlib/check/box-on-a-property", {"c.json": CERT}, ("check", "{c.json}", "--box=-1:1"), 1,
         r"^invalid: pinned: property certificates carry their input regions: pin them with --vnnlib"),
    Case("vnnlib/check/box-malformed", {"c.json": PART}, ("check", "{c.json}", "--box=-1:1:2"), 2,
         r"^error: unusable --box: malformed interval '-1:1:2'", "PinInputError"),
    Case("vnnlib/check/box-empty-interval", {"c.json": PART}, ("check", "{c.json}", "--box=1:-1"), 2,
         r"^error: unusable --box: the interval of input 0 is empty"),
    Case("vnnlib/check/box-huge-exponent", {"c.json": PART}, ("check", "{c.json}", "--box=-1:1e100001"), 2,
         r"^error: unusable --box: the exponent of '1e100001' is beyond"),
    Case("vnnlib/check/box-wrong-count", {"c.json": PART}, ("check", "{c.json}", "--box=-1:1,0:1"), 1,
         r"^invalid: pinned: the --box has 2 intervals, the certificate's network has 1 inputs"),
    Case("vnnlib/check/domain-matches-scaled", {"c.json": PART, "d.json": '{"A": [[2], ["-1/2"]], "b": [2, "0.5"]}'},
         ("check", "{c.json}", "--domain", "{d.json}"), 0, r"^pinned: the certificate's domain is the one given"),
    Case("vnnlib/check/domain-mismatch", {"c.json": PART, "d.json": '{"A": [[1], [-1]], "b": [1, 0]}'},
         ("check", "{c.json}", "--domain", "{d.json}"), 1, r"^invalid: pinned: the certificate's domain is not"),
    Case("vnnlib/check/domain-float", {"c.json": PART, "d.json": '{"A": [[1], [-1]], "b": [1.0, 1]}'},
         ("check", "{c.json}", "--domain", "{d.json}"), 2, r"^error: unusable --domain file .*floats are refused",
         "PinInputError"),
    Case("vnnlib/check/domain-duplicate-key", {"c.json": PART, "d.json": '{"A": [[1], [-1]], "b": [1, 1], "b": [1, 2]}'},
         ("check", "{c.json}", "--domain", "{d.json}"), 2, r"^error: unusable --domain file .*duplicate key 'b'"),
    Case("vnnlib/check/domain-garbage", {"c.json": PART, "d.json": b"\x00\xff garbage"},
         ("check", "{c.json}", "--domain", "{d.json}"), 2, r"^error: unusable --domain file .*not a usable JSON"),
    Case("vnnlib/check/domain-missing", {"c.json": PART}, ("check", "{c.json}", "--domain", "nope.json"), 2,
         r"^error: unusable --domain file nope\.json: cannot read"),
    Case("vnnlib/check/box-and-domain", {"c.json": PART, "d.json": '{"A": [[1]], "b": [1]}'},
         ("check", "{c.json}", "--box=-1:1", "--domain", "{d.json}"), 2, r"^error: unusable --box and --domain: give one of them, not both"),
    Case("vnnlib/check/model-mismatch", {"c.json": CERT, "m.json": NET2},
         ("check", "{c.json}", "--model", "{m.json}"), 1, r"^invalid: pinned: the certificate's network is not"),
]
