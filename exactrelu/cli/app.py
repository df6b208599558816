"""The ``exactrelu`` command line.

Every path ends in one line and an exit code of the one table
(:class:`~exactrelu.errors.ExitCode`): an error prints ``exactrelu: error: <message>`` on
one line on stderr and exits 2 for unusable input (argument errors included), 3 for an
exact-backend failure; 1 is an invalid certificate (``check``), 10 a violated property,
20 an incomplete run, 130 an interruption.  An unexpected exception is a bug: one line
``exactrelu: internal error: ...`` and exit 70; ``EXACTRELU_DEBUG=1`` shows its traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, NoReturn, Sequence

from ..errors import DomainError, ExactReluError, ExitCode, PointError

__all__ = ["main", "build_parser", "MAX_WORKERS"]

MAX_WORKERS = 1024
"""Largest ``--workers`` accepted (each worker is a process)."""

_MAX_MESSAGE = 2000  # characters of one error line (messages quote user input; a line stays readable)


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``exactrelu: error: regions: argument --workers: ...``
    (exit 2), instead of a usage block and the error."""

    def error(self, message: str) -> NoReturn:
        where = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        _say(f"{where}{message} (see {self.prog} --help)")
        sys.exit(int(ExitCode.UNUSABLE))


def _one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= _MAX_MESSAGE else text[:_MAX_MESSAGE] + f"... ({len(text):,} characters)"


def _say(message: str, kind: str = "error") -> None:
    print(f"exactrelu: {kind}: {_one_line(message)}", file=sys.stderr)


# --- argument types: every option that takes a value is checked by argparse --------------

