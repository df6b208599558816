"""Hostile ONNX files: truncated (plain and gzipped, several cut points), bit-flipped, tensors
produced twice, cycles, huge declared sizes, external data outside the model's folder or
missing, a gzip bomb, non-finite weights, training-mode and unknown-opset models.

Bit flips use deterministic seeds.  Each flipped model must either load into the network
an independent exact interpreter (:func:`exact_onnx_oracle`, written here from the ONNX
operator definitions, with ``onnx.checker`` deciding validity) computes, or be refused with
a clean one-line error: the expected outcome of every case comes from that oracle, never
from the loader.
"""

from __future__ import annotations

import gzip
import math
import os
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from exactrelu.io.onnx.onnx_io import load_onnx, read_onnx_model

from hostile.case import Case

N = helper.make_node


# --------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------
def base_model() -> onnx.ModelProto:
    """Gemm -> Relu -> Gemm, float32, small dyadic weights, input (1, 3)."""
    W1 = np.array([[0.5, -1, 0.25], [1, 0.125, -0.5], [-2, 1.5, 0.75], [0.25, 0.25, -1]], np.float32)
    W2 = np.array([[1, -0.5, 0.25, 2], [0.5, 1, -1, 0]], np.float32)
    inits = [numpy_helper.from_array(W1, "W1"), numpy_helper.from_array(np.array([0.5, -0.25, 0, 1], np.float32), "b1"),
             numpy_helper.from_array(W2, "W2"), numpy_helper.from_array(np.array([0.125, -1], np.float32), "b2")]
    nodes = [N("Gemm", ["x", "W1", "b1"], ["h"], name="fc1", transB=1, alpha=1.0),
             N("Relu", ["h"], ["r"], name="act"),
             N("Gemm", ["r", "W2", "b2"], ["y"], name="fc2", transB=1, beta=0.5)]
    g = helper.make_graph(nodes, "base", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="hostile")
    m.ir_version = 8
    return m


BASE = base_model().SerializeToString()
POINT = [Fraction(1, 2), Fraction(-1, 4), Fraction(3, 8)]
POINT_ARG = ",".join(str(v) for v in POINT)


def _model_bytes(nodes, inits, in_shape=(1, 4), out_shape=(1, 4), opset=13) -> bytes:
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, list(out_shape))], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m.SerializeToString()


def _external_model(location: str, length: int | None = 16) -> bytes:
    t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[4], data_location=TensorProto.EXTERNAL)
    for k, v in (("location", location), ("offset", "0")) + ((("length", str(length)),) if length is not None else ()):
        e = t.external_data.add()
        e.key, e.value = k, v
    return _model_bytes([N("Add", ["x", "W"], ["y"])], [t])


# --------------------------------------------------------------------------------------
# an independent exact interpreter (standard library Fractions; onnx only to parse)
# --------------------------------------------------------------------------------------
class Invalid(Exception):
    """The oracle judges the model unusable (so the loader must refuse it)."""


def _broadcast(a, b):
    (sa, va), (sb, vb) = a, b
    r = max(len(sa), len(sb))
    sa, sb = (1,) * (r - len(sa)) + tuple(sa), (1,) * (r - len(sb)) + tuple(sb)
    out = []
    for p, q in zip(sa, sb):
        if p != q and 1 not in (p, q):
            raise Invalid("shapes do not broadcast")
        out.append(max(p, q))
    return tuple(out), sa, sb, va, vb


def _index(shape, flat):
    idx = []
    for d in reversed(shape):
        idx.append(flat % d)
        flat //= d
    return tuple(reversed(idx))


def _flat(shape, idx):
    f = 0
    for d, i in zip(shape, idx):
        f = f * d + i
    return f


def _elementwise(a, b, fn):
    shape, sa, sb, va, vb = _broadcast(a, b)
    out = []
    for k in range(math.prod(shape)):
        i = _index(shape, k)
        out.append(fn(va[_flat(sa, [x if d > 1 else 0 for x, d in zip(i, sa)])],
                      vb[_flat(sb, [x if d > 1 else 0 for x, d in zip(i, sb)])]))
    return shape, out


def _matmul2(a, b):
    (sa, va), (sb, vb) = a, b
    if len(sa) != 2 or len(sb) != 2 or sa[1] != sb[0]:
        raise Invalid("matrix shapes")
    m, k, n = sa[0], sa[1], sb[1]
    return (m, n), [sum((va[i * k + j] * vb[j * n + c] for j in range(k)), Fraction(0)) for i in range(m) for c in range(n)]


