"""CLI command ``shallow``: exact shallow representations (registered by cli.py).

``exactrelu shallow MODEL --box=-1:1 --method lattice|weights|tropical [--out rep.json]
[--onnx rep.onnx] [--certificate cert.json] [--latex] [--json]``

``--onnx`` of an ONNX source keeps its input and output names, shapes and input element type
(:func:`~exactrelu.io.onnx.export.onnx_signature`); with ``--onnx`` (and neither ``--out`` nor
``--expand``) a weights/tropical form too large to list is written as its compact formula network.

Exit status: 0 done; 20 a limit stopped it (too many terms to list, or too many regions);
2 unusable input. A written certificate is re-checked by the independent checker before
the command reports success.
"""

from __future__ import annotations

import json
import time
from typing import Any

from .common import (NONNEG, POSITIVE, SECONDS, add_domain_args, add_progress_args,
                     domain_from_args, load_model_arg)
from ..errors import ExitCode, ModelError

__all__ = ["register", "cmd_shallow"]


def _jsonable(v: Any) -> Any:
    if isinstance(v, bool) or v is None or isinstance(v, (str, float)):
        return v
    if isinstance(v, int):
        return v if v.bit_length() < 12000 else f"about 2^{v.bit_length() - 1}"
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return str(v)


def _listed(rep: Any, args: Any, max_terms: int, D: Any, summary: dict) -> tuple[Any, bool]:
    """The representation to write: a lazy (weights/tropical) form's listed terms when ``--out``,
    ``--onnx`` or ``--expand`` need them, and whether its compact formula network stands in.

    For ``--onnx`` alone, a form too large to list (:class:`~exactrelu.shallow.lazy.TooManyTerms`)
    is written as its formula network, which is exact and linear in the size of the formula.
    ``--out`` (the listed representation as a network) and ``--expand`` (the listed terms) keep
    the limit: exit 20 names the exact count.
    """
    from ..shallow import SignSplitForm
    from ..shallow.lazy import TooManyTerms

    if not (isinstance(rep, SignSplitForm) and (args.out or args.onnx or args.expand)):
        return rep, False
    try:
        explicit = rep.materialise(max_terms, domain=D)
    except TooManyTerms as exc:
        if args.expand or args.out:
            raise
        summary["formula_network"] = f"the terms are not listed ({exc}); the compact formula network is written"
        return rep, True
    summary["materialised_counts"] = {k: explicit.counts()[k]
                                      for k in ("terms", "hidden_units", "max_units_per_term", "form")}
    return explicit, False


def cmd_shallow(args) -> int:
    from ..certificate.partition import write_certificate
    from ..checker import check_certificate
    from ..shallow import (DEFAULT_MAX_TERMS, LatticeForm, SignSplitForm, lattice_certificate,
                           representation_certificate, shallow_representation)

    t0 = time.perf_counter()
    net = load_model_arg(args.model)
    if args.output >= net.n_outputs:
        raise ModelError(f"--output {args.output}: the network has {net.n_outputs} outputs (0 to {net.n_outputs - 1})")
    have_domain = bool(getattr(args, "box", None) or getattr(args, "domain", None) or getattr(args, "vnnlib", None))
    D = domain_from_args(args, net) if (have_domain or args.method == "lattice" or args.certificate) else None
    max_terms = args.max_terms if args.max_terms is not None else DEFAULT_MAX_TERMS
    options: dict[str, Any] = {}
    if args.method == "lattice":
        options = {"max_regions": args.max_regions, "time_limit": args.time_limit}
    elif args.method == "weights":
        options = {"scheme": args.scheme, "max_terms": max_terms}
    rep = shallow_representation(net, args.method, D, args.output, **options)
    summary: dict[str, Any] = dict(rep.counts())
    summary["method"] = args.method
    summary["output"] = args.output

    explicit, formula = _listed(rep, args, max_terms, D, summary)
    rep_net = None
    if args.out or args.onnx:
        rep_net = rep.formula_network() if formula else explicit.to_network()
        summary["network"] = {"relu_units": rep_net.n_relu, "layers": len(rep_net.layers),
                              "relu_layers": sum(1 for w in rep_net.layers if w.activation.value == "relu"),
                              "form": "formula" if formula else "listed terms"}
        if args.out:
            from ..io.native_json import save_json

            save_json(rep_net, args.out)
            summary["out"] = str(args.out)
        if args.onnx:
            from ..io.onnx.onnx_io import export_onnx

            from ..io.loader import detect_format

            like = args.model if detect_format(args.model) == "onnx" else None  # keep the source's signature
            change = export_onnx(rep_net, args.onnx, dtype=args.onnx_dtype, approximate=args.approximate, like=like)
            summary["onnx"] = str(args.onnx)
            summary["onnx_largest_weight_change"] = str(change)
    if args.certificate:
        if isinstance(rep, LatticeForm) and args.certificate_kind == "lattice":
            cert = lattice_certificate(rep)
        else:
            shown = explicit if rep_net is not None and not formula else rep
            cert = representation_certificate(shown, net, D, args.output,
                                              max_regions=args.max_regions, time_limit=args.time_limit)
        write_certificate(cert, args.certificate)
        report = check_certificate(args.certificate)
        summary["certificate"] = str(args.certificate)
        summary["certificate_claim"] = report.claim
        summary["certificate_valid"] = report.valid
    if args.latex or args.sympy:
        if isinstance(rep, SignSplitForm) and not args.expand:
            expr = rep.to_sympy(relu=args.relu)
        else:
            expr = explicit.to_sympy(relu=args.relu)
        if args.latex:
            import sympy

            summary["latex"] = sympy.latex(expr)
        if args.sympy:
            summary["sympy"] = str(expr)
    summary["seconds"] = round(time.perf_counter() - t0, 4)
    if args.json:
        print(json.dumps(_jsonable(summary)))
        return ExitCode.OK
    _print_summary(args.method, summary)
    return ExitCode.OK