def _count(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer in ``[least, most]``."""
    def parse(text: str) -> int:
        t = text.strip()
        body = t[1:] if t[:1] in "+-" else t
        if not body.isascii() or not body.isdigit():
            raise argparse.ArgumentTypeError(f"expected an integer, got {text[:40]!r}")
        if len(body.lstrip("0")) > 18:
            raise argparse.ArgumentTypeError(f"{text[:20]}... ({len(body)} digits) is too large")
        v = int(t)
        if v < least or (most is not None and v > most):
            rng = f">= {least}" if most is None else f"from {least} to {most}"
            raise argparse.ArgumentTypeError(f"expected an integer {rng}, got {v}")
        return v
    parse.__name__ = "integer"
    return parse


def _seconds(zero_ok: bool = False) -> Callable[[str], float]:
    """An argparse type: a finite number of seconds, positive (or zero when ``zero_ok``)."""
    def parse(text: str) -> float:
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text[:40]!r}") from None
        if not math.isfinite(v) or v < 0 or (v == 0 and not zero_ok):
            raise argparse.ArgumentTypeError(f"expected a finite number of seconds {'>= 0' if zero_ok else '> 0'}, "
                                             f"got {text[:40]!r}")
        return v
    parse.__name__ = "seconds"
    return parse


def _nonempty(text: str) -> str:
    """An argparse type: a non-empty string (a path, an address, a box)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("expected a non-empty value")
    return text


_nonempty.__name__ = "value"
POSITIVE = _count(1)
NONNEG = _count(0)
SECONDS = _seconds()


def _load(path: str):
    from ..io.loader import load_model

    return load_model(path)


def _domain(args, net):
    from ..domain.polytope import load_domain, parse_box

    given = [f"--{o}" for o in ("box", "domain", "vnnlib") if getattr(args, o, None)]
    if len(given) > 1:
        raise DomainError(f"give one of --box, --domain and --vnnlib, not {' and '.join(given)}")
    if getattr(args, "domain", None):
        D = load_domain(args.domain)
    elif getattr(args, "vnnlib", None):
        from ..domain.vnnlib import load_vnnlib

        D = load_vnnlib(args.vnnlib, n_inputs=net.n_inputs, n_outputs=net.n_outputs).domain
    elif getattr(args, "box", None):
        D = parse_box(args.box, n_inputs=net.n_inputs)
    else:
        raise ExactReluError("a domain is needed: --box=lo:hi (every input) or --box=lo:hi,lo:hi,... or --domain FILE")
    if D.dim != net.n_inputs:
        raise DomainError(f"domain has dimension {D.dim}, the network has {net.n_inputs} inputs")
    return D


def _progress_bar(enabled: bool, desc: str):
    """A tqdm bar on stderr driven by a Progress callback (or None)."""
    if not enabled:
        return None, None
    from tqdm import tqdm

    bar = tqdm(desc=desc, unit=" regions", file=sys.stderr, leave=False)

    def cb(p) -> None:
        bar.n = p.regions
        bar.set_postfix(open=p.open_cells, refresh=False)
        bar.refresh()

    return bar, cb


def _want_progress(args) -> bool:
    if getattr(args, "progress", None) is not None:
        return args.progress
    return sys.stderr.isatty() and not getattr(args, "json", False)


# --- commands ---------------------------------------------------------------------------

def cmd_info(args) -> int:
    net = _load(args.model)
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


def cmd_eval(args) -> int:
    from ..model.evaluation import activation_pattern, evaluate, evaluate_float
    from ..errors import NumberError
    from ..numbers.rationals import format_vector, parse_rational_list, to_float

    net = _load(args.model)
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


def cmd_regions(args) -> int:
    from ..certificate.partition import partition_certificate, write_certificate
    from ..graph.region_graph import adjacencies, linear_pieces, region_graph, write_graphml, graph_to_json
    from ..regions.walk import enumerate_regions

    net = _load(args.model)
    D = _domain(args, net)
    if args.stream:
        return _regions_stream(args, net, D)
    if args.resume:
        raise ExactReluError("--resume continues a --stream run (give the same --stream file)")
    if args.no_graph and args.graph:
        raise ExactReluError("--no-graph and --graph exclude each other")
    bar, cb = _progress_bar(_want_progress(args), "regions")
    t0 = time.perf_counter()
    try:
        if args.workers == 1 and not args.dask:
            part = enumerate_regions(net, D, max_regions=args.max_regions, time_limit=args.time_limit, progress=cb)
        else:
            from ..scale.executor import make_executor
            from ..scale.parallel import parallel_walk

            with make_executor(args.workers, args.dask) as ex:
                out = parallel_walk(net, D, ex, mode="objects", max_regions=args.max_regions,
                                    time_limit=args.time_limit, progress=cb)
            part = out.partition
            if out.stopped_by == "interrupted":
                raise KeyboardInterrupt
    finally:
        if bar is not None:
            bar.close()
    if args.no_graph:  # enumeration only (issue 18): no adjacency pass, a certificate without adjacency entries
        adj = pieces = None
    else:
        adj = adjacencies(part)
        G = region_graph(part, adj)
        pieces = linear_pieces(G)
    if args.graph:
        if str(args.graph).endswith(".json"):
            Path(args.graph).write_text(json.dumps(graph_to_json(G)))
        else:
            write_graphml(G, args.graph)
    if args.certificate:
        cert = partition_certificate(part, adjacency=False if adj is None else adj)
        write_certificate(cert, args.certificate)
    seconds = time.perf_counter() - t0
    summary = {
        "regions": len(part.regions),
        "adjacent_pairs": None if adj is None else len(adj),
        "linear_pieces": None if pieces is None else len(pieces),
        "complete": part.complete,
        "stopped_by": part.stopped_by,
        "seconds": round(seconds, 4),
        "tree_nodes": part.stats["nodes"],
        "splits": part.stats["splits"],
        "stable_decisions": part.stats["stable_decisions"],
    }
    if args.certificate:
        summary["certificate"] = str(args.certificate)
    if args.json:
        print(json.dumps(summary))
    else:
        state = "complete" if part.complete else f"INCOMPLETE (stopped by {part.stopped_by})"
        graph = ("" if adj is None else
                 f", {summary['adjacent_pairs']} adjacent pairs, {summary['linear_pieces']} linear pieces")
        print(f"{summary['regions']} regions{graph}; {state}; {seconds:.3f} s")
        if args.certificate:
            print(f"certificate written to {args.certificate}")
    return ExitCode.OK if part.complete else ExitCode.INCOMPLETE


def _regions_stream(args, net, D) -> int:
    """``regions --stream OUT.jsonl``: the stream certificate, written as it is found, with
    checkpoints next to it (``OUT.jsonl.ckpt``, ``OUT.jsonl.parts/``) and ``--resume``."""
    from ..scale.executor import make_executor
    from ..scale.parallel import load_checkpoint, parallel_walk

    if args.graph or args.certificate:
        raise ExactReluError("--stream writes a stream certificate with bounded memory; --graph and "
                             "--certificate need every region in memory (run without --stream)")
    out_path = Path(args.stream)
    ck_path = Path(str(out_path) + ".ckpt")
    spill = Path(str(out_path) + ".parts")
    resume = None
    if args.resume and not ck_path.exists():
        print(f"exactrelu: no checkpoint {ck_path} (the run finished, or was stopped before its first checkpoint): "
              "starting from the beginning", file=sys.stderr)
    elif args.resume:
        resume = load_checkpoint(ck_path)
        if not out_path.exists() or out_path.stat().st_size < resume["stream_bytes"]:
            raise ExactReluError(f"{out_path} is shorter than its checkpoint says; start again without --resume")
        fh = open(out_path, "r+b")
    if resume is None:
        if ck_path.exists() and not args.resume:
            raise ExactReluError(f"{ck_path} exists: continue that run with --resume, or delete it to start again")
        fh = open(out_path, "wb")
    bar, cb = _progress_bar(_want_progress(args), "regions")
    try:
        with fh, make_executor(args.workers, args.dask) as ex:
            out = parallel_walk(net, D, ex, mode="lines", out=fh,
                                max_regions=args.max_regions, time_limit=args.time_limit, progress=cb,
                                spill_dir=spill, checkpoint=ck_path, checkpoint_every=args.checkpoint_every,
                                resume=resume)
    finally:
        if bar is not None:
            bar.close()
    summary = {"regions": out.regions, "adjacent_pairs": None, "linear_pieces": None, "complete": out.complete,
               "stopped_by": out.stopped_by, "seconds": round(out.seconds, 4), "tree_nodes": out.nodes,
               "splits": out.stats.get("splits", 0), "stable_decisions": out.stats.get("stable_decisions", 0),
               "stream": str(out_path), "workers": args.workers if not args.dask else f"dask {args.dask}"}
    if not out.complete:
        summary["checkpoint"] = str(ck_path)
    if args.json:
        print(json.dumps(summary))
    else:
        state = "complete" if out.complete else f"INCOMPLETE (stopped by {out.stopped_by}; --resume continues)"
        print(f"{out.regions} regions; {state}; {out.seconds:.3f} s; stream certificate {out_path}")
    if out.stopped_by == "interrupted":
        return ExitCode.INTERRUPTED
    return ExitCode.OK if out.complete else ExitCode.INCOMPLETE


def cmd_check(args) -> int:
    """``check CERT [--model M] [--model-b B] [--vnnlib P] [--box B | --domain F]``: the
    checker's command line; the property and domain are pinned by the checker's own readers
    (``proofs/rules/pinning.md``), the models here (they need exactrelu's loaders)."""
    from ..checker import run

    argv = [args.certificate]
    if args.json:
        argv.append("--json")
    for flag in ("vnnlib", "box", "domain"):
        value = getattr(args, flag)
        if value is not None:
            argv.append(f"--{flag}={value}")
    return run(argv, extra_pins=_model_pins(args))


def _model_pins(args) -> list:
    """``(what, check)`` pins for ``--model`` / ``--model-b``. The models are loaded now, so
    an unusable one fails (exit 2) before anything is checked; ``check(certificate,
    directory)`` runs on the checked certificate and returns a mismatch or None."""
    pins = []
    if args.model:
        want = _load(args.model)
        pins.append(("network", lambda cert, base: _pin_mismatch(cert, base, want, args.model, False)))
    if args.model_b:
        want_b = _load(args.model_b)
        pins.append(("second network", lambda cert, base: _pin_mismatch(cert, base, want_b, args.model_b, True)))
    return pins


def _pin_mismatch(cert: dict, base_dir: Path, want, name: str, second: bool) -> str | None:
    """Compare a (valid) certificate's network with the model ``want`` (read from ``name``):
    network A of an equivalence certificate, its network B when ``second``."""
    from ..io.native_json import network_from_dict

    claim = cert.get("claim")
    if second:
        if claim != "equivalence":
            return "--model-b applies to equivalence certificates"
        got = network_from_dict(cert["network_b"])
    elif claim == "equivalence":
        got = network_from_dict(cert["network_a"])
    elif "network_ref" in cert:
        got = network_from_dict(json.loads((base_dir / cert["network_ref"]["path"]).read_text()))
    else:
        got = network_from_dict(cert["network"])
    if not (want.n_inputs == got.n_inputs and want.layers == got.layers):
        return f"the certificate's {'second ' if second else ''}network is not {name}"
    return None


def cmd_demo(args) -> int:
    from .demo import run_demo

    return run_demo(out_dir=args.out, quiet=args.quiet)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="exactrelu", description="Exact analysis of ReLU networks, with certificates.")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("info", help="describe a model: inputs, outputs, layers, skips, bit sizes")
    s.add_argument("model")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=cmd_info)

    s = sub.add_parser("eval", help="exact outputs at a rational point")
    s.add_argument("model")
    s.add_argument("--point", required=True, help="comma-separated: -1/2,3/4,0.1 (decimals are exact)")
    s.add_argument("--json", action="store_true")
    s.add_argument("--float", action="store_true", help="also print the float64 evaluation")
    s.set_defaults(func=cmd_eval)

    s = sub.add_parser("regions", help="enumerate the linear regions over a domain, with graph and certificate")
    s.add_argument("model")
    _domain_args(s)
    s.add_argument("--json", action="store_true")
    s.add_argument("--graph", help="write the adjacency graph (.graphml, or .json)")
    s.add_argument("--no-graph", action="store_true", help="enumeration only: no adjacency graph (the certificate "
                   "has no adjacency entries; adjacent pairs and linear pieces are not reported)")
    s.add_argument("--certificate", help="write the partition certificate (.json or .json.gz)")
    s.add_argument("--max-regions", type=POSITIVE, default=None)
    s.add_argument("--time-limit", type=SECONDS, default=None, help="seconds")
    _scale_args(s)
    s.add_argument("--stream", help="write a stream certificate (.jsonl) as regions are found; memory stays "
                   "bounded; checkpoints in STREAM.ckpt")
    s.add_argument("--resume", action="store_true", help="continue an interrupted --stream run from its checkpoint")
    s.add_argument("--checkpoint-every", type=SECONDS, default=10.0, help="seconds between checkpoints (--stream)")
    _progress_args(s)
    s.set_defaults(func=cmd_regions)

    s = sub.add_parser("check", help="check a certificate (exit 0 valid, 1 invalid, 2 unusable)")
    s.add_argument("certificate")
    s.add_argument("--json", action="store_true")
    s.add_argument("--model", help="also require the certificate to be about this model (network A for equiv)")
    s.add_argument("--model-b", dest="model_b", help="for equivalence certificates: network B")
    s.add_argument("--box", help="also require this domain (as for 'regions')")
    s.add_argument("--domain", help="also require this JSON H-polytope domain")
    s.add_argument("--vnnlib", help="for property certificates: also require this property")
    s.set_defaults(func=cmd_check)

    s = sub.add_parser("demo", help="run the built-in example end to end")
    s.add_argument("--out", default=None, help="directory for the demo's files (default: a temporary one)")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_demo)

    for extra in _EXTRA_COMMANDS:
        extra(sub)
    return p