def _transpose2(a):
    (s, v) = a
    if len(s) != 2:
        raise Invalid("rank")
    return (s[1], s[0]), [v[i * s[1] + j] for j in range(s[1]) for i in range(s[0])]


def exact_onnx_oracle(data: bytes, x: list[Fraction]) -> list[Fraction]:
    """Exact output of the (single-input) model at ``x``, or :class:`Invalid`.

    Knows Gemm, MatMul (2-D), Add, Sub, Mul, Div, Relu, Neg, Abs, Identity, LeakyRelu, Max,
    Min and Sum of the default domain at opsets 7..28, with every attribute of theirs; a
    model is valid only if ``onnx.checker.check_model(full_check=True)`` accepts it.
    """
    try:
        m = onnx.load_model_from_string(data)
        onnx.checker.check_model(m, full_check=True)
    except Exception as exc:  # noqa: BLE001 - the checker's verdict is the point
        raise Invalid(f"checker: {exc}") from None
    opsets = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    if len(opsets) != 1 or not 7 <= opsets[0] <= 28:
        raise Invalid("opset")
    env: dict[str, tuple] = {}
    for t in m.graph.initializer:
        try:
            a = numpy_helper.to_array(t)
        except Exception as exc:  # noqa: BLE001
            raise Invalid(f"initializer: {exc}") from None
        if a.dtype.kind != "f" or not np.isfinite(a).all():
            raise Invalid("initializer")
        env[t.name] = (tuple(a.shape), [Fraction(float(v)) for v in a.ravel().tolist()])
    inputs = [i for i in m.graph.input if i.name not in env]
    if len(inputs) != 1:
        raise Invalid("inputs")
    # an unset leading (batch) dimension is 1, the documented convention
    dims = [d.dim_value if d.HasField("dim_value") or k else 1
            for k, d in enumerate(inputs[0].type.tensor_type.shape.dim)]
    if math.prod(dims) != len(x) or min(dims) < 1:
        raise Invalid("input shape")
    env[inputs[0].name] = (tuple(dims), list(x))
    known = {"Gemm": {"alpha", "beta", "transA", "transB"}, "LeakyRelu": {"alpha"}}
    for node in m.graph.node:
        op = node.op_type
        if node.domain not in ("", "ai.onnx") or len(node.output) != 1:
            raise Invalid("node")
        attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if set(attrs) - known.get(op, set()):
            raise Invalid("attribute")
        ins = [env[i] for i in node.input if i]
        if op == "Gemm":
            a, b = ins[0], ins[1]
            if attrs.get("transA", 0):
                a = _transpose2(a)
            if attrs.get("transB", 0):
                b = _transpose2(b)
            y = _matmul2(a, b)
            alpha, beta = Fraction(attrs.get("alpha", 1.0)), Fraction(attrs.get("beta", 1.0))
            y = (y[0], [alpha * v for v in y[1]])
            if len(ins) > 2:
                c = (ins[2][0], [beta * v for v in ins[2][1]])
                shape, *_ = _broadcast(c, y)
                if shape != y[0]:
                    raise Invalid("C")
                y = _elementwise(y, c, lambda p, q: p + q)
        elif op == "MatMul":
            y = _matmul2(ins[0], ins[1])
        elif op in ("Add", "Sub", "Mul", "Div", "Max", "Min", "Sum"):
            fn = {"Add": lambda p, q: p + q, "Sub": lambda p, q: p - q, "Mul": lambda p, q: p * q,
                  "Div": lambda p, q: p / q if q else (_ for _ in ()).throw(Invalid("division by zero")),
                  "Max": max, "Min": min, "Sum": lambda p, q: p + q}[op]
            y = ins[0]
            for other in ins[1:]:
                y = _elementwise(y, other, fn)
        elif op in ("Relu", "Neg", "Abs", "Identity", "LeakyRelu"):
            alpha = Fraction(attrs.get("alpha", float(np.float32(0.01))))
            fn = {"Relu": lambda v: max(v, Fraction(0)), "Neg": lambda v: -v, "Abs": abs, "Identity": lambda v: v,
                  "LeakyRelu": lambda v: v if v >= 0 else alpha * v}[op]
            y = (ins[0][0], [fn(v) for v in ins[0][1]])
        else:
            raise Invalid(f"operator {op}")
        env[node.output[0]] = y
    outs = m.graph.output
    if len(outs) != 1 or outs[0].name not in env:
        raise Invalid("output")
    return env[outs[0].name][1]


