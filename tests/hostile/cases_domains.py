"""Hostile domains (``--domain`` files, ``--box``) and points (``eval --point``): malformed,
binary, truncated, unbounded, empty, lower-dimensional, of the wrong dimension, too large,
and the same bad domain through every command that takes one."""

from __future__ import annotations

import gzip
import json

from exactrelu.domain.polytope import load_domain, parse_box, polytope
from exactrelu.model.evaluation import evaluate
from exactrelu.io import load_model
from exactrelu.numbers.rationals import parse_rational_list

from hostile.build import deep, directory, fifo, gzip_bomb, net_json, symlink_to_nowhere
from hostile.case import Case

E = r"^exactrelu: error: .*"
NET = net_json()  # 2 inputs
BOX2 = {"A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": [1, 1, 1, 1]}
BOX2_TEXT = json.dumps(BOX2)
WIDE = json.dumps({"format": "exactrelu-network", "version": 1, "inputs": 30, "layers": [
    {"activation": "relu", "bias": ["0"], "inputs": [{"source": 0, "weight": [["1"] * 30]}]}]})


def dom(name: str, text: "str | bytes", message: str, **kw) -> Case:
    return Case(f"domains/file/{name}", {"m.json": NET, "d.json": text}, ("regions", "{m.json}", "--domain", "{d.json}"),
                2, E + message, "DomainError", api=lambda p: load_domain(p["d.json"]), **kw)


def with_(**kw) -> str:
    d = dict(BOX2)
    d.update(kw)
    return json.dumps(d)


