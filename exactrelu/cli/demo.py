"""``exactrelu demo [--out DIR] [--quiet]``: the end-to-end demo (the README's first command).

It loads the built-in example network, enumerates its linear regions exactly over
``[-1, 1]^2``, builds the adjacency graph, writes the partition certificate and has the
independent checker re-verify it, then builds the exact max-of-shallow (lattice)
representation with its certificate, checked the same way.

Exit status: 0 when both certificates are valid, 1 otherwise.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from importlib import resources
from pathlib import Path

from ..errors import ExitCode

__all__ = ["example_path", "run_demo", "register", "cmd_demo"]


def example_path(name: str = "mlp_2x8x8.json") -> Path:
    """Path of a shipped example network (``mlp_2x8x8.json``, ``resnet_2x6x6.json``, ``mlp_1x4x4.json``)."""
    return Path(str(resources.files("exactrelu") / "examples" / name))


def run_demo(out_dir: str | None = None, quiet: bool = False) -> int:
    """Run the demo, printing its steps (nothing with ``quiet``); its files go to ``out_dir``
    (a temporary directory, removed afterwards, when None). Returns the exit code: 0 when
    both certificates are valid, 1 otherwise."""
    from ..certificate.partition import partition_certificate, write_certificate
    from ..checker import check_certificate
    from ..domain.polytope import box
    from ..model.evaluation import evaluate, evaluate_float
    from ..graph.region_graph import adjacencies, linear_pieces, region_graph, write_graphml
    from ..io.native_json import load_json
    from ..numbers.rationals import format_vector
    from ..regions.walk import enumerate_regions

    say = (lambda *a: None) if quiet else print
    tmp = None
    if out_dir is None:
        tmp = tempfile.TemporaryDirectory(prefix="exactrelu-demo-")
        out = Path(tmp.name)
    else:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
    try:
        path = example_path()
        net = load_json(path)
        say(f"[1] network   {path.name}: {net.n_inputs} inputs, ReLU layers {list(net.widths[:-1])}, "
            f"{net.n_outputs} output")
        D = box([-1] * net.n_inputs, [1] * net.n_inputs)
        t = time.perf_counter()
        part = enumerate_regions(net, D)
        adj = adjacencies(part)
        G = region_graph(part, adj)
        pieces = linear_pieces(G)
        say(f"[2] regions   {len(part.regions)} linear regions, {len(adj)} adjacent pairs, "
            f"{len(pieces)} linear pieces over [-1,1]^{net.n_inputs} ({time.perf_counter() - t:.3f} s, exact)")
        reg = part.regions[0]
        v = reg.vertices[0]
        exact = evaluate(net, v)
        flt = evaluate_float(net, [[float(c) for c in v]])[0]
        say(f"    e.g. region 0 has pattern {reg.pattern}; at its vertex {format_vector(v)} "
            f"the output is {format_vector(exact)} (float64: {flt.tolist()})")
        cert_path = out / "partition.cert.json"
        write_certificate(partition_certificate(part, adjacency=adj), cert_path)
        write_graphml(G, out / "regions.graphml")
        say(f"[3] certificate written: {cert_path} ({cert_path.stat().st_size // 1024} KiB); graph: regions.graphml")
        t = time.perf_counter()
        rep = check_certificate(cert_path)
        say(f"[4] checker   {'VALID' if rep.valid else 'INVALID'}: independent re-check of "
            f"{rep.leaves} regions and {rep.adjacency_pairs} adjacent pairs "
            f"({time.perf_counter() - t:.3f} s, standard library only)")
        from ..shallow import lattice_certificate, shallow_representation

        t = time.perf_counter()
        lat = shallow_representation(net, "lattice", D)
        c = lat.counts()
        lcert = lattice_certificate(lat)
        lrep = check_certificate(lcert)
        write_certificate(lcert, out / "lattice.cert.json")
        w = shallow_representation(net, "weights").counts()
        say(f"[5] shallow   f = max of {c['terms']} one-hidden-layer terms ({c['hidden_units']} hidden units, "
            f"lattice form from the regions): {'VALID' if lrep.valid else 'INVALID'} lattice certificate; "
            f"the weight-level sign split needs {w['terms']} terms ({time.perf_counter() - t:.3f} s)")
        ok = rep.valid and lrep.valid
        if tmp is None:
            say(f"files in {out}")
        return int(ExitCode.OK if ok else ExitCode.INVALID)
    finally:
        if tmp is not None:
            tmp.cleanup()


def cmd_demo(args: argparse.Namespace) -> int:
    """``exactrelu demo``: :func:`run_demo` with ``--out`` and ``--quiet``."""
    return run_demo(out_dir=args.out, quiet=args.quiet)


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``demo`` subcommand to an argparse subparsers object."""
    s = sub.add_parser("demo", help="run the built-in example end to end")
    s.add_argument("--out", default=None, help="directory for the demo's files (default: a temporary one)")
    s.add_argument("--quiet", action="store_true")
    s.set_defaults(func=cmd_demo)
