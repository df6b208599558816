"""Load and save networks by file format.

:func:`load_model` picks the reader from ``fmt`` if given, else from the extension, else
from the file's first bytes:

==========================  ===========================================================
``.json``, ``.json.gz``     exactrelu's native exact JSON (:mod:`~exactrelu.io.native_json`)
``.onnx``, ``.onnx.gz``     ONNX (:func:`~exactrelu.io.onnx.onnx_io.load_onnx`)
``.nnet``, ``.nnet.gz``     ACAS Xu text format (:func:`~exactrelu.io.nnet.load_nnet`)
``.npz``                    numpy ``W0, b0, ...`` (:func:`~exactrelu.io.numpy_io.load_npz`)
``.pt``, ``.pth``, ``.pkl``  refused: :class:`~exactrelu.errors.UnsafeFileError`
==========================  ===========================================================

Pickle-based files are never opened with a deserialiser: loading a pickle can run
arbitrary code.  A file whose first bytes are a pickle header (``0x80`` then protocol
2..5) is refused whatever its name.  Export PyTorch models to ONNX, or convert them in
Python with :func:`~exactrelu.io.torch_io.from_torch`.

A model path must name a regular file (not a directory, pipe or device) of at most
:func:`~exactrelu.limits.max_model_bytes` (2 GiB by default, ``EXACTRELU_MAX_MODEL_BYTES``
or ``max_bytes=``); a gzip stream is bounded by the same limit when decompressed.

Examples
--------
>>> import tempfile, os
>>> from exactrelu.model.network import mlp
>>> net = mlp(1, [([["1/3"]], [1])])
>>> with tempfile.TemporaryDirectory() as d:
...     save_model(net, os.path.join(d, "n.json"))
...     load_model(os.path.join(d, "n.json")) == net
True
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

from ..errors import ExportError, ModelFormatError, UnsafeFileError
from ..model.network import Network

__all__ = ["load_model", "save_model", "detect_format", "FORMATS"]

FORMATS = ("json", "onnx", "nnet", "npz")
_PICKLE_EXT = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
_UNSAFE_HINT = ("refusing to unpickle it (loading a pickle can run arbitrary code); export the model "
                "to ONNX (torch.onnx.export) or convert it in Python with exactrelu.io.from_torch")


def _is_pickle(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _check_safe(path: "str | Path", max_bytes: int | None = None) -> tuple[Path, bytes]:
    """Refuse missing files, directories, non-regular files, files over the size limit and
    pickle-based files; return the first bytes."""
    from ..limits import ENV_MODEL_BYTES, format_bytes, max_model_bytes
    from .files import regular_file

    p = regular_file(path, ModelFormatError)
    limit = max_model_bytes() if max_bytes is None else max_bytes
    try:
        size = p.stat().st_size
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ModelFormatError(f"cannot read {p}: {exc.strerror or exc}") from None
    if size > limit:
        raise ModelFormatError(f"{p}: the file is larger than the limit of {format_bytes(limit)} "
                               f"(set {ENV_MODEL_BYTES} to a larger number of bytes to read it)")
    name = p.name.lower()
    if _is_pickle(head):
        raise UnsafeFileError(f"{p}: is a Python pickle; {_UNSAFE_HINT}")
    if name.endswith(_PICKLE_EXT):
        raise UnsafeFileError(f"{p}: {p.suffix} files are pickle-based (PyTorch checkpoints); {_UNSAFE_HINT}")
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(p) as zf:
                members = zf.namelist()
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError):
            members = []
        if any(m.endswith(".pkl") for m in members):
            raise UnsafeFileError(f"{p}: is a PyTorch checkpoint (a zip with a pickle inside); {_UNSAFE_HINT}")
    return p, head


def _gunzip_head(head: bytes) -> bytes:
    """The first decompressed bytes of a gzip stream's first 4 KB (b"" if unreadable)."""
    import zlib

    try:
        return zlib.decompressobj(31).decompress(head, 512)
    except zlib.error:
        return b""


