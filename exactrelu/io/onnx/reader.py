"""The public ONNX import API: bounded reading (gzip, external data), the ONNX checker, and
:func:`import_onnx` / :func:`load_onnx` / :func:`onnx_to_network`.

See :mod:`exactrelu.io.onnx.onnx_io` for what the loader accepts and refuses.
"""

from __future__ import annotations

import gzip
import io
import os
import warnings
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Sequence


from ...errors import ModelError, ModelFormatError
from ...model.network import Network
from .tensors import ITEM_SIZE, MAX_MODEL_BYTES, T_FLOAT, ZERO, check_tensor_header, first_line
from .graph import OnnxGraph
from .executor import run_graph

__all__ = ["GZIP_MAGIC", "OnnxImport", "all_tensor_protos", "gunzip_bounded", "import_onnx",
           "load_external_data", "load_onnx", "onnx_to_network", "read_onnx_model", "run_onnx_checker"]


GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class OnnxImport:
    """Result of :func:`import_onnx`: the network and facts about how it was read.

    Attributes
    ----------
    network : Network
    input_name, output_name : str
    input_shape, output_shape : tuple of int
        Shapes used (symbolic batch dimension set to 1).
    notes : list of str
        Human-readable remarks (approximations made).
    max_change : Fraction
        Exact upper bound of the largest change any approximation made to a coefficient
        (0 when the import is exact).
    input_type, output_type : int
        ONNX element types (``onnx.TensorProto.FLOAT``, ...) of the input and output.
    input_dims, output_dims : tuple of (int, str or None)
        Declared dimensions (symbolic ones by name, unset ones ``None``); ``output_dims`` is
        ``None`` when the file declares no output shape.  :func:`~exactrelu.io.onnx.export.network_to_onnx`
        with ``like=`` writes a model with the same signature.
    """

    network: Network
    input_name: str
    output_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    notes: list[str] = field(default_factory=list)
    max_change: Fraction = ZERO
    input_type: int = T_FLOAT
    output_type: int = T_FLOAT
    input_dims: tuple = ()
    output_dims: tuple | None = None

    @property
    def exact(self) -> bool:
        return self.max_change == 0 and not self.notes


def gunzip_bounded(data: bytes, limit: int, where: str) -> bytes:
    """Decompress gzip data (several members allowed) of at most ``limit`` bytes.

    A first pass only counts (so a gzip bomb costs time, not memory); the second keeps
    the bytes.
    """
    chunk = 1 << 20

    def stream():
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as f:
            while True:
                block = f.read(chunk)
                if not block:
                    return
                yield block

    try:
        total = 0
        for block in stream():
            total += len(block)
            if total > limit:
                break
        else:
            return b"".join(stream())
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        raise ModelFormatError(f"{where}: corrupt or truncated gzip data ({first_line(exc)})") from None
    raise ModelFormatError(f"{where}: decompresses to more than {limit:,} bytes, the limit "
                           "(gzip bomb or too large a model)")


def read_onnx_model(source: "str | Path | bytes | Any", max_bytes: int = MAX_MODEL_BYTES) -> Any:
    """Parse an ONNX model from a path (``.onnx`` or gzip-compressed), raw bytes or a ModelProto.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
    max_bytes : int
        Largest file, or decompressed gzip content, that is read (default
        :data:`MAX_MODEL_BYTES`, 2 GiB).

    Raises
    ------
    ModelFormatError
        Missing, truncated, corrupt or too large files (one line).

    Examples
    --------
    >>> import gzip
    >>> read_onnx_model(gzip.compress(bytes(5000)), max_bytes=4096)
    Traceback (most recent call last):
    ...
    exactrelu.errors.ModelFormatError: ONNX data: decompresses to more than 4,096 bytes, the limit (gzip bomb or too large a model)
    """
    import onnx

    if isinstance(source, onnx.ModelProto):
        return source
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        where = "ONNX data"
        if len(data) > max_bytes:
            raise ModelFormatError(f"{where}: {len(data):,} bytes, more than the limit {max_bytes:,}")
    else:
        p = Path(source)
        where = str(p)
        if not p.exists():
            raise ModelFormatError(f"{p}: no such file")
        if p.is_dir():
            raise ModelFormatError(f"{p}: is a directory, not a model file")
        try:
            size = p.stat().st_size
            if size > max_bytes:
                raise ModelFormatError(f"{p}: {size:,} bytes, more than the limit {max_bytes:,}")
            data = p.read_bytes()
        except OSError as exc:
            raise ModelFormatError(f"{p}: cannot read: {exc.strerror or exc}") from None
    if data[:2] == GZIP_MAGIC:
        data = gunzip_bounded(data, max_bytes, where)
    if not data:
        raise ModelFormatError(f"{where}: empty file")
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # google.protobuf.message.DecodeError and friends
        raise ModelFormatError(f"{where}: not a valid ONNX model, truncated or corrupt ({first_line(exc)})") from None
    if not model.HasField("graph") or not model.graph.node and not model.graph.output:
        raise ModelFormatError(f"{where}: not a valid ONNX model (no graph)")
    return model


