"""Exact ONNX import and export; the public names are in :mod:`.onnx_io` (see its docstring for
what the loader models and refuses, and for the module layout)."""
