"""``exactrelu eval MODEL --point=P [--float] [--json]``: the exact outputs at a rational point.

Exit status: 0, or 2 when the model or the point is unusable.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

from ..errors import ExitCode, NumberError, PointError
from .common import load_model_arg

__all__ = ["register", "cmd_eval"]


def cmd_eval(args: argparse.Namespace) -> int:
    """Print the exact outputs (and the float64 ones with ``--float``) at ``args.point``."""
    from ..model.evaluation import activation_pattern, evaluate, evaluate_float
    from ..numbers.rationals import format_vector, parse_rational_list, to_float

    net = load_model_arg(args.model)
    try:
        x = parse_rational_list(args.point)
    except NumberError as exc:
        raise PointError(f"--point: {exc}") from None
    if len(x) != net.n_inputs:
        raise PointError(f"--point has {len(x)} coordinates, the network has {net.n_inputs} inputs")
    y = evaluate(net, x)
    pat = activation_pattern(net, x, ties="mark")
    fl = None
    if args.float:
        import warnings

        import numpy as np

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            fl = [float(v) for v in evaluate_float(net, [[to_float(v) for v in x]])[0]]  # overflow: inf
    if args.json:
        out: dict[str, Any] = {"input": format_vector(x), "output": format_vector(y), "pattern": pat}
        if fl is not None:
            out["float64"] = [v if math.isfinite(v) else repr(v) for v in fl]
        print(json.dumps(out))
    else:
        print(" ".join(format_vector(y)))
        if fl is not None:
            print("float64:", " ".join(repr(v) for v in fl))
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``eval`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("eval", help="exact outputs at a rational point")
    s.add_argument("model")
    s.add_argument("--point", required=True, help="comma-separated: -1/2,3/4,0.1 (decimals are exact)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--float", action="store_true", help="also print the float64 evaluation")
    s.set_defaults(func=cmd_eval)