def all_tensor_protos(model: Any) -> list[tuple[Any, str]]:
    """Every TensorProto of the main graph (initializers and tensor attributes of its nodes), each
    with a description for messages."""
    out = [(t, f"initializer {t.name!r}") for t in model.graph.initializer]
    for node in model.graph.node:
        for a in node.attribute:
            if a.HasField("t"):
                out.append((a.t, f"attribute {a.name!r} of node {node.name or node.op_type!r}"))
            for t in a.tensors:
                out.append((t, f"attribute {a.name!r} of node {node.name or node.op_type!r}"))
    return out


def load_external_data(model: Any, base_dir: Path | None) -> None:
    """Inline tensors stored in external files (only for models read from a path).

    Every ``location`` must name an existing regular file inside ``base_dir`` (after
    resolving ``..`` and symbolic links), and ``offset``/``length`` must lie inside it and
    match the tensor's declared size.
    """
    from onnx import TensorProto

    external = [(t, what) for t, what in all_tensor_protos(model) if t.data_location == TensorProto.EXTERNAL]
    if not external:
        return
    if base_dir is None:
        raise ModelFormatError("the model keeps its weights in external data files; load it from its file path")
    root = base_dir.resolve()
    for t, what in external:
        info: dict[str, str] = {}
        for e in t.external_data:
            if e.key in info:
                raise ModelFormatError(f"{what}: external-data key {e.key!r} given twice")
            info[e.key] = e.value
        unknown = set(info) - {"location", "offset", "length", "checksum", "basepath"}
        if unknown:
            raise ModelFormatError(f"{what}: unknown external-data keys {sorted(unknown)}")
        loc = info.get("location", "")
        if not loc or "\x00" in loc:
            raise ModelFormatError(f"{what}: external data without a file location")
        if os.path.isabs(loc) or loc.startswith(("/", "\\")):
            raise ModelFormatError(f"{what}: external data location {loc!r} is an absolute path; it must lie "
                                   "inside the model's folder")
        target = (root / loc).resolve()
        if root not in target.parents:
            raise ModelFormatError(f"{what}: external data location {loc!r} points outside the model's folder")
        if not target.is_file():
            raise ModelFormatError(f"{what}: external data file {loc!r} is missing")
        try:
            offset = int(info.get("offset", "0"))
            length = int(info["length"]) if "length" in info else None
        except ValueError:
            raise ModelFormatError(f"{what}: external data offset/length are not integers") from None
        if t.raw_data:
            raise ModelFormatError(f"{what}: both external and inline data")
        n = check_tensor_header(t, what)
        want = n * ITEM_SIZE[int(t.data_type)]
        size = target.stat().st_size
        if offset < 0 or (length is not None and length < 0) or offset > size:
            raise ModelFormatError(f"{what}: external data offset {offset} is outside {loc!r} ({size} bytes)")
        if length is None:
            length = size - offset
        if offset + length > size:
            raise ModelFormatError(f"{what}: external data range {offset}+{length} is beyond the end of {loc!r} "
                                   f"({size} bytes)")
        if length != want:
            raise ModelFormatError(f"{what}: external data holds {length} bytes, but its dims need {want}")
        try:
            with open(target, "rb") as fh:
                fh.seek(offset)
                data = fh.read(length)
        except OSError as exc:
            raise ModelFormatError(f"{what}: cannot read external data {loc!r}: {exc.strerror or exc}") from None
        if len(data) != length:
            raise ModelFormatError(f"{what}: external data {loc!r} is shorter than declared")
        t.raw_data = data
        t.data_location = TensorProto.DEFAULT
        del t.external_data[:]


