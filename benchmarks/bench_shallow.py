"""Deep vs shallow, plain vs residual: how complex are the exact shallow representations?

    python benchmarks/bench_shallow.py            # writes benchmarks/bench_shallow.md and prints it
    python benchmarks/bench_shallow.py --seeds 5  # quicker

For several totals of hidden units, networks 2-[w...]-1 of different depths with the same
total (random_network, many seeds) and their residual twins (same weights plus identity
skips, random_network(..., residual=True)) are measured on the domain [-1, 1]^2:

* the network: linear regions and linear pieces (connected same-map components);
* ``weights``: the sign-split representation ``max P - max Q`` (exact formula counts);
* ``tropical``: ``F - G`` (exact formula counts of affine terms);
* ``lattice``: the simplified lattice form as a pure max of one-hidden-layer networks
  (terms = sum |S_t|, hidden units = sum |S_t|(|S_t| - 1)).

Every representation of every network is also checked to equal the network exactly at
a few random rational points. The seed paper's two claims are then tested on the
medians: (1) at a fixed total, the deeper network's representation is larger; (2) a
residual network's is larger than the plain one's.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

CONFIGS = {
    6: [[6], [3, 3], [2, 2, 2]],
    8: [[8], [4, 4], [2, 2, 2, 2]],
    12: [[12], [6, 6], [4, 4, 4], [3, 3, 3, 3]],
    16: [[16], [8, 8], [4, 4, 4, 4]],
    24: [[24], [12, 12], [8, 8, 8], [6, 6, 6, 6]],
}
SAWTOOTH_DEPTHS = (2, 3, 4, 5, 6)


def measure(job: tuple[list[int], int, bool]) -> dict:
    from exactrelu.domain.polytope import box
    from exactrelu.model.evaluation import evaluate
    from exactrelu.graph.region_graph import linear_pieces, region_graph
    from exactrelu.model.random_nets import random_network
    from exactrelu.regions.walk import enumerate_regions
    from exactrelu.shallow import lattice_form, sign_split, tropical_form

    widths, seed, residual = job
    net = random_network(widths, seed=seed, residual=residual)
    D = box([-1, -1], [1, 1])
    t0 = time.perf_counter()
    part = enumerate_regions(net, D)
    G = region_graph(part)
    out: dict = {"widths": widths, "seed": seed, "residual": residual, "regions": len(part.regions),
                 "pieces": len(linear_pieces(G))}
    w = sign_split(net)
    t = tropical_form(net)
    lf = lattice_form(net, D, partition=part)
    rng = random.Random(seed)
    for _ in range(3):
        x = [Fraction(rng.randint(-999, 999), 997) for _ in range(2)]
        y = evaluate(net, x)[0]
        if not (w.evaluate(x) == t.evaluate(x) == lf.evaluate(x) == y):
            raise SystemExit(f"representation differs from the network: {widths} seed {seed} residual {residual}")
    for name, rep in (("weights", w), ("tropical", t), ("lattice", lf)):
        c = rep.counts()
        out[f"{name}_terms"] = c["terms"]
        out[f"{name}_units"] = c["hidden_units"]
        out[f"{name}_maxunits"] = c["max_units_per_term"]
    out["lattice_mins"] = lf.counts()["lattice_terms"]
    out["seconds"] = time.perf_counter() - t0
    return out


def sawtooth(depth: int):
    """The tent map composed ``depth`` times on [0, 1]: 2 units per layer, 2^depth linear pieces."""
    from exactrelu.model.network import mlp

    layers = [([[1], [1]], [0, "-1/2"])] + [([[2, -4], [2, -4]], [0, "-1/2"])] * (depth - 1) + [([[2, -4]], [0])]
    return mlp(1, layers)


def measure_structured(job: tuple[str, int]) -> dict:
    """A deep-by-construction family (1-D sawtooth) against random one-hidden-layer nets of the same size."""
    from exactrelu.domain.polytope import box
    from exactrelu.model.evaluation import evaluate
    from exactrelu.graph.region_graph import linear_pieces, region_graph
    from exactrelu.model.random_nets import random_network
    from exactrelu.regions.walk import enumerate_regions
    from exactrelu.shallow import lattice_form, sign_split, tropical_form

    kind, depth = job
    net = sawtooth(depth) if kind == "sawtooth" else random_network([2 * depth], seed=depth, n_in=1)
    D = box([0], [1])
    part = enumerate_regions(net, D)
    out: dict = {"kind": kind, "depth": depth, "regions": len(part.regions),
                 "pieces": len(linear_pieces(region_graph(part)))}
    lf = lattice_form(net, D, partition=part)
    w, t = sign_split(net), tropical_form(net)
    for k in range(7):
        x = [Fraction(k, 6)]
        assert w.evaluate(x) == t.evaluate(x) == lf.evaluate(x) == evaluate(net, x)[0]
    for name, rep in (("weights", w), ("tropical", t), ("lattice", lf)):
        c = rep.counts()
        out[f"{name}_terms"] = c["terms"]
        out[f"{name}_units"] = c["hidden_units"]
    out["lattice_mins"] = lf.counts()["lattice_terms"]
    return out


def structured_table(rows: list[dict]) -> list[str]:
    lines = ["| units | network | regions | pieces | weights terms | weights units | tropical terms | "
             "lattice terms | lattice units | lattice mins |", "|---|---|---|---|---|---|---|---|---|---|"]
    for d in SAWTOOTH_DEPTHS:
        for kind in ("sawtooth", "shallow"):
            r = next(r for r in rows if r["kind"] == kind and r["depth"] == d)
            name = f"tent^{d}: 1-[{','.join(['2'] * d)}]-1" if kind == "sawtooth" else f"random 1-[{2 * d}]-1"
            lines.append(f"| {2 * d} | {name} | " + " | ".join(fmt(r[k]) for k in (
                "regions", "pieces", "weights_terms", "weights_units", "tropical_terms", "lattice_terms",
                "lattice_units", "lattice_mins")) + " |")
    return lines


def fmt(v: float) -> str:
    if v == 0:
        return "0"
    if abs(v) >= 1e6:
        e = int(math.floor(math.log10(abs(v))))
        return f"{v / 10 ** e:.1f}e{e}"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}".replace(",", " ")
    return f"{v:.1f}"


def med(xs: list) -> float:
    return float(statistics.median(xs))


def mean(xs: list) -> float:
    return float(sum(xs)) / len(xs)


COLUMNS = [("regions", "regions"), ("pieces", "pieces"),
           ("weights_terms", "weights terms"), ("weights_units", "weights units"),
           ("tropical_terms", "tropical terms"),
           ("lattice_terms", "lattice terms"), ("lattice_units", "lattice units"), ("lattice_mins", "lattice mins")]


def table(rows: list[dict], seeds: int) -> list[str]:
    lines = ["| total | net | skips | " + " | ".join(h for _, h in COLUMNS) + " |",
             "|---|---|---|" + "---|" * len(COLUMNS)]
    for total, configs in CONFIGS.items():
        for widths in configs:
            for residual in (False, True):
                rs = [r for r in rows if r["widths"] == widths and r["residual"] == residual]
                if not rs:
                    continue
                cells = [f"{fmt(med([r[k] for r in rs]))} ({fmt(mean([r[k] for r in rs]))})" for k, _ in COLUMNS]
                net = "2-[" + ",".join(map(str, widths)) + "]-1"
                lines.append(f"| {total} | {net} | {'residual' if residual else 'plain'} | " + " | ".join(cells) + " |")
    return lines


def verdicts(rows: list[dict]) -> list[str]:
    out = []
    methods = [("weights_terms", "weights (sign split) terms"), ("tropical_terms", "tropical terms"),
               ("lattice_terms", "lattice terms"), ("lattice_units", "lattice hidden units"),
               ("regions", "linear regions")]
    out.append("**Claim 1 — at a fixed total of hidden units, the deeper network needs a more complex shallow "
               "representation** (plain networks; medians over seeds, depth 1 → deepest):")
    out.append("")
    for key, label in methods:
        mono = []
        for total, configs in CONFIGS.items():
            meds = [med([r[key] for r in rows if r["widths"] == w and not r["residual"]]) for w in configs]
            inc = all(b > a for a, b in zip(meds, meds[1:]))
            deeper = meds[-1] > meds[0]
            mono.append((total, meds, inc, deeper))
        allinc = all(m[2] for m in mono)
        alldeeper = all(m[3] for m in mono)
        detail = "; ".join(f"{t}: " + " → ".join(fmt(v) for v in meds) for t, meds, _, _ in mono)
        verdict = ("supported (strictly increasing with depth at every total)" if allinc else
                   "partly supported (deepest > shallowest at every total, not monotone)" if alldeeper else
                   "not supported")
        out.append(f"* {label}: {verdict}. {detail}")
    out.append("")
    out.append("**Claim 2 — a residual network needs a more complex representation than the plain network with "
               "the same weights** (networks with at least two hidden layers; share of (network, seed) pairs where "
               "residual > plain, = and <, and the ratio of medians):")
    out.append("")
    for key, label in methods:
        gt = eq = lt = 0
        plain_all, res_all = [], []
        for r in rows:
            if r["residual"] or len(r["widths"]) < 2:
                continue
            twin = next(s for s in rows if s["residual"] and s["widths"] == r["widths"] and s["seed"] == r["seed"])
            gt += twin[key] > r[key]
            eq += twin[key] == r[key]
            lt += twin[key] < r[key]
            plain_all.append(r[key])
            res_all.append(twin[key])
        n = gt + eq + lt
        ratio = med(res_all) / med(plain_all) if med(plain_all) else float("nan")
        verdict = ("supported" if gt > lt and ratio > 1 else "not supported" if gt <= lt else "weakly supported")
        out.append(f"* {label}: {verdict}: residual larger in {gt}/{n}, equal in {eq}/{n}, smaller in {lt}/{n}; "
                   f"median ratio residual/plain {ratio:.2f}.")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, default=25)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default=str(HERE / "bench_shallow.md"))
    args = p.parse_args(argv)
    jobs = [(w, s, r) for configs in CONFIGS.values() for w in configs for s in range(args.seeds)
            for r in (False, True)]
    t0 = time.perf_counter()
    sjobs = [(k, d) for d in SAWTOOTH_DEPTHS for k in ("sawtooth", "shallow")]
    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as ex:
            rows = list(ex.map(measure, jobs, chunksize=4))
            srows = list(ex.map(measure_structured, sjobs))
    else:
        rows = [measure(j) for j in jobs]
        srows = [measure_structured(j) for j in sjobs]
    secs = time.perf_counter() - t0
    text = [
        "# Shallow representations: depth and skips (generated by `python benchmarks/bench_shallow.py`)",
        "",
        f"Random networks `random_network(widths, seed, residual)` (weights k/16), seeds 0..{args.seeds - 1}, "
        "domain [-1, 1]^2. Each cell: **median (mean)** over seeds. *regions*/*pieces*: linear regions and "
        "linear pieces of the network. *weights*: sign-split `max P - max Q` (terms = |P| + |Q|, or |P| for a pure "
        "max; units summed over terms; exact formula counts). *tropical*: `F - G` (affine terms, |F| + |G|). "
        "*lattice*: simplified lattice form as a pure max of one-hidden-layer networks (terms = sum |S_t|, "
        "units = sum |S_t|(|S_t| - 1); *mins* = number of min-terms). Residual: every hidden layer k >= 2 also "
        "adds the output of layer k - 2 (the input for k = 2) through an identity; a one-hidden-layer network has "
        "no skip. Every representation was checked to equal its network exactly at random rational points.",
        "",
    ]
    text += table(rows, args.seeds)
    text += ["", *verdicts(rows), "",
             "## A deep-by-construction family",
             "",
             "Random weights rarely use depth (deeper random nets here have *fewer* regions). The tent map "
             "composed d times (2 ReLU units per layer, 1 input, domain [0, 1]) has 2^d linear pieces; a "
             "one-hidden-layer net with the same 2d units has at most 2d + 1 (one random seed per size).",
             "",
             *structured_table(srows),
             "",
             f"{len(rows) + len(srows)} networks, {secs:.0f} s ({args.jobs} processes)."]
    out = "\n".join(text) + "\n"
    Path(args.out).write_text(out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
