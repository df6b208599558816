"""``exactrelu info MODEL [--json]``: describe a model (inputs, outputs, layers, skips, bit sizes).

Exit status: 0, or 2 when the model cannot be read.
"""

from __future__ import annotations

import argparse
import json

from ..errors import ExitCode
from .common import load_model_arg

__all__ = ["register", "cmd_info"]


def cmd_info(args: argparse.Namespace) -> int:
    """Print the description of ``args.model`` (a table, or one JSON object with ``--json``)."""
    net = load_model_arg(args.model)
    d = net.describe()
    if args.json:
        print(json.dumps(d, indent=1))
        return ExitCode.OK
    print(f"model      {args.model}")
    print(f"inputs     {d['inputs']}")
    print(f"outputs    {d['outputs']}")
    print(f"ReLU units {d['relu_units']} in {len(d['relu_layers'])} ReLU layers {d['relu_layers']}")
    print(f"skips      {'yes' if d['has_skips'] else 'no'}")
    print(f"bits       numerators <= {d['max_numerator_bits']}, denominators <= {d['max_denominator_bits']}")
    print("layers:")
    for l in d["layers"]:
        src = ",".join(str(s) for s in l["sources"])
        print(f"  {l['layer']:3d}  width {l['width']:4d}  {l['activation']:8s}  from {src}{'  (skip)' if l['skip'] else ''}")
    return ExitCode.OK


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``info`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("info", help="describe a model: inputs, outputs, layers, skips, bit sizes")
    s.add_argument("model")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_info)