def detect_format(path: "str | Path", max_bytes: int | None = None) -> str:
    """Format name of ``path`` (``"json"``, ``"onnx"``, ``"nnet"``, ``"npz"``).

    Raises :class:`ModelFormatError` for missing/unknown/too large files and
    :class:`UnsafeFileError` for pickle-based ones.
    """
    p, head = _check_safe(path, max_bytes)
    name = p.name.lower()
    if name.endswith(".json") or name.endswith(".json.gz"):
        return "json"
    if name.endswith(".onnx") or name.endswith(".onnx.gz"):
        return "onnx"
    if name.endswith(".nnet") or name.endswith(".nnet.gz"):
        return "nnet"
    if name.endswith(".npz"):
        return "npz"
    # sniff the content
    if head.startswith(b"PK"):
        return "npz"
    if head.startswith(b"\x1f\x8b"):
        inner = _gunzip_head(head).lstrip()
        if inner.startswith(b"{"):
            return "json"
        if inner.startswith(b"//"):
            return "nnet"
        return "onnx"
    text = head.lstrip()
    if text.startswith(b"{"):
        return "json"
    if text.startswith(b"//"):
        return "nnet"
    from ..limits import max_model_bytes
    from .files import read_bytes

    limit = max_model_bytes() if max_bytes is None else max_bytes
    try:
        import onnx

        model = onnx.load_model_from_string(read_bytes(p, ModelFormatError, limit=limit))
        if model.HasField("graph") and len(model.graph.node) > 0:
            return "onnx"
    except Exception:
        pass
    raise ModelFormatError(f"{p}: unknown model format (expected .json, .onnx, .onnx.gz, .nnet or .npz)")


def load_model(path: "str | Path", fmt: str | None = None, *, max_bytes: int | None = None,
               **options: Any) -> Network:
    """Load a network from ``path``.

    Parameters
    ----------
    path : str or Path
    fmt : {"json", "onnx", "nnet", "npz"}, optional
        Force a format instead of detecting it (pickle files are refused regardless).
    max_bytes : int, optional
        Largest file (and decompressed gzip content, for JSON and ``.nnet``; total array
        size for ``.npz``) read; default :func:`~exactrelu.limits.max_model_bytes`.
    **options
        Passed to the format's reader (e.g. ``approximate_bn=True`` for ONNX,
        ``input_normalization="none"`` for ``.nnet``).

    Raises
    ------
    ModelFormatError
        Missing file, unknown or malformed format (one-line message).
    UnsafeFileError
        Pickle-based files (``.pt``, ``.pth``, pickles).
    """
    if fmt is None:
        fmt = detect_format(path, max_bytes)
    else:
        _check_safe(path, max_bytes)
    fmt = str(fmt).lower().lstrip(".")
    if fmt == "json":
        from .native_json import load_json

        if options:
            raise ModelFormatError(f"the JSON reader takes no options, got {sorted(options)}")
        return load_json(path, max_bytes=max_bytes)
    if fmt in ("onnx", "onnx.gz"):
        from .onnx.onnx_io import load_onnx

        return load_onnx(path, **options)
    if fmt == "nnet":
        from .nnet import read_nnet

        bad = sorted(set(options) - {"input_normalization", "scale_outputs"})
        if bad:
            raise ModelFormatError(f"the .nnet reader takes input_normalization and scale_outputs, got {bad}")
        return read_nnet(path, max_bytes=max_bytes).to_network(**options)
    if fmt == "npz":
        from .numpy_io import load_npz

        if options:
            raise ModelFormatError(f"the .npz reader takes no options, got {sorted(options)}")
        return load_npz(path, max_bytes=max_bytes)
    raise ModelFormatError(f"unknown model format {fmt[:40]!r} (expected one of {', '.join(FORMATS)})")


def save_model(net: Network, path: "str | Path", fmt: str | None = None, **options: Any) -> Any:
    """Save ``net`` by extension: ``.json`` (exact, native) or ``.onnx`` / ``.onnx.gz``.

    ONNX options (``dtype``, ``approximate``, ``dynamic_batch``) are passed on; the
    return value is then the largest change made (see :func:`~exactrelu.io.onnx.onnx_io.export_onnx`).
    """
    name = str(path).lower()
    if fmt is None:
        if name.endswith(".json"):
            fmt = "json"
        elif name.endswith(".onnx") or name.endswith(".onnx.gz"):
            fmt = "onnx"
        elif name.endswith(".npz"):
            fmt = "npz"
        else:
            raise ExportError(f"{path}: cannot tell the format from the extension (use .json, .onnx or .npz)")
    if fmt == "json":
        from .native_json import save_json

        if options:
            raise ExportError(f"the JSON writer takes no options, got {sorted(options)}")
        try:
            save_json(net, path)
        except OSError as exc:
            raise ExportError(f"{path}: cannot write: {exc.strerror or exc}") from None
        return None
    if fmt == "onnx":
        from .onnx.onnx_io import export_onnx

        return export_onnx(net, path, **options)
    if fmt == "npz":
        from .numpy_io import save_npz

        return save_npz(net, path, **options)
    raise ExportError(f"unknown export format {fmt!r} (expected json, onnx or npz)")