def flip_bits(data: bytes, seed: int, n_bits: int = 1) -> bytes:
    rng = random.Random(seed)
    b = bytearray(data)
    for _ in range(n_bits):
        k = rng.randrange(len(b) * 8)
        b[k // 8] ^= 1 << (k % 8)
    return bytes(b)


def _expected_eval(data: bytes) -> tuple[int, str]:
    """(exit code, message regex) of ``exactrelu eval`` on ``data`` at POINT, by the oracle."""
    try:
        y = exact_onnx_oracle(data, POINT)
    except Invalid:
        return 2, r"^exactrelu: error: "
    return 0, "^" + " ".join(str(v) for v in y).replace("+", r"\+") + "$"


def _flip_case(seed: int, n_bits: int) -> Case:
    data = flip_bits(BASE, seed, n_bits)
    code, msg = _expected_eval(data)
    return Case(f"onnx/bit-flip-{n_bits}-seed-{seed}", {"m.onnx": data}, ("eval", "{m.onnx}", "--point", POINT_ARG),
                code, msg, note="expected outcome from exact_onnx_oracle", tags=("onnx", "bit-flip"))


# --------------------------------------------------------------------------------------
# the cases
# --------------------------------------------------------------------------------------
def _api(name="m.onnx", **kw):
    return lambda p: load_onnx(p[name], **kw)


ERR = r"^exactrelu: error: "
CASES: list[Case] = []

# truncated: plain, gzipped, gzip of a truncated model, and cut exactly after the graph
for frac in (0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99):
    cut = max(1, int(len(BASE) * frac))
    CASES.append(Case(f"onnx/truncated-{int(frac * 100)}pct", {"m.onnx": BASE[:cut]}, ("info", "{m.onnx}"), 2, ERR,
                      "ModelFormatError", _api(), tags=("onnx",)))
    gz = gzip.compress(BASE)
    CASES.append(Case(f"onnx/truncated-gz-{int(frac * 100)}pct", {"m.onnx.gz": gz[:max(1, int(len(gz) * frac))]},
                      ("info", "{m.onnx.gz}"), 2, ERR, "ModelFormatError", _api("m.onnx.gz"),
                      tags=("onnx",)))
    CASES.append(Case(f"onnx/gz-of-truncated-{int(frac * 100)}pct", {"m.onnx.gz": gzip.compress(BASE[:cut])},
                      ("info", "{m.onnx.gz}"), 2, ERR, "ModelFormatError", _api("m.onnx.gz"), tags=("onnx",)))
_head = onnx.ModelProto()
_head.CopyFrom(base_model())
del _head.opset_import[:]
_CUT = len(_head.SerializeToString())
assert BASE[:_CUT] == _head.SerializeToString()
CASES.append(Case("onnx/truncated-after-graph", {"m.onnx": BASE[:_CUT]}, ("info", "{m.onnx}"), 2,
                  ERR + ".*the model declares no opset for the default ONNX domain", "ModelFormatError", _api(),
                  note="protobuf parses the prefix; the opset (field 8) comes after the graph (field 7)", tags=("onnx",)))
CASES.append(Case("onnx/control-base-model-loads", {"m.onnx": BASE}, ("eval", "{m.onnx}", "--point", POINT_ARG),
                  *_expected_eval(BASE), tags=("onnx",)))
assert _expected_eval(BASE)[0] == 0

# bit flips: one bit (many seeds) and four bits
CASES += [_flip_case(seed, 1) for seed in range(40)]
CASES += [_flip_case(seed, 4) for seed in range(100, 115)]


# designed corruptions: an operator name, an attribute name, a weight's bytes
def _replace(old: bytes, new: bytes) -> bytes:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


_nan = np.array([np.nan], np.float32).tobytes()
_w1 = numpy_helper.to_array(base_model().graph.initializer[0]).tobytes()  # W1's raw data, 48 bytes
CASES += [
    Case("onnx/flip-op-type", {"m.onnx": _replace(b"Relu", b"Relt")}, ("info", "{m.onnx}"), 2,
         ERR + ".*unsupported operator 'Relt' at node 'act'", "UnsupportedOperatorError", _api(), tags=("onnx",)),
    Case("onnx/flip-attribute-name", {"m.onnx": _replace(b"beta", b"bets")}, ("info", "{m.onnx}"), 2,
         ERR + r".*node 'fc2' \(Gemm-13\) has an unknown attribute 'bets'", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/flip-weight-to-nan", {"m.onnx": _replace(_w1, _nan + _w1[4:])}, ("info", "{m.onnx}"), 2,
         ERR + ".*tensor 'W1' contains a non-finite value nan", "ModelFormatError", _api(), tags=("onnx",)),
]

# structure
_W = numpy_helper.from_array(np.ones(4, np.float32), "W")
CASES += [
    Case("onnx/tensor-produced-twice", {"m.onnx": _model_bytes([N("Relu", ["x"], ["h"], name="a"),
                                                                 N("Neg", ["x"], ["h"], name="b"),
                                                                 N("Relu", ["h"], ["y"], name="c")], [])},
         ("info", "{m.onnx}"), 2, ERR + r".*tensor 'h' is produced twice \(node 'a' and node 'b'\)", "ModelFormatError",
         _api(), tags=("onnx",)),
    Case("onnx/node-output-is-an-initializer", {"m.onnx": _model_bytes([N("Relu", ["x"], ["W"], name="a"),
                                                                         N("Add", ["x", "W"], ["y"])], [_W])},
         ("info", "{m.onnx}"), 2, ERR + r".*tensor 'W' is produced twice \(an initializer and node 'a'\)",
         "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/cycle", {"m.onnx": _model_bytes([N("Add", ["x", "b"], ["a"], name="n1"), N("Relu", ["a"], ["b"], name="n2"),
                                                N("Relu", ["a"], ["y"], name="n3")], [])},
         ("info", "{m.onnx}"), 2, ERR + ".*the graph has a cycle", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/undefined-tensor", {"m.onnx": _model_bytes([N("Relu", ["ghost"], ["y"], name="r")], [])},
         ("info", "{m.onnx}"), 2, ERR + ".*tensor 'ghost' used by node 'r' is never defined", "ModelFormatError", _api(),
         tags=("onnx",)),
    Case("onnx/huge-declared-initializer", {"m.onnx": _model_bytes(
        [N("Add", ["x", "W"], ["y"])], [TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[10 ** 6, 10 ** 6],
                                                    raw_data=b"\0" * 16)])},
         ("info", "{m.onnx}"), 2, ERR + r".*initializer 'W' declares 1000000000000 elements", "ModelFormatError", _api(),
         tags=("onnx",)),
    Case("onnx/huge-constant-of-shape", {"m.onnx": _model_bytes(
        [N("ConstantOfShape", ["s"], ["c"]), N("Add", ["x", "c"], ["y"])],
        [numpy_helper.from_array(np.array([10 ** 6, 10 ** 6, 10 ** 6], np.int64), "s")])},
         ("info", "{m.onnx}"), 2, ERR + ".*more than the limit 10,000,000", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/huge-pads", {"m.onnx": _model_bytes(
        [N("Pad", ["x", "p"], ["y"])], [numpy_helper.from_array(np.array([0, 10 ** 9, 0, 10 ** 9], np.int64), "p")])},
         ("info", "{m.onnx}"), 2, ERR + ".*more than the limit", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/huge-pool-window", {"m.onnx": _model_bytes(
        [N("MaxPool", ["x"], ["y"], kernel_shape=[100000, 100000], pads=[100000, 100000, 100000, 100000])], [],
        in_shape=(1, 1, 4, 4), out_shape=(1, 1, 4, 4))},
         ("info", "{m.onnx}"), 2, ERR + ".*exceed the limit|more than the limit", "ModelFormatError", _api(), tags=("onnx",)),
]

