"""Reading and writing networks: native JSON, ONNX, ACAS Xu ``.nnet``, numpy, PyTorch.

Every loader converts weights exactly (floats are dyadic rationals, decimal text parses
exactly).  :func:`load_model` / :func:`save_model` dispatch by file extension and refuse
pickle-based files.  PyTorch is optional and imported only by :func:`from_torch`.
"""

from __future__ import annotations

from .loader import detect_format, load_model, save_model
from .native_json import load_json, save_json
from .nnet import load_nnet, load_nnet_with_domain
from .numpy_io import from_numpy, load_npz
from .onnx.onnx_io import export_onnx, import_onnx, load_onnx, network_to_onnx
from .torch_io import from_torch

__all__ = [
    "load_model",
    "save_model",
    "detect_format",
    "load_json",
    "save_json",
    "load_onnx",
    "import_onnx",
    "export_onnx",
    "network_to_onnx",
    "load_nnet",
    "load_nnet_with_domain",
    "from_numpy",
    "load_npz",
    "from_torch",
]
