"""``exactrelu crosscheck`` and ``exactrelu recheck`` (registered by :mod:`exactrelu.cli.app`).

``crosscheck MODEL (--box ... | --domain FILE | --vnnlib PROP) [--backend B] [--points N]
[--seed S] [--strategies LIST] [--time-limit S] [--decision argmax|argmin] [--json]
[--report out.html|out.png] [--baseline] [--fail-on-flip]``
    Runs the float implementation and the exact network on the same (float-representable)
    inputs found by search near region boundaries, and reports exact errors and flips.
    Exit 0 when it ran (flips or not), 1 with ``--fail-on-flip`` when a pattern or decision
    flip was found, 2 on unusable input (bad model, domain, property, backend not installed).

``recheck MODEL PROP.vnnlib CEX.txt [--json]``
    Re-checks a float verifier's counterexample exactly. Exit 0 if it is a real
    counterexample, 1 if not, 2 if the file is unusable (malformed, NaN/inf, wrong size).
"""

from __future__ import annotations

import argparse
import json

from ..errors import DomainError, ExitCode, ModelError
from .common import NONNEG, POSITIVE, SECONDS, load_model_arg

__all__ = ["register", "cmd_crosscheck", "cmd_recheck"]


def _check_float_range(net) -> None:
    """crosscheck runs float implementations: every weight and bias must be a finite float64."""
    from ..limits import MAX_DOMAIN_COORDINATE as FLOAT64_MAX

    for k, layer in enumerate(net.layers, start=1):
        for v in [v for _, w in layer.inputs for row in w for v in row] + list(layer.bias):
            if abs(v) > FLOAT64_MAX:
                raise ModelError(f"layer {k} has a weight or bias beyond the float64 range (|v| <= 1.8e308): "
                                 "no float implementation of this network exists to cross-check")


def cmd_crosscheck(args: argparse.Namespace) -> int:
    """Run the cross-check; print its table (or JSON) and write ``--report``."""
    from ..crosscheck.crosscheck import STRATEGIES, crosscheck
    from ..domain.polytope import load_domain, parse_box

    net = load_model_arg(args.model)
    _check_float_range(net)
    given = [f"--{o}" for o in ("box", "domain", "vnnlib") if getattr(args, o)]
    if len(given) > 1:
        raise DomainError(f"give one of --box, --domain and --vnnlib, not {' and '.join(given)}")
    prop = None
    domain = None
    if args.vnnlib:
        from ..domain.vnnlib import load_vnnlib

        prop = load_vnnlib(args.vnnlib, n_inputs=net.n_inputs, n_outputs=net.n_outputs)
    elif args.domain:
        domain = load_domain(args.domain)
    elif args.box:
        domain = parse_box(args.box, n_inputs=net.n_inputs)
    else:
        raise DomainError("a domain is needed: --box=lo:hi (every input), --box=lo:hi,lo:hi,..., "
                             "--domain FILE or --vnnlib PROP")
    strategies = tuple(s.strip() for s in args.strategies.split(",") if s.strip()) if args.strategies else STRATEGIES
    common = dict(backend=args.backend, points=args.points, seed=args.seed, time_limit=args.time_limit, prop=prop,
                  decision=args.decision, max_regions=args.max_regions, region_time=args.region_time,
                  max_kept=args.keep, model_path=args.model)
    rep = crosscheck(net, domain, strategies=strategies, **common)
    base = None
    if args.baseline:
        base = crosscheck(net, domain, strategies=("random",), **common)
    if args.report:
        from ..crosscheck.report import write_report

        write_report(rep, args.report, baseline=base)
    if args.json:
        out = rep.to_dict()
        if base is not None:
            out["baseline_random"] = {k: v for k, v in base.to_dict().items()
                                      if k in ("points_tried", "seconds", "max_abs_error", "n_pattern_flips",
                                               "n_decision_flips", "n_verdict_flips")}
        print(json.dumps(out))
    else:
        from ..crosscheck.report import format_table

        print(format_table(rep))
        if base is not None:
            print("")
            print(f"random sampling alone, same budget ({base.points_tried} points): "
                  f"{base.n_pattern_flips} pattern flips, {base.n_decision_flips} decision flips "
                  f"(search: {rep.n_pattern_flips}, {rep.n_decision_flips})")
        if args.report:
            print(f"report written to {args.report}")
    if args.fail_on_flip and (rep.n_pattern_flips or rep.n_decision_flips):
        return ExitCode.INVALID
    return ExitCode.OK