# weights
CASES += [
    Case(f"onnx/{name}-weight", {"m.onnx": _model_bytes([N("Cast", ["W"], ["Wf"], to=TensorProto.FLOAT),
                                                         N("Add", ["x", "Wf"], ["y"])], [tensor])},
         ("info", "{m.onnx}"), 2, ERR + f".*non-finite value {val}", "ModelFormatError", _api(), tags=("onnx",))
    for name, tensor, val in (
        ("nan-float32", numpy_helper.from_array(np.array([1, np.nan, 0, 0], np.float32), "W"), "nan"),
        ("inf-float16", numpy_helper.from_array(np.array([1, np.inf, 0, 0], np.float16), "W"), "inf"),
        ("neg-inf-float64", numpy_helper.from_array(np.array([1, -np.inf, 0, 0], np.float64), "W"), "-inf"),
        ("nan-bfloat16", helper.make_tensor("W", TensorProto.BFLOAT16, [4], [1.0, float("nan"), 0.0, 0.0]), "nan"))
]


# external data
def _symlink_model(tmp: Path) -> bytes:
    target = Path("/etc/passwd") if Path("/etc/passwd").exists() else Path(__file__)
    link = tmp / "w.bin"
    if not link.exists():
        os.symlink(target, link)
    return _external_model("w.bin")


