"""Builders for hostile inputs shared by the ``cases_*.py`` files (not a case file itself).

Everything here is deterministic: the same bytes on every run.
"""

from __future__ import annotations

import copy
import gzip
import io
import json
import os
import pickle
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

MARKER = "UNPICKLED_MARKER"  # created in the case's directory if anything ever unpickles our payload


def net_dict() -> dict:
    """A valid native network: 2 inputs, 2 ReLU units, 1 output (|x0 - x1| + x0 + x1 ...)."""
    return {
        "format": "exactrelu-network", "version": 1, "inputs": 2,
        "layers": [
            {"activation": "relu", "bias": ["0", "1/2"],
             "inputs": [{"source": 0, "weight": [["1", "-1"], ["1/3", "1"]]}]},
            {"activation": "identity", "bias": ["0"],
             "inputs": [{"source": 1, "weight": [["1", "1"]]}]},
        ],
    }


def net_json(mutate: Callable[[dict], Any] | None = None) -> str:
    """The JSON text of :func:`net_dict` after ``mutate(d)`` (which edits ``d`` in place, or
    returns a replacement object)."""
    d = net_dict()
    if mutate is not None:
        out = mutate(d)
        if out is not None:
            d = out
    return json.dumps(d)


def net_text_with(old: str, new: str) -> str:
    """The valid network's JSON text with the first ``old`` replaced by raw text ``new``
    (for what ``json.dumps`` cannot write: NaN literals, huge integers, duplicate keys)."""
    text = net_json()
    assert old in text, old
    return text.replace(old, new, 1)


def setp(path: tuple, value: Any) -> Callable[[dict], None]:
    """A mutation setting ``d[path[0]][path[1]]... = value``."""
    def mutate(d: dict) -> None:
        obj = d
        for key in path[:-1]:
            obj = obj[key]
        obj[path[-1]] = copy.deepcopy(value)
    return mutate


def delp(path: tuple) -> Callable[[dict], None]:
    def mutate(d: dict) -> None:
        obj = d
        for key in path[:-1]:
            obj = obj[key]
        del obj[path[-1]]
    return mutate


NNET_OK = """// tiny
2,1,1,2,
1,2,1,
0,
-1,
1,
0.5,0,
2,10,
1,
-1,
0,
0,
1,1,
0.1,
"""


def nnet_with(old: str, new: str, count: int = 1) -> str:
    assert old in NNET_OK, old
    return NNET_OK.replace(old, new, count)


def npz_bytes(compressed: bool = False, **arrays: Any) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def npz_ok(**overrides: Any) -> dict:
    arrays = {"W0": np.array([[1.0, -1.0], [0.5, 1.0]]), "b0": np.array([0.0, 0.5]),
              "W1": np.array([[1.0, 1.0]]), "b1": np.array([0.0])}
    arrays.update(overrides)
    return arrays


class Payload:
    """Unpickling this runs ``open(MARKER, "w")`` in the current directory."""

    def __reduce__(self):
        return (open, (MARKER, "w"))


def evil_pickle(protocol: int = 4) -> bytes:
    return pickle.dumps(Payload(), protocol=protocol)


def npz_with_object_array() -> bytes:
    """An .npz whose W0 is an object array holding :class:`Payload` (np.load(allow_pickle=True) would run it)."""
    buf = io.BytesIO()
    np.savez(buf, W0=np.array([[Payload()]], dtype=object), b0=np.zeros(1))
    return buf.getvalue()


def torch_like_zip() -> bytes:
    """A zip laid out like a PyTorch checkpoint (archive/data.pkl holding the payload)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("archive/data.pkl", evil_pickle(2))
        zf.writestr("archive/version", "3\n")
    return buf.getvalue()


def npz_forged_shape(shape: tuple[int, ...], dtype: str = "<f8", payload: bytes = b"\x00" * 8) -> bytes:
    """An .npz whose W0 header declares ``shape`` but stores only ``payload``."""
    header = {"descr": dtype, "fortran_order": False, "shape": shape}
    npy = io.BytesIO()
    np.lib.format.write_array_header_1_0(npy, header)
    npy.write(payload)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("W0.npy", npy.getvalue())
        b = io.BytesIO()
        np.save(b, np.zeros(1))
        zf.writestr("b0.npy", b.getvalue())
    return buf.getvalue()


def npz_bomb(uncompressed: int) -> bytes:
    """A compressed .npz whose W0 (zeros) is ``uncompressed`` bytes once inflated."""
    n = uncompressed // 8
    return npz_bytes(compressed=True, W0=np.zeros((1, n)), b0=np.zeros(1))


def gzip_bomb(uncompressed: int, fill: bytes = b" ") -> bytes:
    """A gzip stream inflating to ``uncompressed`` bytes of ``fill`` (several members, built
    without ever holding the inflated data)."""
    chunk = 1 << 20
    member = gzip.compress(fill * chunk, compresslevel=9)
    count, rest = divmod(uncompressed, chunk)
    return member * count + (gzip.compress(fill * rest) if rest else b"")


def deep(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def flip(text: str, index: int, new: str) -> str:
    """``text`` with the character at ``index`` replaced (a deterministic 'bit flip')."""
    return text[:index] + new + text[index + 1:]


def fifo(name: str) -> Callable[[Path], None]:
    def make(where: Path) -> None:
        os.mkfifo(where / name)
    return make


def directory(name: str) -> Callable[[Path], None]:
    def make(where: Path) -> None:
        (where / name).mkdir()
    return make


def symlink_to_nowhere(name: str) -> Callable[[Path], None]:
    def make(where: Path) -> None:
        os.symlink(where / "nowhere-at-all", where / name)
    return make


def never_unpickled(load: Callable[[dict], Any]) -> Callable[[dict], Any]:
    """An ``api`` for :class:`~hostile.case.Case`: ``load(paths)`` must raise, and neither it
    nor the CLI run before it may have unpickled the payload (the marker file would exist)."""
    def api(paths: dict) -> Any:
        try:
            return load(paths)
        finally:
            if Path(MARKER).exists():
                raise AssertionError("the payload was UNPICKLED: a loader ran pickle on untrusted data")
    return api
