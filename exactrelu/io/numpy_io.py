"""Networks from numpy arrays and ``.npz`` files (never unpickled).

Weights follow the PyTorch convention ``W[out][in]`` (``y = W x + b``).  Floats convert
exactly (every binary float is a dyadic rational); integer arrays are exact anyway.

``.npz`` layout: arrays ``W0, b0, W1, b1, ...`` (consecutive from 0) and optionally a
string array ``activations`` (``"relu"``/``"identity"`` per layer; default ReLU on all
layers but the last).  Files are always read with ``allow_pickle=False``: object arrays
(which need unpickling) are refused with :class:`~exactrelu.errors.UnsafeFileError`,
from the array's header, before numpy is asked to read it.  The file, the total size of
its arrays and each array's declared shape (against the bytes actually stored) are
checked before anything is decompressed or allocated (limit:
:func:`~exactrelu.limits.max_model_bytes`).  String arrays hold number literals, read
exactly with the documented limits of :func:`~exactrelu.numbers.rationals.to_rational`.

Examples
--------
>>> import numpy as np
>>> net = from_numpy([np.array([[1.0], [-1.0]]), np.array([[1.0, 1.0]])], [np.zeros(2), np.zeros(1)])
>>> [str(evaluate(net, [x])[0]) for x in (-0.5, 2)]  # |x|
['1/2', '2']
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from ..errors import ModelError, ModelFormatError, NumberError, ShapeError, UnsafeFileError
from ..model.network import Activation, Layer, Network
from ..numbers.rationals import to_rational

__all__ = ["from_numpy", "load_npz", "save_npz"]

_KEY = re.compile(r"^([Wb])(\d+)$")


def _exact_array(a: Any, what: str, ndim: int) -> list:
    try:
        arr = np.asarray(a)
    except (ValueError, TypeError) as exc:
        raise ShapeError(f"{what}: not a rectangular array ({exc})") from None
    if arr.dtype.kind not in "iufOU":  # object/str: Fractions or number strings, converted one by one
        raise ModelError(f"{what}: unsupported dtype {arr.dtype}")
    if arr.ndim != ndim:
        raise ShapeError(f"{what} must be {ndim}-D, got shape {list(arr.shape)}")
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = [int(i) for i in np.argwhere(~finite)[0]]
            raise NumberError(f"{what} contains a non-finite value {arr[tuple(bad)]!r} at index {bad}")
        if arr.dtype.itemsize > 8:  # long double: each value exactly (tolist() would round to float64)
            try:
                if ndim == 1:
                    return [to_rational(v) for v in arr]
                return [[to_rational(v) for v in row] for row in arr]
            except NumberError as exc:
                raise NumberError(f"{what}: {exc}") from None
        arr = arr.astype(np.float64)  # exact widening (float16/32 -> float64)
    try:
        if ndim == 1:
            return [to_rational(v) for v in arr.tolist()]
        return [[to_rational(v) for v in row] for row in arr.tolist()]
    except NumberError as exc:
        raise NumberError(f"{what}: {exc}") from None


def from_numpy(weights: Sequence[Any], biases: Sequence[Any], activations: Sequence[str] | None = None,
               name: str = "") -> Network:
    """An MLP from weight matrices ``W[out][in]`` and bias vectors, converted exactly.

    Parameters
    ----------
    weights : sequence of 2-D arrays
    biases : sequence of 1-D arrays
    activations : sequence of {"relu", "identity"}, optional
        Default: ReLU on all layers but the last, identity on the last.
    name : str

    Raises
    ------
    ShapeError
        Inconsistent shapes (names the layer).
    NumberError
        NaN or infinite values (names the array).
    """
    if len(weights) != len(biases):
        raise ShapeError(f"{len(weights)} weight matrices but {len(biases)} bias vectors")
    if not weights:
        raise ModelError("a network needs at least one layer")
    acts = list(activations) if activations is not None else ["relu"] * (len(weights) - 1) + ["identity"]
    if len(acts) != len(weights):
        raise ModelError(f"{len(acts)} activations for {len(weights)} layers")
    layers = []
    n_in = None
    prev = None
    for k, (w, b) in enumerate(zip(weights, biases)):
        W = _exact_array(w, f"W{k}", 2)
        B = _exact_array(b, f"b{k}", 1)
        rows = len(W)
        cols = len(W[0]) if W else 0
        if rows == 0 or cols == 0:
            raise ShapeError(f"W{k} is empty")
        if len(B) != rows:
            raise ShapeError(f"b{k} has {len(B)} entries but W{k} has {rows} rows")
        if prev is None:
            n_in = cols
        elif cols != prev:
            raise ShapeError(f"W{k} has {cols} columns but layer {k - 1} has {prev} outputs")
        layers.append(Layer(((k, tuple(tuple(r) for r in W)),), tuple(B), Activation.parse(acts[k]), ""))
        prev = rows
    return Network(int(n_in or 0), tuple(layers), name=name)


def _npy_header(fh: Any) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype from the header of an ``.npy`` stream (no data read, nothing unpickled)."""
    from numpy.lib import format as npformat

    version = npformat.read_magic(fh)
    reader = getattr(npformat, "_read_array_header", None)
    if reader is not None:
        shape, _, dtype = reader(fh, version)
    elif version == (1, 0):  # pragma: no cover - numpy without the private reader
        shape, _, dtype = npformat.read_array_header_1_0(fh)
    else:  # pragma: no cover
        shape, _, dtype = npformat.read_array_header_2_0(fh)
    return tuple(int(d) for d in shape), dtype