def _inside_model(tmp: Path) -> bytes:
    (tmp / "w.bin").write_bytes(np.array([0.5, -1, 2, 0.25], np.float32).tobytes())
    return _external_model("w.bin")


def _short_model(tmp: Path) -> bytes:
    (tmp / "w.bin").write_bytes(b"\0" * 8)
    return _external_model("w.bin")


CASES += [
    Case("onnx/external-data-parent-path", {"sub/m.onnx": _external_model("../../etc/passwd")}, ("info", "{sub/m.onnx}"),
         2, ERR + ".*external data location '../../etc/passwd' points outside the model's folder", "ModelFormatError",
         _api("sub/m.onnx"), tags=("onnx",)),
    Case("onnx/external-data-absolute-path", {"m.onnx": _external_model("/etc/passwd")}, ("info", "{m.onnx}"), 2,
         ERR + ".*is an absolute path", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/external-data-symlink-outside", {"m.onnx": _symlink_model}, ("info", "{m.onnx}"), 2,
         ERR + ".*points outside the model's folder", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/external-data-missing", {"m.onnx": _external_model("w.bin")}, ("info", "{m.onnx}"), 2,
         ERR + ".*external data file 'w.bin' is missing", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/external-data-too-short", {"m.onnx": _short_model}, ("info", "{m.onnx}"), 2,
         ERR + ".*is beyond the end of 'w.bin'", "ModelFormatError", _api(), tags=("onnx",)),
    Case("onnx/external-data-wrong-length", {"m.onnx": lambda tmp: (_inside_model(tmp), _external_model("w.bin", 12))[1]},
         ("info", "{m.onnx}"), 2, ERR + ".*external data holds 12 bytes, but its dims need 16", "ModelFormatError", _api(),
         tags=("onnx",)),
    Case("onnx/external-data-inside-loads", {"m.onnx": _inside_model}, ("eval", "{m.onnx}", "--point", "0,0,0,0"), 0,
         r"^1/2 -1 2 1/4$", tags=("onnx",)),
]

# a gzip bomb: 129 members of 16 MiB of zeros, 2 MB on disk, 2 GiB + 16 MiB inflated
_member = gzip.compress(bytes(16 << 20), compresslevel=9)
CASES.append(Case("onnx/gzip-bomb", {"bomb.onnx.gz": lambda tmp: _member * 129}, ("info", "{bomb.onnx.gz}"), 2,
                  ERR + r".*decompresses to more than 2,147,483,648 bytes, the limit", "ModelFormatError",
                  lambda p: read_onnx_model(p["bomb.onnx.gz"], max_bytes=1 << 20), seconds=90,
                  note="the CLI case inflates 2 GiB (counting only); the API call uses a 1 MiB limit", tags=("onnx", "slow")))
CASES.append(Case("onnx/gzip-small-limit", {"m.onnx.gz": gzip.compress(BASE)}, ("info", "{m.onnx.gz}"), 0, r".",
                  "ModelFormatError", lambda p: read_onnx_model(p["m.onnx.gz"], max_bytes=100), tags=("onnx",)))

# semantics the loader does not model
CASES += [
    Case("onnx/opset-6-dropout-is-test-0", {"m.onnx": _model_bytes([N("Dropout", ["x"], ["y"], is_test=0)], [], opset=6)},
         ("info", "{m.onnx}"), 2, ERR + ".*opset 6 of the default ONNX domain is not supported", "ModelFormatError", _api(),
         tags=("onnx",)),
    Case("onnx/dropout-training-mode", {"m.onnx": _model_bytes(
        [N("Dropout", ["x", "r", "t"], ["y"])], [numpy_helper.from_array(np.array(0.5, np.float32), "r"),
                                                 numpy_helper.from_array(np.array(True), "t")])},
         ("info", "{m.onnx}"), 2, ERR + ".*training_mode is true", "UnsupportedOperatorError", _api(), tags=("onnx",)),
    Case("onnx/cast-float16-round-trip", {"m.onnx": _model_bytes(
        [N("Relu", ["x"], ["r"]), N("Cast", ["r"], ["h"], to=TensorProto.FLOAT16), N("Cast", ["h"], ["y"], to=TensorProto.FLOAT)],
        [])}, ("info", "{m.onnx}"), 2, ERR + ".*a step function, not piecewise linear", "UnsupportedOperatorError", _api(),
         tags=("onnx",)),
    Case("onnx/opset-from-the-future", {"m.onnx": _model_bytes([N("Relu", ["x"], ["y"])], [], opset=99)},
         ("info", "{m.onnx}"), 2, ERR + ".*opset 99", "ModelFormatError", _api(), tags=("onnx",)),
]
