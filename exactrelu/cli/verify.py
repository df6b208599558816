"""CLI commands ``bounds``, ``verify``, ``equiv`` and ``compress`` (registered by cli.py)."""

from __future__ import annotations

import json
import sys

from .common import (NONNEG, POSITIVE, SECONDS, add_domain_args, add_progress_args,
                     add_scale_args, domain_from_args, load_model_arg,
                     progress_bar, seconds_type, want_progress)
from ..errors import ExitCode


def cmd_bounds(args) -> int:
    from ..verify.bounds import bounds_certificate, output_bounds
    from ..certificate.partition import write_certificate

    net = load_model_arg(args.model)
    if args.output is not None and args.output >= net.n_outputs:
        from ..errors import ModelError

        raise ModelError(f"--output {args.output}: the network has {net.n_outputs} outputs (0 to {net.n_outputs - 1})")
    D = domain_from_args(args, net)
    bar, cb = progress_bar(want_progress(args), "bounds")
    try:
        res = output_bounds(net, D, None if args.output is None else [args.output], certify=bool(args.certificate),
                            max_regions=args.max_regions, time_limit=args.time_limit, progress=cb,
                            executor=_executor(args))
    finally:
        if bar is not None:
            bar.close()
    if args.certificate:
        write_certificate(bounds_certificate(res), args.certificate)
    if args.json:
        print(json.dumps(res.to_dict()))
    else:
        for b in res.outputs:
            d = b.to_dict()
            print(f"y{b.output}: min {d['min']} at ({', '.join(d['argmin'])}), "
                  f"max {d['max']} at ({', '.join(d['argmax'])})")
        print(f"{len(res.partition.regions)} regions, {res.seconds:.3f} s"
              + (f"; certificate {args.certificate}" if args.certificate else ""))
    return ExitCode.OK


def _executor(args):
    """None for the serial run, else the executor of ``--workers`` / ``--dask`` (closed when
    the process exits)."""
    if getattr(args, "workers", 1) == 1 and not getattr(args, "dask", None):
        return None
    import atexit

    from ..scale.executor import make_executor

    ex = make_executor(args.workers, args.dask)
    atexit.register(ex.close)
    return ex


def cmd_verify(args) -> int:
    if getattr(args, "vnncomp_result", None):  # any failure still leaves a result file: 'error'
        from .vnncomp_result import writing_error_result

        return writing_error_result(args.vnncomp_result, lambda: _verify(args))
    return _verify(args)


def _verify(args) -> int:
    from ..certificate.partition import write_certificate
    from ..verify.property import EXIT_CODES, property_certificate, verify
    from ..domain.vnnlib import load_vnnlib

    net = load_model_arg(args.model)
    prop = load_vnnlib(args.property, n_inputs=net.n_inputs, n_outputs=net.n_outputs)
    bar, cb = progress_bar(want_progress(args), "verify")
    try:
        res = verify(net, prop, time_limit=args.time_limit, max_regions=args.max_regions, samples=args.samples,
                     seed=args.seed, progress=cb, executor=_executor(args), attack_seconds=args.attack_seconds)
    finally:
        if bar is not None:
            bar.close()
    cert = None
    if args.certificate and res.verdict != "unknown":
        cert = property_certificate(net, prop, res)
        write_certificate(cert, args.certificate)
    if getattr(args, "vnncomp_result", None):
        from .vnncomp_result import write_vnncomp_result

        write_vnncomp_result(args.vnncomp_result, net, prop, res, certificate=cert)
    if args.json:
        print(json.dumps(res.to_dict()))
    else:
        print(res.verdict)
        if res.verdict == "violated":
            d = res.to_dict()
            print("counterexample (exact):", " ".join(d["counterexample"]))
            print("output (exact):        ", " ".join(d["exact_output"]))
            print("output (float64):      ", " ".join(repr(v) for v in res.float_output))
            if not res.float_confirms:
                print("note: float64 evaluation does NOT see a counterexample at this point "
                      "(exact arithmetic does)")
        elif res.verdict == "unknown":
            print(f"({res.reason}; {res.regions} regions examined)", file=sys.stderr)
        elif res.reason:
            print(f"({res.reason})", file=sys.stderr)
    return EXIT_CODES[res.verdict]


