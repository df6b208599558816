"""Load and save networks by file format.

:func:`load_model` picks the reader from ``fmt`` if given, else from the extension, else
from the file's first bytes:

==========================  ===========================================================
``.json``                   exactrelu's native exact JSON (:mod:`~exactrelu.io.native_json`)
``.onnx``, ``.onnx.gz``     ONNX (:func:`~exactrelu.io.onnx_io.load_onnx`)
``.nnet``                   ACAS Xu text format (:func:`~exactrelu.io.nnet.load_nnet`)
``.npz``                    numpy ``W0, b0, ...`` (:func:`~exactrelu.io.numpy_io.load_npz`)
``.pt``, ``.pth``, ``.pkl``  refused: :class:`~exactrelu.errors.UnsafeFileError`
==========================  ===========================================================

Pickle-based files are never opened with a deserialiser: loading a pickle can run
arbitrary code.  A file whose first bytes are a pickle header (``0x80`` then protocol
2..5) is refused whatever its name.  Export PyTorch models to ONNX, or convert them in
Python with :func:`~exactrelu.io.torch_io.from_torch`.

Examples
--------
>>> import tempfile, os
>>> from exactrelu.network import mlp
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
from ..network import Network

__all__ = ["load_model", "save_model", "detect_format", "FORMATS"]

FORMATS = ("json", "onnx", "nnet", "npz")
_PICKLE_EXT = (".pt", ".pth", ".pkl", ".pickle", ".ckpt", ".joblib")
_UNSAFE_HINT = ("refusing to unpickle it (loading a pickle can run arbitrary code); export the model "
                "to ONNX (torch.onnx.export) or convert it in Python with exactrelu.io.from_torch")


def _is_pickle(head: bytes) -> bool:
    return len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5


def _check_safe(path: "str | Path") -> tuple[Path, bytes]:
    """Refuse missing files, directories and pickle-based files; return the first bytes."""
    p = Path(path)
    if not p.exists():
        raise ModelFormatError(f"{p}: no such file")
    if p.is_dir():
        raise ModelFormatError(f"{p}: is a directory, not a model file")
    try:
        with open(p, "rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise ModelFormatError(f"{p}: cannot read: {exc.strerror or exc}") from None
    name = p.name.lower()
    if _is_pickle(head):
        raise UnsafeFileError(f"{p}: is a Python pickle; {_UNSAFE_HINT}")
    if name.endswith(_PICKLE_EXT):
        raise UnsafeFileError(f"{p}: {p.suffix} files are pickle-based (PyTorch checkpoints); {_UNSAFE_HINT}")
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(p) as zf:
                members = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            members = []
        if any(m.endswith(".pkl") for m in members):
            raise UnsafeFileError(f"{p}: is a PyTorch checkpoint (a zip with a pickle inside); {_UNSAFE_HINT}")
    return p, head


def detect_format(path: "str | Path") -> str:
    """Format name of ``path`` (``"json"``, ``"onnx"``, ``"nnet"``, ``"npz"``).

    Raises :class:`ModelFormatError` for missing/unknown files and
    :class:`UnsafeFileError` for pickle-based ones.
    """
    p, head = _check_safe(path)
    name = p.name.lower()
    if name.endswith(".json"):
        return "json"
    if name.endswith(".onnx") or name.endswith(".onnx.gz"):
        return "onnx"
    if name.endswith(".nnet"):
        return "nnet"
    if name.endswith(".npz"):
        return "npz"
    # sniff the content
    if head.startswith(b"PK"):
        return "npz"
    if head.startswith(b"\x1f\x8b"):
        return "onnx"
    text = head.lstrip()
    if text.startswith(b"{"):
        return "json"
    if text.startswith(b"//"):
        return "nnet"
    try:
        import onnx

        model = onnx.load_model_from_string(p.read_bytes())
        if model.HasField("graph") and len(model.graph.node) > 0:
            return "onnx"
    except Exception:
        pass
    raise ModelFormatError(f"{p}: unknown model format (expected .json, .onnx, .onnx.gz, .nnet or .npz)")


def load_model(path: "str | Path", fmt: str | None = None, **options: Any) -> Network:
    """Load a network from ``path``.

    Parameters
    ----------
    path : str or Path
    fmt : {"json", "onnx", "nnet", "npz"}, optional
        Force a format instead of detecting it (pickle files are refused regardless).
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
        fmt = detect_format(path)
    else:
        _check_safe(path)
    fmt = fmt.lower().lstrip(".")
    if fmt == "json":
        from .native_json import load_json

        if options:
            raise ModelFormatError(f"the JSON reader takes no options, got {sorted(options)}")
        return load_json(path)
    if fmt in ("onnx", "onnx.gz"):
        from .onnx_io import load_onnx

        return load_onnx(path, **options)
    if fmt == "nnet":
        from .nnet import load_nnet

        return load_nnet(path, **options)
    if fmt == "npz":
        from .numpy_io import load_npz

        if options:
            raise ModelFormatError(f"the .npz reader takes no options, got {sorted(options)}")
        return load_npz(path)
    raise ModelFormatError(f"unknown model format {fmt!r} (expected one of {', '.join(FORMATS)})")


def save_model(net: Network, path: "str | Path", fmt: str | None = None, **options: Any) -> Any:
    """Save ``net`` by extension: ``.json`` (exact, native) or ``.onnx`` / ``.onnx.gz``.

    ONNX options (``dtype``, ``approximate``, ``dynamic_batch``) are passed on; the
    return value is then the largest change made (see :func:`~exactrelu.io.onnx_io.export_onnx`).
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
        from .onnx_io import export_onnx

        return export_onnx(net, path, **options)
    if fmt == "npz":
        from .numpy_io import save_npz

        return save_npz(net, path, **options)
    raise ExportError(f"unknown export format {fmt!r} (expected json, onnx or npz)")