def _check_members(p: Path, zf: zipfile.ZipFile, limit: int) -> None:
    """Refuse pickles, object arrays and declared sizes that do not fit, from the zip
    directory and the arrays' headers alone."""
    from ..limits import ENV_MODEL_BYTES, format_bytes

    infos = zf.infolist()
    if any(i.filename.endswith(".pkl") for i in infos):
        raise UnsafeFileError(f"{p}: looks like a PyTorch checkpoint (contains a pickle); refusing to unpickle. "
                              "Export the model to ONNX, or use exactrelu.io.from_torch in Python")
    total = sum(i.file_size for i in infos)
    if total > limit:
        raise ModelFormatError(f"{p}: its arrays hold {total:,} bytes uncompressed, more than the limit of "
                               f"{format_bytes(limit)} (set {ENV_MODEL_BYTES} to read it)")
    for info in infos:
        if not info.filename.endswith(".npy"):
            continue
        key = info.filename[:-4]
        try:
            with zf.open(info) as fh:
                shape, dtype = _npy_header(fh)
                stored = info.file_size - fh.tell()  # the bytes after the header
        except (ValueError, OSError, EOFError, SyntaxError, zipfile.BadZipFile, RuntimeError, NotImplementedError) as exc:
            raise ModelFormatError(f"{p}: array {key!r} has a malformed header ({str(exc)[:200]})") from None
        if dtype.hasobject:
            raise UnsafeFileError(f"{p}: array {key!r} is an object array, which needs unpickling; refused "
                                  "(save numeric or string arrays only)")
        count = 1
        for d in shape:
            count *= d
        if count * dtype.itemsize > stored:
            raise ModelFormatError(f"{p}: array {key!r} declares shape {list(shape)} ({count * dtype.itemsize:,} "
                                   f"bytes) but stores {stored:,} bytes (truncated or forged header)")