FILE_CASES = [
    Case("domains/file/valid-control", {"m.json": NET, "d.json": BOX2_TEXT},
         ("regions", "{m.json}", "--domain", "{d.json}"), 0, r"regions, .* complete"),
    Case("domains/file/gzipped-control", {"m.json": NET, "d.json.gz": gzip.compress(BOX2_TEXT.encode())},
         ("regions", "{m.json}", "--domain", "{d.json.gz}"), 0, r"regions, .* complete"),
    dom("binary", bytes(range(256)), r"not a text file \(not UTF-8\)", note="was a UnicodeDecodeError traceback"),
    dom("empty", "", r"malformed JSON"),
    dom("truncated", BOX2_TEXT[:20], r"malformed JSON"),
    dom("not-an-object", "[1, 2]", r"a domain file needs keys 'A' and 'b'"),
    dom("missing-b", json.dumps({"A": BOX2["A"]}), r"needs keys 'A' and 'b'"),
    dom("extra-key", with_(c=1), r"unexpected keys \['c'\]"),
    dom("a-number", with_(A=5), r"'A' must be a list of rows"),
    dom("rows-not-lists", with_(A=[1, 2]), r"'A' must be a list of rows"),
    dom("b-number", with_(b=1), r"'b' must be a list of numbers"),
    dom("b-too-short", with_(b=[1, 1]), r"one b entry per row of A"),
    dom("a-empty", with_(A=[], b=[]), r"A and b must be non-empty"),
    dom("ragged-rows", with_(A=[[1, 0], [-1], [0, 1], [0, -1]]), r"rows of a matrix have different lengths"),
    dom("zero-columns", with_(A=[[], [], [], []]), r"zero-dimensional"),
    dom("unbounded", json.dumps({"A": [[1, 0]], "b": [1]}), r"unbounded"),
    dom("half-plane-pair", json.dumps({"A": [[1, 0], [-1, 0]], "b": [1, 1]}), r"unbounded"),
    dom("only-zero-rows", json.dumps({"A": [[0, 0], [0, 0]], "b": [1, 0]}), r"unbounded \(no constraints\)"),
    dom("zero-row-negative", json.dumps({"A": [[0, 0], [1, 0]], "b": [-1, 1]}), r"domain is empty \(a row 0 <= b"),
    dom("empty-intersection", with_(b=[-1, -1, 1, 1]), r"domain is empty"),
    dom("a-point", with_(b=[0, 0, 0, 0]), r"lower-dimensional \(affine dimension 0 < 2\)"),
    dom("a-segment", with_(b=[1, 1, 0, 0]), r"lower-dimensional \(affine dimension 1 < 2\)"),
    dom("nan-literal", BOX2_TEXT.replace("1]}", "NaN]}"), r"NaN is not a JSON number"),
    dom("infinity-literal", BOX2_TEXT.replace("[1, 1, 1, 1]", "[Infinity, 1, 1, 1]"), r"Infinity is not a JSON number"),
    dom("json-float", BOX2_TEXT.replace("[1, 1, 1, 1]", "[0.5, 1, 1, 1]"), r"JSON float 0\.5 refused"),
    dom("boolean", with_(b=[True, 1, 1, 1]), r"expected numbers as strings or integers, got a bool"),
    dom("null-entry", with_(b=[None, 1, 1, 1]), r"got a NoneType"),
    dom("object-entry", with_(A=[[{"p": 1}, 0], [-1, 0], [0, 1], [0, -1]]), r"got a dict"),
    dom("nested-entry", with_(A=[[[1], 0], [-1, 0], [0, 1], [0, -1]]), r"got a list"),
    dom("duplicate-key", '{"A": [[1]], "A": [[1, 0], [-1, 0], [0, 1], [0, -1]], "b": [1, 1, 1, 1]}',
        r"duplicate key 'A'", note="two readers could take different ones"),
    dom("deep-nesting", '{"A": ' + deep(100_000) + ', "b": [1]}', r"JSON nested too deeply"),
    dom("21-dimensions", json.dumps({"A": [[1] * 21], "b": [1]}), r"domain has 21 dimensions; .* at most 20",
        seconds=5),
    dom("1000-dimensional-box", json.dumps({"A": [[1 if j == i // 2 else 0 for j in range(1000)] for i in range(2000)],
                                           "b": [1] * 2000}),
        r"domain has 1,000 dimensions", seconds=10, note="2**1000 vertices; 2,000,000 JSON integers to read first"),
    dom("20000-rows", json.dumps({"A": [[1, 0], [-1, 0], [0, 1], [0, -1]] * 5000, "b": [1] * 20000}),
        r"domain has 20,000 rows; exactrelu takes at most 10,000", seconds=5),
    dom("gzip-bomb", gzip_bomb(16 << 20), r"decompressed content is larger than the limit of 64 KiB",
        env={"EXACTRELU_MAX_INPUT_BYTES": str(64 << 10)}),
    dom("over-size-limit", BOX2_TEXT, r"the file is larger than the limit of 10 bytes",
        env={"EXACTRELU_MAX_INPUT_BYTES": "10"}),
    Case("domains/file/missing", {"m.json": NET}, ("regions", "{m.json}", "--domain", "nope.json"), 2,
         E + r"cannot read domain file nope\.json: no such file", "DomainError", api=lambda p: load_domain("nope.json")),
    Case("domains/file/directory", {"m.json": NET, "d": directory("d")}, ("regions", "{m.json}", "--domain", "{d}"), 2,
         E + r"is a directory", "DomainError", api=lambda p: load_domain(p["d"])),
    Case("domains/file/fifo", {"m.json": NET, "d.json": fifo("d.json")},
         ("regions", "{m.json}", "--domain", "{d.json}"), 2, E + r"not a regular file", "DomainError",
         api=lambda p: load_domain(p["d.json"]), seconds=5, note="would block forever"),
    Case("domains/file/dev-zero", {"m.json": NET}, ("regions", "{m.json}", "--domain", "/dev/zero"), 2,
         E + r"not a regular file", "DomainError", api=lambda p: load_domain("/dev/zero"), seconds=5),
    Case("domains/file/dangling-symlink", {"m.json": NET, "d.json": symlink_to_nowhere("d.json")},
         ("regions", "{m.json}", "--domain", "{d.json}"), 2, E + r"no such file", "DomainError",
         api=lambda p: load_domain(p["d.json"])),
    Case("domains/file/wrong-dimension", {"m.json": NET, "d.json": json.dumps({"A": [[1], [-1]], "b": [1, 1]})},
         ("regions", "{m.json}", "--domain", "{d.json}"), 2, E + r"domain has dimension 1, the network has 2 inputs"),
]

# the same unusable domain through every command that takes one
BINARY = bytes(range(256))
COMMANDS = [
    ("regions", ()), ("bounds", ()), ("equiv", ("{m.json}",)), ("compress", ("--out", "small.json")),
    ("shallow", ()), ("crosscheck", ()),
]
PER_COMMAND = [
    Case(f"domains/commands/{cmd}-binary-domain", {"m.json": NET, "d.bin": BINARY},
         (cmd, "{m.json}", *extra, "--domain", "{d.bin}"), 2, E + r"not a text file") for cmd, extra in COMMANDS
] + [
    Case(f"domains/commands/{cmd}-box-and-domain", {"m.json": NET, "d.json": BOX2_TEXT},
         (cmd, "{m.json}", *extra, "--box=-1:1", "--domain", "{d.json}"), 2,
         E + r"give one of --box, --domain and --vnnlib, not --box and --domain") for cmd, extra in COMMANDS
] + [
    Case(f"domains/commands/{cmd}-no-domain", {"m.json": NET}, (cmd, "{m.json}", *extra), 2,
         E + r"a domain is needed") for cmd, extra in COMMANDS if cmd not in ("shallow",)
]


def box(name: str, spec: str, message: str, model: str = NET, n: int = 2, **kw) -> Case:
    return Case(f"domains/box/{name}", {"m.json": model}, ("regions", "{m.json}", f"--box={spec}"), 2, E + message,
                "DomainError", api=lambda p: parse_box(spec, n), **kw)


BOX_CASES = [
    box("reversed", "1:0", r"lower bound 1 is not below upper bound 0 for input 0"),
    box("flat", "0:0", r"lower bound 0 is not below upper bound 0"),
    box("flat-second", "-1:1,2:2", r"not below upper bound 2 for input 1"),
    box("letters", "a:b", r"box: malformed number 'a'"),
    box("three-parts", "0:1:2", r"box: malformed interval '0:1:2'"),
    box("no-colon", "0", r"box: malformed interval '0'"),
    box("spaces-only", " ", r"box: empty"),
    box("trailing-comma", "0:1,", r"box: malformed interval ''"),
    box("commas-only", ",,", r"box: malformed interval ''"),
    box("nan", "nan:1", r"box: malformed number 'nan'"),
    box("infinite", "-inf:inf", r"box: malformed number '-inf'"),
    box("too-many-intervals", "0:1,0:1,0:1", r"box has 3 intervals, the network has 2 inputs"),
    box("too-few-intervals", "0:1,0:1", r"box has 2 intervals, the network has 30 inputs", model=WIDE, n=30),
    box("30-inputs", "-1:1", r"domain has 30 dimensions; .* at most 20", model=WIDE, n=30, seconds=5,
        note="2**30 vertices would be built"),
    box("21-intervals", ",".join(["0:1"] * 21), r"domain has 21 dimensions", model=WIDE, n=30, seconds=5),
    box("100000-intervals", ",".join(["0:1"] * 100_000), r"domain has 100,000 dimensions", seconds=5),
    Case("domains/box/empty-argument", {"m.json": NET}, ("regions", "{m.json}", "--box="), 2,
         E + r"a domain is needed"),
    Case("domains/box/polytope-api-lower-dimensional", {"m.json": NET}, ("regions", "{m.json}", "--box=0:1,0:1"), 0,
         r"regions, .* complete", "DomainError", api=lambda p: polytope([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 1, 1])),
]


def point(name: str, spec: str, message: str, error: str = "PointError", api=None, **kw) -> Case:
    return Case(f"domains/point/{name}", {"m.json": NET}, ("eval", "{m.json}", f"--point={spec}"), 2,
                E + message, error, api=api, **kw)


POINT_CASES = [
    Case("domains/point/valid-control", {"m.json": NET}, ("eval", "{m.json}", "--point=1/2,-1"), 0, r"^[0-9/]+$"),
    point("too-long", "1,2,3", r"--point has 3 coordinates, the network has 2 inputs",
          api=lambda p: evaluate(load_model(p["m.json"]), [1, 2, 3])),
    point("too-short", "1", r"--point has 1 coordinates, the network has 2 inputs",
          api=lambda p: evaluate(load_model(p["m.json"]), [1])),
    point("empty", "", r"--point: malformed list of numbers ''", "NumberError",
          api=lambda p: parse_rational_list("")),
    point("comma", ",", r"--point: malformed list of numbers", "NumberError", api=lambda p: parse_rational_list(",")),
    point("empty-entry", "1,,2", r"--point: malformed list of numbers", "NumberError",
          api=lambda p: parse_rational_list("1,,2")),
    point("semicolon", "1;2", r"--point: malformed number '1;2'", "NumberError",
          api=lambda p: parse_rational_list("1;2")),
    point("spaces", "1 2", r"--point: malformed number '1 2'", "NumberError", api=lambda p: parse_rational_list("1 2")),
    point("parentheses", "(1,2)", r"--point: malformed number '\(1'", "NumberError",
          api=lambda p: parse_rational_list("(1,2)")),
    point("junk", "a,b", r"--point: malformed number 'a'", "NumberError", api=lambda p: parse_rational_list("a,b")),
    point("nan", "nan,0", r"--point: malformed number 'nan'", "NumberError", api=lambda p: parse_rational_list("nan,0")),
    point("evaluate-api-string", "x,0", r"--point: malformed number 'x'",
          api=lambda p: evaluate(load_model(p["m.json"]), ["x", 0])),
    Case("domains/point/missing-option", {"m.json": NET}, ("eval", "{m.json}"), 2,
         E + r"the following arguments are required: --point"),
]

CASES = FILE_CASES + PER_COMMAND + BOX_CASES + POINT_CASES