def _domain_args(s) -> None:
    s.add_argument("--box", help="-1:1 for every input, or lo:hi,lo:hi,... per input (p/q and decimals exact)")
    s.add_argument("--domain", help="JSON H-polytope file {\"A\": [[...]], \"b\": [...]}")
    s.add_argument("--vnnlib", help="take the input box of a VNN-LIB file")


def _scale_args(s) -> None:
    s.add_argument("--workers", type=_count(1, MAX_WORKERS), default=1,
                   help=f"worker processes on this machine (default 1, at most {MAX_WORKERS})")
    s.add_argument("--dask", type=_nonempty, default=None, metavar="ADDRESS",
                   help="run on a Dask cluster: tcp://scheduler:8786, or 'local' for a LocalCluster of --workers "
                   "processes (needs the dask extra)")


def _progress_args(s) -> None:
    s.add_argument("--progress", dest="progress", action="store_true", default=None, help="show a progress bar")
    s.add_argument("--no-progress", dest="progress", action="store_false")


# later subcommands register themselves here (see exactrelu/cli_*.py)
_EXTRA_COMMANDS: list = []


def _register_extras() -> None:
    import importlib

    if _EXTRA_COMMANDS:  # already registered (main() may be called several times in-process)
        return
    for mod in ("exactrelu.cli.shallow", "exactrelu.cli.verify", "exactrelu.cli.crosscheck"):
        try:
            m = importlib.import_module(mod)
        except ModuleNotFoundError as exc:
            if exc.name == mod:
                continue
            raise
        _EXTRA_COMMANDS.append(m.register)