def run_onnx_checker(model: Any) -> None:
    """``onnx.checker.check_model(full_check=True)``, its refusal as a one-line
    :class:`~exactrelu.errors.ModelFormatError`."""
    import onnx

    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as exc:  # ValidationError, InferenceError, ...
        text = " ".join(str(exc).split()) or type(exc).__name__
        if len(text) > 300:
            text = text[:297] + "..."
        raise ModelFormatError(f"the ONNX checker rejects the model: {text}") from None


def import_onnx(source: "str | Path | bytes | Any", *, input_shape: Sequence[int] | None = None,
                output: str | None = None, approximate_bn: bool = False,
                bn_max_denominator: int | None = None, max_bytes: int = MAX_MODEL_BYTES) -> OnnxImport:
    """Read an ONNX model into an exact :class:`Network`, with a report.

    Parameters
    ----------
    source : path, bytes or onnx.ModelProto
        ``.onnx`` file (gzip-compressed files such as ``.onnx.gz`` are recognised by their
        magic bytes), serialized model bytes, or a parsed model (which is not modified).
    input_shape : sequence of int, optional
        Sets the input's symbolic dimensions (declared dimensions must be repeated as they are).
    output : str, optional
        Which graph output to use when there are several.
    approximate_bn : bool
        Allow BatchNormalization with irrational ``1/sqrt(var + eps)`` (rounded; see module
        docs). Default: refuse.
    bn_max_denominator : int, optional
        With ``approximate_bn``, round to the closest rational with at most this
        denominator instead of the nearest float64.
    max_bytes : int
        Largest model file or decompressed ``.onnx.gz`` content read (default 2 GiB).

    Returns
    -------
    OnnxImport

    Raises
    ------
    ModelFormatError
        Missing, truncated, corrupt or malformed file; undefined or twice-produced tensors;
        non-finite weights; an opset the loader does not know.
    UnsupportedOperatorError
        An operator, operator version, attribute or mode with no exact lowering (names the
        operator and the node, and says why).
    ShapeError
        Shapes that do not fit.
    """
    import onnx

    model = read_onnx_model(source, max_bytes=max_bytes)
    if model is source:
        model = onnx.ModelProto.FromString(model.SerializeToString())  # never modify the caller's model
    load_external_data(model, None if isinstance(source, (bytes, bytearray, memoryview)) or
                        not isinstance(source, (str, Path)) else Path(source).parent)
    if bn_max_denominator is not None and (not isinstance(bn_max_denominator, int) or bn_max_denominator < 1):
        raise ModelError("bn_max_denominator must be a positive integer")
    g = OnnxGraph(model, input_shape, output, approximate_bn, bn_max_denominator)
    props = {p.key: p.value for p in model.metadata_props}
    name = props.get("exactrelu.network_name", model.graph.name or "")
    net = run_graph(g, name if isinstance(name, str) else "")
    run_onnx_checker(model)  # last: the loader's own checks give the more precise messages
    if g.notes:
        warnings.warn("ONNX import approximated: " + "; ".join(g.notes), stacklevel=2)
    return OnnxImport(net, g.input_name, g.output_name, g.input_shape, g.output_shape, g.notes, g.max_change,
                      g.input_type, g.output_type, tuple(g.input_dims), g.output_dims)


def load_onnx(source: "str | Path | bytes | Any", **options: Any) -> Network:
    """Read an ONNX model (``.onnx`` / ``.onnx.gz`` path, bytes or ModelProto) exactly.

    Keyword options are those of :func:`import_onnx`.

    Examples
    --------
    >>> from exactrelu.model.evaluation import evaluate
    >>> import onnx
    >>> from onnx import helper, TensorProto, numpy_helper
    >>> import numpy as np
    >>> W = numpy_helper.from_array(np.array([[1.0, -1.0]], dtype=np.float32), "W")
    >>> g = helper.make_graph([helper.make_node("MatMul", ["x", "W"], ["h"]),
    ...                        helper.make_node("LeakyRelu", ["h"], ["y"], alpha=0.5)], "g",
    ...     [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1])],
    ...     [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])], initializer=[W])
    >>> net = load_onnx(helper.make_model(g).SerializeToString())
    >>> net.describe()["relu_layers"], [str(v) for v in evaluate(net, [-2])]
    ([2], ['-1', '2'])
    """
    return import_onnx(source, **options).network


def onnx_to_network(model: Any, **options: Any) -> Network:
    """Convert a parsed ``onnx.ModelProto`` (alias of :func:`load_onnx` for models in memory)."""
    return import_onnx(model, **options).network