def cmd_equiv(args) -> int:
    from ..certificate.partition import write_certificate
    from ..verify.equivalence import equivalence_certificate, equivalent
    from ..numbers.rationals import format_vector

    a, b = load_model_arg(args.model_a), load_model_arg(args.model_b)
    D = domain_from_args(args, a)
    res = equivalent(a, b, D, max_regions=args.max_regions, time_limit=args.time_limit)
    out = {"equivalent": res.equivalent, "regions": res.regions_checked, "seconds": round(res.seconds, 4)}
    if res.equivalent is False:
        out["counterexample"] = format_vector(res.counterexample)
        out["output_a"] = format_vector(res.outputs[0])
        out["output_b"] = format_vector(res.outputs[1])
    if args.certificate and res.equivalent:
        write_certificate(equivalence_certificate(a, b, D, res), args.certificate)
    if args.json:
        print(json.dumps(out))
    elif res.equivalent:
        print(f"equivalent ({res.regions_checked} regions of the difference network, {res.seconds:.3f} s)")
    elif res.equivalent is False:
        print("different at", " ".join(out["counterexample"]))
        print("  A:", " ".join(out["output_a"]))
        print("  B:", " ".join(out["output_b"]))
    else:
        print("unknown (limit reached)")
    return {True: ExitCode.OK, False: ExitCode.VIOLATED, None: ExitCode.INCOMPLETE}[res.equivalent]


def cmd_compress(args) -> int:
    from ..certificate.partition import write_certificate
    from ..verify.compress import compress
    from ..io.loader import save_model

    net = load_model_arg(args.model)
    D = domain_from_args(args, net)
    res = compress(net, D, certify=True, time_limit=args.time_limit)
    save_model(res.compressed, args.out)
    if args.certificate:
        write_certificate(res.certificate(), args.certificate)
    s = res.summary()
    if args.json:
        print(json.dumps(s))
    else:
        print(f"ReLU units {s['units_before']} -> {s['units_after']}, layers {s['layers_before']} -> "
              f"{s['layers_after']}; written to {args.out}")
        for k, d in sorted(res.removed.items()):
            print(f"  layer {k}: " + ", ".join(f"{len(v)} {kind}" for kind, v in d.items()))
        print("equivalence on the domain: " + ("proved" + (f", certificate {args.certificate}" if args.certificate
                                                        else "") if res.equivalent else "not proved"))
    return ExitCode.OK


def register(sub) -> None:
    s = sub.add_parser("bounds", help="exact min/max of outputs over a domain, with witnesses and a certificate")
    s.add_argument("model")
    add_domain_args(s)
    s.add_argument("--output", type=NONNEG, default=None, help="only this output (default: all)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--certificate")
    s.add_argument("--max-regions", type=POSITIVE, default=None)
    s.add_argument("--time-limit", type=SECONDS, default=None)
    add_scale_args(s)
    add_progress_args(s)
    s.set_defaults(func=cmd_bounds)

    s = sub.add_parser("verify", help="decide a VNN-LIB property: holds (exit 0), violated (10), unknown (20)")
    s.add_argument("model")
    s.add_argument("property")
    s.add_argument("--certificate")
    s.add_argument("--time-limit", type=SECONDS, default=None)
    s.add_argument("--max-regions", type=POSITIVE, default=None)
    s.add_argument("--samples", type=NONNEG, default=2000, help="float-guided falsification samples per input region")
    s.add_argument("--attack-seconds", type=seconds_type(zero_ok=True), default=2.0,
                   help="gradient and region-descent search for counterexamples before the walk (0: off)")
    s.add_argument("--seed", type=NONNEG, default=0)
    s.add_argument("--json", action="store_true")
    s.add_argument("--vnncomp-result", metavar="FILE",
                   help="also write a VNN-COMP result file (sat + counterexample, unsat, timeout, unknown, error); "
                   "sat and unsat leave the certificate beside it as FILE.cert.json (vnncomp/README.md)")
    add_progress_args(s)
    add_scale_args(s)
    s.set_defaults(func=cmd_verify)

    s = sub.add_parser("equiv", help="decide whether two networks agree on a domain (exit 0 yes, 10 no, 20 unknown)")
    s.add_argument("model_a")
    s.add_argument("model_b")
    add_domain_args(s)
    s.add_argument("--certificate")
    s.add_argument("--max-regions", type=POSITIVE, default=None)
    s.add_argument("--time-limit", type=SECONDS, default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_equiv)

    s = sub.add_parser("compress", help="remove stable units losslessly, with an equivalence certificate")
    s.add_argument("model")
    add_domain_args(s)
    s.add_argument("--out", required=True, help="smaller.json or smaller.onnx")
    s.add_argument("--certificate")
    s.add_argument("--time-limit", type=SECONDS, default=None)
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_compress)
