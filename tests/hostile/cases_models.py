"""Hostile model files: native JSON, ``.nnet``, ``.npz``, pickles, gzip, and files that are
not files. Every case goes through ``exactrelu info`` (the loader alone) and, where the
loader is a library call, asserts its error class."""

from __future__ import annotations

import gzip

import numpy as np

from exactrelu.io import load_model
from exactrelu.io.native_json import load_json, loads
from exactrelu.io.nnet import load_nnet
from exactrelu.io.numpy_io import load_npz

from hostile.build import (NNET_OK, deep, delp, directory, evil_pickle, fifo, flip, gzip_bomb, net_json,
                           net_text_with, never_unpickled, nnet_with, npz_bomb, npz_bytes, npz_forged_shape,
                           npz_ok, npz_with_object_array, setp, symlink_to_nowhere, torch_like_zip)
from hostile.case import Case

E = r"^exactrelu: error: .*"
OK_INFO = r"width\s+1\s+identity"  # the last line of `info` for the small valid networks


def _api(name: str, loader=load_model):
    return lambda p: loader(p[name])


def json_case(name: str, text: "str | bytes", message: str, error: str = "ModelFormatError", **kw) -> Case:
    return Case(f"models/json/{name}", {"m.json": text}, ("info", "{m.json}"), 2, E + message, error,
                api=_api("m.json"), **kw)


def json_ok(name: str, text: "str | bytes", **kw) -> Case:
    return Case(f"models/json/{name}", {"m.json": text}, ("info", "{m.json}"), 0, OK_INFO, **kw)


VALID = net_json()


def _no_units(d: dict) -> None:
    d["layers"][0]["bias"] = []
    d["layers"][0]["inputs"][0]["weight"] = []