def cmd_recheck(args: argparse.Namespace) -> int:
    """Re-check a counterexample file exactly; exit 0 when it is a real counterexample."""
    from ..crosscheck.crosscheck import recheck_counterexample
    from ..domain.vnnlib import load_vnnlib

    net = load_model_arg(args.model)
    prop = load_vnnlib(args.property, n_inputs=net.n_inputs, n_outputs=net.n_outputs)
    res = recheck_counterexample(net, prop, args.counterexample)
    if args.json:
        print(json.dumps(res.to_dict()))
    else:
        print(res.summary())
    return ExitCode.OK if res.is_counterexample else ExitCode.INVALID


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``crosscheck`` and ``recheck`` subcommands to an argparse subparsers object."""
    s = sub.add_parser(
        "crosscheck",
        help="compare a float implementation with the exact network (errors, pattern and decision flips)",
        description="Evaluate a float implementation and the exact network on the same float-representable "
                    "inputs, found by search near region boundaries and output ties. Exit 0 when it ran, "
                    "1 with --fail-on-flip if a flip was found, 2 on unusable input.")
    s.add_argument("model")
    s.add_argument("--box", help="-1:1 for every input, or lo:hi,lo:hi,... per input (p/q and decimals exact)")
    s.add_argument("--domain", help="JSON H-polytope file {\"A\": [[...]], \"b\": [...]}")
    s.add_argument("--vnnlib", help="VNN-LIB property: its input region(s), and its output constraints as the decision")
    s.add_argument("--backend", default="numpy32", help="numpy32 (default), numpy64, onnxruntime, torch")
    s.add_argument("--points", type=POSITIVE, default=2000, help="inputs to evaluate in total (default 2000)")
    s.add_argument("--seed", type=NONNEG, default=0)
    s.add_argument("--strategies", default=None, help="comma-separated subset of random,vertices,facets,ties")
    s.add_argument("--time-limit", type=SECONDS, default=None, help="seconds for the whole run")
    s.add_argument("--decision", default="argmax", choices=["argmax", "argmin"],
                   help="decision rule without --vnnlib (default argmax)")
    s.add_argument("--max-regions", type=POSITIVE, default=2000, help="region budget of the structural strategies")
    s.add_argument("--region-time", type=SECONDS, default=None, help="seconds for region enumeration")
    s.add_argument("--keep", type=NONNEG, default=100, help="flips kept with full detail, per kind (default 100)")
    s.add_argument("--json", action="store_true", help="print one JSON object")
    s.add_argument("--report", help="write a report: .html (tables + plot for 2 inputs) or .png (plot)")
    s.add_argument("--baseline", action="store_true",
                   help="also run random sampling alone with the same budget and report both")
    s.add_argument("--fail-on-flip", action="store_true", help="exit 1 if a pattern or decision flip was found")
    s.set_defaults(func=cmd_crosscheck)

    s = sub.add_parser(
        "recheck",
        help="re-check a float verifier's counterexample exactly (exit 0 real, 1 not, 2 unusable)",
        description="Read a VNN-COMP counterexample file ((X_0 v) ... (Y_0 v) ...), decide exactly whether "
                    "it lies in the property's input region and violates the property, and whether its "
                    "claimed outputs are the exact ones. Exit 0 real counterexample, 1 not, 2 unusable input.")
    s.add_argument("model")
    s.add_argument("property", help="VNN-LIB file (.vnnlib or .vnnlib.gz)")
    s.add_argument("counterexample", help="counterexample file (VNN-COMP format, optionally starting with 'sat')")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_recheck)