def load_npz(path: "str | Path", max_bytes: int | None = None) -> Network:
    """Read ``W0, b0, W1, b1, ...`` (and optional ``activations``) from an ``.npz`` file.

    Always uses ``allow_pickle=False``; object arrays and pickles are refused from the
    file's directory and the arrays' headers, before numpy reads them.

    Parameters
    ----------
    path : str or Path
    max_bytes : int, optional
        Largest file and largest total (uncompressed) size of its arrays; default
        :func:`~exactrelu.limits.max_model_bytes` (2 GiB, ``EXACTRELU_MAX_MODEL_BYTES``).

    Raises
    ------
    ModelFormatError
        Missing file, not a zip/npz file, missing or extra arrays, too large, declared
        shapes larger than the stored data.
    UnsafeFileError
        Arrays that would need unpickling (object arrays), or a PyTorch checkpoint.
    """
    from ..limits import max_model_bytes
    from .files import read_bytes, regular_file

    limit = max_model_bytes() if max_bytes is None else max_bytes
    p = regular_file(path, ModelFormatError)
    if p.stat().st_size > limit:
        read_bytes(p, ModelFormatError, limit=limit)  # raises the one "larger than the limit" message
    try:
        with zipfile.ZipFile(p) as zf:
            _check_members(p, zf, limit)
    except ModelError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        raise ModelFormatError(f"{p}: not an .npz file ({str(exc)[:200]})") from None
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(p, allow_pickle=False) as data:
            for key in data.files:
                arrays[key] = data[key]
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object arrays" in str(exc).lower():
            raise UnsafeFileError(f"{p}: contains object arrays that need unpickling; refused "
                                  "(save numeric arrays only)") from None
        raise ModelFormatError(f"{p}: cannot read: {str(exc)[:200]}") from None
    except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError) as exc:
        raise ModelFormatError(f"{p}: cannot read: {str(exc)[:200]}") from None
    ws: dict[int, np.ndarray] = {}
    bs: dict[int, np.ndarray] = {}
    acts = None
    for key, arr in arrays.items():
        m = _KEY.match(key)
        if m and len(m.group(2)) <= 6:
            (ws if m.group(1) == "W" else bs)[int(m.group(2))] = arr
        elif key == "activations":
            if arr.dtype.kind not in "US" or arr.ndim != 1:
                raise ModelFormatError(f"{p}: 'activations' must be a 1-D array of strings")
            acts = [a.decode("utf-8", "replace") if isinstance(a, bytes) else str(a) for a in arr.tolist()]
        else:
            raise ModelFormatError(f"{p}: unexpected array {key[:40]!r} (expected W0, b0, W1, b1, ... and "
                                   "'activations')")
    if not ws:
        raise ModelFormatError(f"{p}: no weight arrays W0, W1, ...")
    n = len(ws)
    if sorted(ws) != list(range(n)) or sorted(bs) != list(range(n)):
        names = sorted(arrays)
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} arrays)" if len(names) > 8 else "")
        raise ModelFormatError(f"{p}: arrays must be W0..W{n - 1} and b0..b{n - 1}, got {shown}")
    try:
        return from_numpy([ws[k] for k in range(n)], [bs[k] for k in range(n)], acts, name=p.stem)
    except (NumberError, ModelError) as exc:
        if isinstance(exc, ModelFormatError):
            raise
        raise ModelFormatError(f"{p}: {exc}") from None


def save_npz(net: Network, path: "str | Path", dtype: str = "float64") -> None:
    """Write a plain MLP as ``W0, b0, ...`` (float arrays; raises ModelError if not exact).

    Networks with skip connections cannot be written in this format.
    """
    from ..errors import ExportError
    from ..numbers.rationals import is_float32_exact, is_float64_exact

    if net.has_skips:
        raise ExportError("the .npz format holds plain MLPs only; this network has skip connections")
    check = is_float64_exact if dtype == "float64" else is_float32_exact
    out: dict[str, np.ndarray] = {}
    for k, layer in enumerate(net.layers):
        w = layer.inputs[0][1]
        for row in w:
            for v in row:
                if not check(v):
                    raise ExportError(f"layer {k + 1}: weight {v} is not exactly representable in {dtype}")
        for v in layer.bias:
            if not check(v):
                raise ExportError(f"layer {k + 1}: bias {v} is not exactly representable in {dtype}")
        out[f"W{k}"] = np.array([[float(v) for v in row] for row in w], dtype=dtype)
        out[f"b{k}"] = np.array([float(v) for v in layer.bias], dtype=dtype)
    out["activations"] = np.array([layer.activation.value for layer in net.layers])
    np.savez(Path(path), **out)


from ..model.evaluation import evaluate  # noqa: E402  (doctests)