def _internal_error(exc: BaseException) -> int:
    """A bug: one line naming the exception, and how to see its traceback."""
    where = ""
    package = str(Path(__file__).resolve().parents[1])  # exactrelu/
    tb = exc.__traceback__
    while tb is not None:  # the innermost frame in exactrelu's own code
        name = tb.tb_frame.f_code.co_filename
        if name.startswith(package):
            where = f" at {Path(name).relative_to(Path(package).parent)}:{tb.tb_lineno}"
        tb = tb.tb_next
    _say(f"{type(exc).__name__}{where}: {exc} (this is a bug in exactrelu; rerun with EXACTRELU_DEBUG=1 "
         "for the traceback, and please report it)", kind="internal error")
    return int(ExitCode.INTERNAL)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv``; return its exit code (:class:`~exactrelu.errors.ExitCode`).

    Every path ends in one line: errors print ``exactrelu: error: <message>`` on stderr
    (exit 2 for unusable input, or the error's own code); an unexpected exception prints
    ``exactrelu: internal error: ...`` and returns 70 (``EXACTRELU_DEBUG=1`` re-raises it,
    with its traceback).  argparse usage errors exit 2 with one line as well.

    >>> import contextlib, io
    >>> err = io.StringIO()
    >>> with contextlib.redirect_stderr(err):
    ...     code = main(["info", "/nonexistent/model.json"])
    >>> code, err.getvalue()
    (2, 'exactrelu: error: cannot read /nonexistent/model.json: no such file\\n')
    """
    _register_extras()
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = os.environ.get("EXACTRELU_DEBUG", "").strip() not in ("", "0")
    import warnings

    # float proposals near the float64 limit overflow to inf/nan by design (exact arithmetic
    # decides); their RuntimeWarnings would only add lines to the one-line contract
    warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"exactrelu(\.|$)")
    warnings.filterwarnings("ignore", category=RuntimeWarning,
                            message=r"(overflow|invalid value|divide by zero|underflow) encountered")
    try:
        return int(args.func(args) or 0)
    except ExactReluError as exc:
        if debug:
            import traceback

            traceback.print_exc()
        _say(str(exc) or type(exc).__name__)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("exactrelu: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except OSError as exc:  # a file exactrelu was asked to write (in a missing directory), a full disk, ...
        if debug:
            raise
        name = f"{exc.filename}: " if getattr(exc, "filename", None) else ""
        _say(f"{name}{exc.strerror or exc}" if isinstance(exc.errno, int) else f"{type(exc).__name__}: {exc}")
        return int(ExitCode.UNUSABLE)
    except RecursionError:
        if debug:
            raise
        _say("input nested too deeply to process (RecursionError)")
        return int(ExitCode.UNUSABLE)
    except MemoryError:
        if debug:
            raise
        _say("out of memory (the input is too large for this machine)")
        return int(ExitCode.UNUSABLE)
    except Exception as exc:  # noqa: BLE001 - a bug: one line and exit 70, not a traceback
        if debug:
            raise
        return _internal_error(exc)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
