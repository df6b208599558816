"""Spatial geometry shared by ``Conv`` and the pools: output sizes, padding, windows.
"""

from __future__ import annotations

import itertools
from typing import Sequence

from ...errors import ModelFormatError, ShapeError
from .tensors import MAX_TENSOR_ELEMENTS
from .forms import check_size

__all__ = ["geometry", "windows"]


def geometry(in_sp: Sequence[int], kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int] | None,
              dilations: Sequence[int], auto_pad: str, ceil_mode: bool) -> tuple[list[int], list[int], list[int]]:
    """Output spatial size and begin/end pads (ONNX rules)."""
    nd = len(in_sp)
    eff = [(kernel[d] - 1) * dilations[d] + 1 for d in range(nd)]
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        out = [-(-in_sp[d] // strides[d]) for d in range(nd)]
        pb, pe = [], []
        for d in range(nd):
            total = max(0, (out[d] - 1) * strides[d] + eff[d] - in_sp[d])
            small, big = total // 2, total - total // 2
            if auto_pad == "SAME_UPPER":
                pb.append(small)
                pe.append(big)
            else:
                pb.append(big)
                pe.append(small)
        return out, pb, pe
    if auto_pad == "VALID":
        pb = [0] * nd
        pe = [0] * nd
    elif auto_pad == "NOTSET":
        p = list(pads) if pads is not None else [0] * (2 * nd)
        if len(p) != 2 * nd:
            raise ShapeError(f"pads has {len(p)} entries, expected {2 * nd} (begin and end of {nd} spatial axes)")
        if any(v < 0 for v in p):
            raise ShapeError(f"pads {p} has a negative entry")
        pb, pe = p[:nd], p[nd:]
    else:
        raise ModelFormatError(f"unknown auto_pad {auto_pad!r} (expected NOTSET, SAME_UPPER, SAME_LOWER or VALID)")
    out = []
    for d in range(nd):
        span = in_sp[d] + pb[d] + pe[d] - eff[d]
        if span < 0:
            raise ShapeError(f"kernel {kernel[d]} (dilation {dilations[d]}) larger than padded input {in_sp[d] + pb[d] + pe[d]}")
        if ceil_mode:
            o = -(-span // strides[d]) + 1
            if (o - 1) * strides[d] >= in_sp[d] + pb[d]:
                o -= 1  # a window that would start in the end padding is dropped
        else:
            o = span // strides[d] + 1
        out.append(o)
    return out, pb, pe


def windows(in_sp: Sequence[int], kernel: Sequence[int], strides: Sequence[int], pb: Sequence[int],
             pe: Sequence[int], dilations: Sequence[int], out_sp: Sequence[int]):
    """For each output position: list of (kernel offset, input position) inside the input,
    and the number of kernel positions inside the padded input."""
    nd = len(in_sp)
    n_out = check_size(out_sp, "the output of a window operator")
    n_k = check_size(kernel, "a window")
    if n_out * n_k > MAX_TENSOR_ELEMENTS:
        raise ModelFormatError(f"{n_out} windows of {n_k} positions exceed the limit {MAX_TENSOR_ELEMENTS:,}")
    offsets = list(itertools.product(*[range(k) for k in kernel]))
    result = []
    for opos in itertools.product(*[range(o) for o in out_sp]):
        valid = []
        in_padded = 0
        for ko in offsets:
            ipos = tuple(opos[d] * strides[d] - pb[d] + ko[d] * dilations[d] for d in range(nd))
            if all(-pb[d] <= ipos[d] < in_sp[d] + pe[d] for d in range(nd)):
                in_padded += 1
            if all(0 <= ipos[d] < in_sp[d] for d in range(nd)):
                valid.append((ko, ipos))
        result.append((opos, valid, in_padded))
    return result