def _print_summary(method: str, summary: dict[str, Any]) -> None:
    """The human-readable report of ``exactrelu shallow``."""
    form = "max" if summary.get("form") == "max" else "max P - max Q"
    print(f"{method}: {summary['terms']} one-hidden-layer terms ({form}), {summary['hidden_units']} hidden "
          f"units in total, at most {summary['max_units_per_term']} per term")
    for key in ("pieces", "lattice_terms", "regions", "refined_regions", "plus_terms", "minus_terms", "scheme"):
        if summary.get(key):
            print(f"  {key}: {summary[key]}")
    if "materialised_counts" in summary:
        m = summary["materialised_counts"]
        print(f"  listed and simplified: {m['terms']} terms, {m['hidden_units']} hidden units")
    if "network" in summary:
        nw = summary["network"]
        form_note = " (the compact formula; the terms are not listed)" if nw["form"] == "formula" else ""
        print(f"  as a ReLU network{form_note}: {nw['relu_units']} ReLU units in {nw['relu_layers']} ReLU layers")
    for key in ("out", "onnx"):
        if key in summary:
            print(f"  wrote {summary[key]}")
    if "certificate" in summary:
        print(f"  certificate ({summary['certificate_claim']}) written to {summary['certificate']} and checked: valid")
    if "sympy" in summary:
        print(summary["sympy"])
    if "latex" in summary:
        print(summary["latex"])


def register(sub) -> None:
    s = sub.add_parser("shallow", help="exact shallow representation (max of one-hidden-layer networks), "
                                       "with counts, export, LaTeX and a certificate")
    s.add_argument("model")
    add_domain_args(s)
    s.add_argument("--method", choices=("lattice", "weights", "tropical"), default="lattice",
                   help="lattice: from the regions (needs a domain); weights: sign split of the weights; "
                        "tropical: F - G (Zhang-Naitzat-Lim)")
    s.add_argument("--output", type=NONNEG, default=0, help="which output coordinate (default 0)")
    s.add_argument("--scheme", choices=("auto", "sign-split", "patterns"), default="auto",
                   help="weights method: sign-split, or patterns (a pure max; needs non-negative deep weights)")
    s.add_argument("--max-terms", type=POSITIVE, default=None,
                   help="largest number of terms to list (default 100000); counts are exact without listing")
    s.add_argument("--out", help="write the representation as an exact ReLU network (native JSON)")
    s.add_argument("--onnx", help="write the representation's network as ONNX")
    s.add_argument("--onnx-dtype", choices=("float32", "float64"), default="float64")
    s.add_argument("--approximate", action="store_true", help="ONNX: round weights that are not exact floats")
    s.add_argument("--certificate", help="write (and check) a certificate that the representation equals the network")
    s.add_argument("--certificate-kind", choices=("lattice", "equivalence"), default="lattice",
                   help="for --method lattice: the lattice rule (default) or network equivalence")
    s.add_argument("--latex", action="store_true", help="print the representation in LaTeX")
    s.add_argument("--sympy", action="store_true", help="print the sympy expression")
    s.add_argument("--relu", choices=("max", "piecewise"), default="max", help="how hidden units are rendered")
    s.add_argument("--expand", action="store_true",
                   help="weights/tropical: list the terms (Max(...) - Max(...)) instead of the compact formula")
    s.add_argument("--max-regions", type=POSITIVE, default=None)
    s.add_argument("--time-limit", type=SECONDS, default=None, help="seconds (region enumeration)")
    s.add_argument("--json", action="store_true")
    add_progress_args(s)
    s.set_defaults(func=cmd_shallow)