JSON_CASES = [
    json_ok("valid-control", VALID),
    # --- truncated and corrupted ------------------------------------------------------------
    json_case("empty", "", r"malformed JSON"),
    json_case("whitespace-only", " \n\t ", r"malformed JSON"),
    json_case("truncated-25", VALID[: len(VALID) // 4], r"malformed JSON"),
    json_case("truncated-50", VALID[: len(VALID) // 2], r"malformed JSON"),
    json_case("truncated-last-byte", VALID[:-1], r"malformed JSON"),
    json_case("flip-brace-to-bracket", flip(VALID, 0, "["), r"malformed JSON"),
    json_case("flip-quote", flip(VALID, VALID.index('"format"'), "'"), r"malformed JSON"),
    json_case("flip-key-case", VALID.replace('"format"', '"Format"', 1), r"not an exactrelu network"),
    json_case("flip-in-number", VALID.replace('"1/3"', '"1/3x"', 1), r"layer 1 weight: malformed number '1/3x'"),
    json_case("flip-to-non-utf8", VALID.encode().replace(b"relu", b"rel\xff", 1), r"not a text file"),
    json_case("utf8-bom", "\ufeff" + VALID, r"malformed JSON"),
    json_case("nul-bytes", VALID.replace(" ", "\x00", 1), r"malformed JSON"),
    json_case("trailing-garbage", VALID + " {}", r"malformed JSON: Extra data"),
    # --- wrong types at every level ---------------------------------------------------------
    json_case("top-level-list", "[1, 2]", r"must be an object"),
    json_case("top-level-string", '"exactrelu-network"', r"must be an object"),
    json_case("top-level-null", "null", r"must be an object"),
    json_case("format-missing", net_json(delp(("format",))), r"not an exactrelu network \(format=None\)"),
    json_case("format-wrong", net_json(setp(("format",), "onnx")), r"not an exactrelu network"),
    json_case("format-list", net_json(setp(("format",), ["exactrelu-network"])), r"not an exactrelu network"),
    json_case("version-2", net_json(setp(("version",), 2)), r"unsupported exactrelu network version 2"),
    json_case("version-string", net_json(setp(("version",), "1")), r"unsupported exactrelu network version '1'"),
    json_case("version-true", net_json(setp(("version",), True)), r"unsupported exactrelu network version True"),
    json_case("version-float", net_json(setp(("version",), 1.0)), r"unsupported exactrelu network version 1\.0"),
    json_case("inputs-zero", net_json(setp(("inputs",), 0)), r"'inputs' must be a positive integer, got 0"),
    json_case("inputs-negative", net_json(setp(("inputs",), -2)), r"'inputs' must be a positive integer"),
    json_case("inputs-string", net_json(setp(("inputs",), "2")), r"'inputs' must be a positive integer, got '2'"),
    json_case("inputs-float", net_json(setp(("inputs",), 2.0)), r"'inputs' must be a positive integer, got 2\.0"),
    json_case("inputs-true", net_json(setp(("inputs",), True)), r"'inputs' must be a positive integer, got True"),
    json_case("inputs-null", net_json(setp(("inputs",), None)), r"'inputs' must be a positive integer"),
    json_case("layers-missing", net_json(delp(("layers",))), r"'layers' must be a non-empty list"),
    json_case("layers-empty", net_json(setp(("layers",), [])), r"'layers' must be a non-empty list"),
    json_case("layers-object", net_json(setp(("layers",), {"0": {}})), r"'layers' must be a non-empty list"),
    json_case("layer-number", net_json(setp(("layers", 0), 7)), r"layer 1 must be an object"),
    json_case("layer-list", net_json(setp(("layers", 1), [])), r"layer 2 must be an object"),
    json_case("activation-unknown", net_json(setp(("layers", 0, "activation"), "sigmoid")),
              r"layer 1: unknown activation 'sigmoid'"),
    json_case("activation-number", net_json(setp(("layers", 0, "activation"), 1)),
              r"layer 1: 'activation' must be a string"),
    json_case("activation-missing", net_json(delp(("layers", 0, "activation"))), r"layer 1: unknown activation"),
    json_case("bias-string", net_json(setp(("layers", 0, "bias"), "0")), r"layer 1: 'bias' must be a list"),
    json_case("bias-nested", net_json(setp(("layers", 0, "bias"), [["0"], ["0"]])),
              r"layer 1 bias: expected a number string, got \['0'\]"),
    json_case("bias-null-entry", net_json(setp(("layers", 0, "bias", 1), None)),
              r"layer 1 bias: expected a number string, got None"),
    json_case("bias-empty", net_json(_no_units), r"layer 1 has no units"),
    json_case("inputs-missing", net_json(delp(("layers", 0, "inputs"))), r"layer 1: 'inputs' must be a non-empty list"),
    json_case("inputs-entry-number", net_json(setp(("layers", 0, "inputs"), [0])), r"integer 'source'"),
    json_case("source-string", net_json(setp(("layers", 0, "inputs", 0, "source"), "0")), r"integer 'source'"),
    json_case("source-true", net_json(setp(("layers", 1, "inputs", 0, "source"), True)), r"integer 'source'"),
    json_case("source-float", net_json(setp(("layers", 1, "inputs", 0, "source"), 1.0)), r"integer 'source'"),
    json_case("weight-string", net_json(setp(("layers", 0, "inputs", 0, "weight"), "1")), r"integer 'source'"),
    json_case("weight-rows-not-lists", net_json(setp(("layers", 0, "inputs", 0, "weight"), ["1", "1"])),
              r"layer 1: weight rows must be lists"),
    json_case("weight-wrong-columns", net_json(setp(("layers", 0, "inputs", 0, "weight"), [["1"], ["1"]])),
              r"layer 1: weight from source 0 has 1 columns, source width is 2"),
    json_case("weight-wrong-rows", net_json(setp(("layers", 0, "inputs", 0, "weight"), [["1", "1"]])),
              r"layer 1: weight from source 0 has 1 rows, bias has 2"),
    json_case("weight-ragged", net_json(setp(("layers", 0, "inputs", 0, "weight"), [["1", "1"], ["1"]])),
              r"weight from source 0 has 1 columns"),
    json_case("weight-dict-entry", net_json(setp(("layers", 0, "inputs", 0, "weight", 0, 0), {"p": 1})),
              r"layer 1 weight: expected a number string, got \{'p': 1\}"),
    json_case("name-number", net_json(setp(("name",), 5)), r"'name' must be a string, got 5"),
    json_case("layer-name-list", net_json(setp(("layers", 0, "name"), ["a"])), r"layer 1: 'name' must be a string"),
    json_case("input-names-int", net_json(setp(("input_names",), 5)),
              r"'input_names' must be a list of strings, got 5", note="was a raw TypeError"),
    json_case("input-names-string", net_json(setp(("input_names",), "ab")),
              r"'input_names' must be a list of strings, got 'ab'", note="was silently split into 'a', 'b'"),
    json_case("input-names-wrong-length", net_json(setp(("input_names",), ["x"])),
              r"'input_names' has 1 names for 2 inputs"),
    json_case("input-names-numbers", net_json(setp(("input_names",), [1, 2])), r"'input_names' must be a list of strings"),
    json_case("output-names-dict", net_json(setp(("output_names",), {"y": 0})), r"'output_names' must be a list of strings"),
    # --- JSON that Python's json reads too happily ---------------------------------------------
    json_case("nan-literal", net_text_with('"1/2"', "NaN"), r"NaN is not a JSON number"),
    json_case("infinity-literal", net_text_with('"1/2"', "Infinity"), r"Infinity is not a JSON number"),
    json_case("minus-infinity-literal", net_text_with('"1/2"', "-Infinity"), r"-Infinity is not a JSON number"),
    json_case("json-float", net_text_with('"1/2"', "0.5"), r"layer 1 bias: JSON float 0\.5 refused"),
    json_case("json-float-overflow", net_text_with('"1/2"', "1e999"), r"layer 1 bias: JSON float inf refused"),
    json_case("json-true", net_text_with('"1/2"', "true"), r"layer 1 bias: expected a number string, got True"),
    json_case("duplicate-top-key", net_text_with('"inputs": 2', '"inputs": 2, "inputs": 3'),
              r"duplicate key 'inputs'"),
    json_case("duplicate-layer-key", net_text_with('"bias": ["0", "1/2"]', '"bias": ["0", "1/2"], "bias": ["0"]'),
              r"duplicate key 'bias'"),
    json_case("deep-nesting-top", deep(200_000), r"JSON nested too deeply"),
    json_case("deep-nesting-object", '{"a":' * 100_000 + "1" + "}" * 100_000, r"JSON nested too deeply"),
    json_case("deep-nesting-in-weight", net_text_with('"1/3"', deep(500, '"1/3"')),
              r"layer 1 weight: expected a number string, got \[\[\[\.\.\.\]\]\]"),
    # --- declared sizes and sources -----------------------------------------------------------
    json_case("inputs-1e9-tiny-data", net_json(setp(("inputs",), 10 ** 9)),
              r"weight from source 0 has 2 columns, source width is 1000000000", seconds=5),
    json_case("inputs-4000-digits", net_text_with('"inputs": 2', '"inputs": ' + "9" * 4000),
              r"weight from source 0 has 2 columns, source width is 9{20}", seconds=5),
    json_case("bias-10-million-entries-declared", net_json(setp(("layers", 0, "bias"), ["0"] * 200_000)),
              r"layer 1: weight from source 0 has 2 rows, bias has 200000", seconds=10),
    json_case("source-self", net_json(setp(("layers", 1, "inputs", 0, "source"), 2)),
              r"layer 2 reads from source 2, which is not an earlier layer"),
    json_case("source-forward-cycle", net_json(setp(("layers", 0, "inputs", 0, "source"), 2)),
              r"layer 1 reads from source 2, which is not an earlier layer"),
    json_case("source-negative", net_json(setp(("layers", 1, "inputs", 0, "source"), -1)),
              r"layer 2 reads from source -1"),
    json_case("source-huge", net_json(setp(("layers", 1, "inputs", 0, "source"), 10 ** 30)),
              r"layer 2 reads from source 1000000000000000000000000000000"),
    json_case("source-twice", net_json(lambda d: d["layers"][1]["inputs"].append(dict(d["layers"][1]["inputs"][0]))),
              r"layer 2 reads source 1 twice"),
    # --- gzip and size limits ----------------------------------------------------------------
    json_ok("gzipped-control", gzip.compress(VALID.encode())),
    json_case("gzip-truncated", gzip.compress(VALID.encode())[:40], r"corrupt gzip"),
    json_case("gzip-bomb", gzip_bomb(64 << 20), r"decompressed content is larger than the limit of 1 MiB",
              env={"EXACTRELU_MAX_MODEL_BYTES": str(1 << 20)}, note="a 64 MiB stream, refused after 1 MiB"),
    json_case("gzip-of-binary", gzip.compress(bytes(range(256)) * 4), r"not a text file"),
    json_case("over-size-limit", VALID, r"the file is larger than the limit of 100 bytes",
              env={"EXACTRELU_MAX_MODEL_BYTES": "100"}),
    json_ok("under-size-limit-control", VALID, env={"EXACTRELU_MAX_MODEL_BYTES": "100000"}),
    Case("models/json/limit-env-junk", {"m.json": VALID}, ("info", "{m.json}"), 2,
         E + r"environment variable EXACTRELU_MAX_MODEL_BYTES='lots': expected a positive number of bytes",
         "ExactReluError", api=_api("m.json"), env={"EXACTRELU_MAX_MODEL_BYTES": "lots"}),
    # --- the library calls themselves --------------------------------------------------------
    Case("models/json/loads-huge-int-text", {}, ("info", "nope.json"), 2, E + r"nope\.json",
         "ModelFormatError", api=lambda p: loads('{"inputs": ' + "1" * 1_000_001 + "}"),
         note="loads refuses a 1,000,001-digit JSON integer"),
    Case("models/json/load-json-directory", {"d": directory("d")}, ("info", "{d}"), 2,
         E + r"is a directory", "ModelFormatError", api=_api("d", load_json)),
]


def nnet_case(name: str, text: "str | bytes", message: str, **kw) -> Case:
    return Case(f"models/nnet/{name}", {"m.nnet": text}, ("info", "{m.nnet}"), 2, E + message, "ModelFormatError",
                api=_api("m.nnet", load_nnet), **kw)


NNET_LINES = NNET_OK.splitlines(keepends=True)

NNET_CASES = [
    Case("models/nnet/valid-control", {"m.nnet": NNET_OK}, ("info", "{m.nnet}"), 0, OK_INFO),
    Case("models/nnet/gzipped-control", {"m.nnet.gz": gzip.compress(NNET_OK.encode())}, ("info", "{m.nnet.gz}"), 0,
         OK_INFO),
    nnet_case("empty", "", r"file ends before the header"),
    nnet_case("only-comments", "// a\n// b\n", r"file ends before the header"),
    nnet_case("truncated-after-sizes", "".join(NNET_LINES[:3]), r"file ends before the unused flag"),
    nnet_case("truncated-weights", "".join(NNET_LINES[:-3]), r"weights and biases, expected 7 \(truncated\?\)"),
    nnet_case("extra-numbers", NNET_OK + "5,\n", r"1 numbers after the last bias"),
    nnet_case("header-junk", nnet_with("2,1,1,2,", "two,1,1,2,"), r":2: bad header value 'two'"),
    nnet_case("header-short", nnet_with("2,1,1,2,", "2,1"), r"first line must be 'layers, inputs, outputs"),
    nnet_case("header-fraction", nnet_with("2,1,1,2,", "2,1/2,1,2,"), r"first line must be"),
    nnet_case("header-negative", nnet_with("2,1,1,2,", "2,-1,1,2,"), r"bad header: 2 layers, -1 inputs"),
    nnet_case("sizes-short", nnet_with("1,2,1,", "1,2,"), r"the layer sizes line has 2 values, expected 3"),
    nnet_case("sizes-mismatch", nnet_with("1,2,1,", "2,2,1,"), r"layer sizes \[2, 2, 1\] do not match 1 inputs"),
    nnet_case("sizes-not-integers", nnet_with("1,2,1,", "1,2.5,1,"), r"bad layer sizes value '2\.5'"),
    nnet_case("sizes-huge-digits", nnet_with("1,2,1,", "1," + "9" * 5000 + ",1,"), r"bad layer sizes value '9{20}'\.\.\."),
    nnet_case("sizes-1e9-tiny-data", nnet_with("1,2,1,", "1,1000000000,1,"),
              r"weights and biases, expected 3000000001 \(truncated\?\)", seconds=5),
    nnet_case("empty-between-commas", nnet_with("0.5,0,", "0.5,,0,"), r"empty number between commas"),
    nnet_case("min-above-max", nnet_with("-1,\n1,", "2,\n1,"), r"input 0 has min 2 > max 1"),
    nnet_case("zero-range", nnet_with("2,10,", "0,10,"), r"a normalisation range is zero"),
    nnet_case("weight-junk", nnet_with("0.1,", "abc,"), r"bad weight value 'abc'"),
    nnet_case("weight-nan", nnet_with("0.1,", "nan,"), r"bad weight value 'nan'"),
    nnet_case("weight-inf", nnet_with("0.1,", "inf,"), r"bad weight value 'inf'"),
    nnet_case("weight-hex", nnet_with("0.1,", "0x10,"), r"bad weight value '0x10'"),
    nnet_case("weight-huge-exponent", nnet_with("0.1,", "1e999999999,"),
              r"bad weight value '1e999999999' \(decimal exponent 999999999 is beyond the limit", seconds=5),
    nnet_case("mean-huge-exponent", nnet_with("0.5,0,", "1e-999999999,0,"),
              r"bad means value '1e-999999999' \(decimal exponent -999999999 is beyond", seconds=5),
    Case("models/nnet/weight-5000-digits-control", {"m.nnet": nnet_with("0.1,", "9" * 5000 + ",")},
         ("info", "{m.nnet}"), 0, OK_INFO),
    nnet_case("binary", bytes(range(256)) * 8, r"not a text file"),
    nnet_case("gzip-bomb", gzip_bomb(32 << 20, b"1,"), r"decompressed content is larger than the limit of 1 MiB",
              env={"EXACTRELU_MAX_MODEL_BYTES": str(1 << 20)}),
]


def npz_case(name: str, data: bytes, message: str, error: str = "ModelFormatError", **kw) -> Case:
    return Case(f"models/npz/{name}", {"m.npz": data}, ("info", "{m.npz}"), 2, E + message, error,
                api=_api("m.npz", load_npz), **kw)


NPZ_CASES = [
    Case("models/npz/valid-control", {"m.npz": npz_bytes(**npz_ok())}, ("info", "{m.npz}"), 0, OK_INFO),
    Case("models/npz/string-arrays-control", {"m.npz": npz_bytes(**npz_ok(W0=np.array([["1/3", "-1"], ["0.5", "1"]])))},
         ("info", "{m.npz}"), 0, OK_INFO),
    npz_case("object-array-payload", npz_with_object_array(), r"array 'W0' is an object array, which needs unpickling",
             "UnsafeFileError", note="the payload would create UNPICKLED_MARKER"),
    npz_case("string-huge-exponent", npz_bytes(**npz_ok(W0=np.array([["1e999999999", "1"], ["1", "1"]]))),
             r"W0: decimal exponent 999999999 is beyond the limit", seconds=5, note="used to hang"),
    npz_case("string-too-long", npz_bytes(**npz_ok(b1=np.array(["1" * 1_000_001]))),
             r"b1: number literal of 1,000,001 characters refused"),
    npz_case("string-nan", npz_bytes(**npz_ok(b0=np.array(["nan", "0"]))), r"b0: malformed number 'nan'"),
    npz_case("string-zero-denominator", npz_bytes(**npz_ok(b0=np.array(["1/0", "0"]))), r"b0: zero denominator"),
    npz_case("float-nan", npz_bytes(**npz_ok(b0=np.array([np.nan, 0.0]))), r"b0 contains a non-finite value"),
    npz_case("float-inf", npz_bytes(**npz_ok(W1=np.array([[np.inf, 1.0]]))), r"W1 contains a non-finite value"),
    npz_case("bool-array", npz_bytes(**npz_ok(b1=np.array([True]))), r"b1: unsupported dtype bool"),
    npz_case("complex-array", npz_bytes(**npz_ok(b1=np.array([1j]))), r"b1: unsupported dtype complex128"),
    npz_case("bytes-array", npz_bytes(**npz_ok(b1=np.array([b"1"]))), r"b1: unsupported dtype \|S1"),
    npz_case("w0-1d", npz_bytes(**npz_ok(W0=np.ones(2))), r"W0 must be 2-D, got shape \[2\]"),
    npz_case("b0-2d", npz_bytes(**npz_ok(b0=np.ones((2, 1)))), r"b0 must be 1-D"),
    npz_case("w1-wrong-columns", npz_bytes(**npz_ok(W1=np.ones((1, 3)))), r"W1 has 3 columns but layer 0 has 2 outputs"),
    npz_case("b0-wrong-length", npz_bytes(**npz_ok(b0=np.ones(3))), r"b0 has 3 entries but W0 has 2 rows"),
    npz_case("w0-empty", npz_bytes(**npz_ok(W0=np.ones((2, 0)))), r"W0 is empty"),
    npz_case("missing-b1", npz_bytes(W0=np.ones((1, 1)), b0=np.ones(1), W1=np.ones((1, 1))),
             r"arrays must be W0\.\.W1 and b0\.\.b1"),
    npz_case("gap-in-indices", npz_bytes(W0=np.ones((1, 1)), b0=np.ones(1), W2=np.ones((1, 1)), b2=np.ones(1)),
             r"arrays must be W0\.\.W1"),
    npz_case("extra-array", npz_bytes(**npz_ok(junk=np.ones(1))), r"unexpected array 'junk'"),
    npz_case("no-arrays", npz_bytes(), r"no weight arrays"),
    npz_case("activations-junk", npz_bytes(**npz_ok(activations=np.array(["relu", "sigmoid"]))),
             r"unknown activation 'sigmoid'"),
    npz_case("activations-count", npz_bytes(**npz_ok(activations=np.array(["relu"]))), r"1 activations for 2 layers"),
    npz_case("activations-numbers", npz_bytes(**npz_ok(activations=np.array([1, 0]))),
             r"'activations' must be a 1-D array of strings"),
    npz_case("forged-shape-huge", npz_forged_shape((10 ** 9, 10 ** 9)),
             r"array 'W0' declares shape \[1000000000, 1000000000\] \(8,000,000,000,000,000,000 bytes\) but stores",
             seconds=5, note="numpy would allocate the declared shape before reading"),
    npz_case("forged-shape-truncated", npz_forged_shape((4, 4)), r"array 'W0' declares shape \[4, 4\]"),
    npz_case("forged-object-dtype-header", npz_forged_shape((1, 1), dtype="|O"), r"object array", "UnsafeFileError"),
    npz_case("bomb", npz_bomb(16 << 20), r"arrays hold [\d,]+ bytes uncompressed, more than the limit of 1 MiB",
             env={"EXACTRELU_MAX_MODEL_BYTES": str(1 << 20)}),
    npz_case("truncated", npz_bytes(**npz_ok())[:300], r"not an \.npz file"),
    npz_case("not-a-zip", b"PK\x03\x04 but then nothing useful", r"not an \.npz file"),
]


def _pickle_case(name: str, filename: str, data: bytes, message: str, error: str = "UnsafeFileError") -> Case:
    return Case(f"models/pickle/{name}", {filename: data}, ("info", "{" + filename + "}"), 2, E + message, error,
                api=never_unpickled(lambda p: load_model(p[filename])))


PICKLE_CASES = [
    _pickle_case("pt", "m.pt", evil_pickle(), r"is a Python pickle; refusing to unpickle"),
    _pickle_case("pth-protocol-2", "m.pth", evil_pickle(2), r"is a Python pickle"),
    _pickle_case("pkl", "m.pkl", evil_pickle(5), r"is a Python pickle"),
    _pickle_case("ckpt-protocol-0", "m.ckpt", evil_pickle(0), r"\.ckpt files are pickle-based"),
    _pickle_case("pt-protocol-0", "model.pt", evil_pickle(0), r"\.pt files are pickle-based"),
    _pickle_case("json-extension", "m.json", evil_pickle(), r"is a Python pickle"),
    _pickle_case("npz-extension", "m.npz", evil_pickle(), r"is a Python pickle"),
    _pickle_case("onnx-extension", "m.onnx", evil_pickle(), r"is a Python pickle"),
    _pickle_case("no-extension", "model", evil_pickle(), r"is a Python pickle"),
    _pickle_case("torch-zip-as-npz", "m.npz", torch_like_zip(), r"is a PyTorch checkpoint"),
    _pickle_case("torch-zip-as-bin", "weights.bin", torch_like_zip(), r"is a PyTorch checkpoint"),
    _pickle_case("torch-zip-as-pt", "m.pt", torch_like_zip(), r"\.pt files are pickle-based"),
    _pickle_case("object-npz", "o.npz", npz_with_object_array(), r"object array, which needs unpickling"),
    _pickle_case("protocol-0-as-nnet", "m.nnet", evil_pickle(0), r"bad header value", "ModelFormatError"),
]

FILE_CASES = [
    Case("models/files/directory", {"d.json": directory("d.json")}, ("info", "{d.json}"), 2,
         E + r"is a directory", "ModelFormatError", api=_api("d.json")),
    Case("models/files/fifo", {"p.json": fifo("p.json")}, ("info", "{p.json}"), 2,
         E + r"not a regular file", "ModelFormatError", api=_api("p.json"), seconds=5,
         note="opening a FIFO would block forever"),
    Case("models/files/dev-zero", {}, ("info", "/dev/zero"), 2, E + r"/dev/zero: not a regular file",
         "ModelFormatError", api=lambda p: load_model("/dev/zero"), seconds=5, note="would read forever"),
    Case("models/files/dev-null-as-json", {}, ("info", "/dev/null", ), 2, E + r"/dev/null: not a regular file",
         "ModelFormatError", api=lambda p: load_model("/dev/null", fmt="json")),
    Case("models/files/dangling-symlink", {"l.json": symlink_to_nowhere("l.json")}, ("info", "{l.json}"), 2,
         E + r"no such file", "ModelFormatError", api=_api("l.json")),
    Case("models/files/through-a-file", {"f.json": "x"}, ("info", "{f.json}/m.json"), 2, E + r"Not a directory",
         "ModelFormatError", api=lambda p: load_model(p["f.json"] + "/m.json")),
    Case("models/files/nul-in-name", {}, ("info", "m\x00.json"), 2, E + r"cannot contain a NUL byte",
         "ModelFormatError", api=lambda p: load_model("m\x00.json")),
    Case("models/files/name-too-long", {}, ("info", "x" * 5000 + ".json"), 2, E + r"name too long",
         "ModelFormatError", api=lambda p: load_model("x" * 5000 + ".json")),
    Case("models/files/unknown-format", {"m.xyz": "hello"}, ("info", "{m.xyz}"), 2, E + r"unknown model format",
         "ModelFormatError", api=_api("m.xyz")),
    Case("models/files/forced-unknown-format", {"m.json": VALID}, ("info", "{m.json}"), 0, OK_INFO,
         "ModelFormatError", api=lambda p: load_model(p["m.json"], fmt="csv")),
    Case("models/files/json-reader-options", {"m.json": VALID}, ("info", "{m.json}"), 0, OK_INFO,
         "ModelFormatError", api=lambda p: load_model(p["m.json"], approximate_bn=True)),
    Case("models/files/nnet-reader-options", {"m.nnet": NNET_OK}, ("info", "{m.nnet}"), 0, OK_INFO,
         "ModelFormatError", api=lambda p: load_model(p["m.nnet"], normalise="yes")),
    Case("models/files/npz-max-bytes-parameter", {"m.npz": npz_bytes(**npz_ok())}, ("info", "{m.npz}"), 0, OK_INFO,
         "ModelFormatError", api=lambda p: load_model(p["m.npz"], max_bytes=100)),
]

CASES = JSON_CASES + NNET_CASES + NPZ_CASES + PICKLE_CASES + FILE_CASES
