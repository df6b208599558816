# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 6. Verification, compression and exact bounds
#
# A VNN-LIB property gives an input box and a disjunction of linear constraints on the
# outputs; an input satisfying them is a **counterexample**. exactrelu answers `violated`
# with an exact rational counterexample (re-evaluated exactly, and also in float), or
# `holds` with a certificate: on every linear region, each disjunct's constraints are
# infeasible, proved by a Farkas vector. It answers `unknown` when a time limit stops the
# region walk; nothing is claimed then.

# %%
# %matplotlib inline
import csv
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

from exactrelu import load_model, box, evaluate, evaluate_float, check_certificate
from exactrelu.domain.vnnlib import load_vnnlib
from exactrelu.verify.property import verify, property_certificate
from exactrelu.domain.cex import format_counterexample
from exactrelu.verify.compress import compress
from exactrelu.verify.bounds import output_bounds, bounds_certificate
from exactrelu.model.random_nets import random_network
from exactrelu.domain.vnnlib import parse_vnnlib
from exactrelu.plot.verify import plot_compression, plot_verification_cells_2d

# %% [markdown]
# The VNN-COMP 2022 `test` family is read from the shared benchmark folder next to the
# repository (`../shared/benchmarks/`, never copied into it). Without it the benchmark
# cells print a message and do nothing.

# %%
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
BENCH = ROOT.parent / "shared" / "benchmarks" / "vnncomp2022" / "test"
HAVE_BENCH = (BENCH / "instances.csv").exists()
print(BENCH.resolve(), "found" if HAVE_BENCH else "is missing: the VNN-COMP cells below are skipped")

# %% [markdown]
# ## The `test` family
#
# Each instance is `network, property, timeout`. We give each at most 10 s here. The
# 300-unit `test_unsat` network holds without reaching a single linear region ("0 regions"
# is no typo): its whole input box is one pruned cell, refuted by a linear relaxation
# without a single split (the pictures below show what pruning does on a 2-D example).

# %%
results = {}
if HAVE_BENCH:
    with open(BENCH / "instances.csv") as fh:
        instances = [row for row in csv.reader(fh) if row]
    for onnx_name, vnnlib_name, timeout in instances:
        net = load_model(BENCH / onnx_name)
        prop = load_vnnlib(BENCH / vnnlib_name, net.n_inputs, net.n_outputs)
        res = verify(net, prop, time_limit=min(float(timeout), 10.0))
        results[onnx_name] = (net, prop, res)
        print(f"{onnx_name:<16} {vnnlib_name:<18} {net.n_inputs} in, {net.n_relu:>3} ReLU: {res.verdict:<9}"
              f"{res.regions:>5} regions {res.seconds:6.2f} s  {res.reason or res.found_by or ''}")
else:
    print("skipped: no benchmark folder")

# %% [markdown]
# ### A violated property
#
# The counterexample is an exact rational input. Its exact output satisfies the property's
# output constraints (checked exactly); the float64 run agrees here (`float_confirms`).
# The `counterexample` certificate is just the point, which the checker re-executes.

# %%
if HAVE_BENCH:
    net, prop, res = results["test_sat.onnx"]
    x = res.counterexample
    y = evaluate(net, x)
    print("verdict:", res.verdict, "| found by:", res.found_by)
    print("output constraints of the counterexample set:", [str(c) for d in prop.disjuncts for c in d.constraints])
    print("x =", [str(v) for v in x])
    print("exact y  ~", [f"{float(v):.12f}" for v in y], "| denominators of",
          [v.denominator.bit_length() for v in y], "bits")
    print("float64 y =", [f"{v:.12f}" for v in res.float_output], "| float confirms:", res.float_confirms)
    print("is a counterexample (exact):", prop.is_counterexample(x, y))
    print(format_counterexample(x, y)[:300], "...")
    print(check_certificate(property_certificate(net, prop, res)).claim, "certificate: valid")

# %% [markdown]
# ### A property that holds
#
# The certificate holds the splitting tree of each input region and, per leaf and
# disjunct, the Farkas vector proving the disjunct's constraints infeasible there.

# %%
if HAVE_BENCH:
    net, prop, res = results["test_small.onnx"]
    cert = property_certificate(net, prop, res)
    print("verdict:", res.verdict, "| regions:", res.regions)
    print("proofs:", [p for part in cert["partitions"] for p in part["proofs"]])
    report = check_certificate(cert)
    print(report.claim, "certificate valid:", report.valid)

# %% [markdown]
# ### Pruned cells, seen on a 2-input network
#
# Does a random network with 2 inputs and two hidden layers of 8 units stay below $13.52$
# on $[-1, 1]^2$? (Its exact maximum, computed at the end of this notebook, is
# $13.5114\ldots$.) Before it splits a cell of the splitting tree, the walk tries to refute
# the property on the whole cell with a linear relaxation of the units not yet decided
# there; a refuted cell is **pruned** (closed without being split). A cell that reaches a
# linear region is closed by a Farkas vector on that region instead.

# %%
net2 = random_network([8, 8], seed=1)
prop2 = parse_vnnlib("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) "
                     "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1)) "
                     "(assert (>= Y_0 13.52))")
res2 = verify(net2, prop2, attack_seconds=0.5)
print(res2.to_dict())
print(check_certificate(property_certificate(net2, prop2, res2)).claim, "certificate: valid")
plot_verification_cells_2d(res2)

# %% [markdown]
# Without pruning every cell is split down to its linear regions, and each region needs its
# own Farkas vector:

# %%
res2_full = verify(net2, prop2, attack_seconds=0.5, prune=False)
print(res2_full.to_dict())
plot_verification_cells_2d(res2_full)

# %% [markdown]
# ## Compression: stable units, removed exactly
#
# A unit is **stably inactive** on a domain if $z_u \le 0$ everywhere (remove it), **stably
# active** if $z_u \ge 0$ everywhere ($\operatorname{relu}(z_u) = z_u$: fold it into the
# layers that read it). On a small domain many units are stable. The compressed network is
# then proved **equivalent** to the original on the domain: the difference network
# $x \mapsto a(x) - b(x)$ has the zero map on every one of its linear regions, and the
# certificate of that is checked.

# %%
big = random_network([8, 8], seed=3)
small_box = box([0, 0], ["1/4", "1/4"])
res = compress(big, small_box)
print("stable units:", res.stable)
print("widths before:", big.widths, "after:", res.compressed.widths)
print(res.summary())
report = check_certificate(res.certificate())
print(report.claim, "certificate valid:", report.valid, "| regions of the difference network:", report.leaves)

# %% [markdown]
# The two networks drawn (blue weights positive, red negative, thicker = larger): the
# stably active units (squares) are folded into the next layer, whose weights change; the
# stably inactive ones (hollow) disappear with their weights.

# %%
plot_compression(res)

# %% [markdown]
# ## Exact output bounds
#
# On each region the output is affine, so its extremes are at region vertices; the
# global extremes are exact rationals attained at exact arg-max points. Sampling can only
# bound them from inside.

# %%
net = random_network([8, 8], seed=1)
D = box([-1, -1], [1, 1])
bres = output_bounds(net, D)
b0 = bres.outputs[0]
print("exact min", b0.min, "at", [str(v) for v in b0.argmin])
print("exact max", b0.max, "at", [str(v) for v in b0.argmax])
print("check:", evaluate(net, b0.argmax)[0] == b0.max)
X = np.random.default_rng(0).uniform(-1, 1, size=(20000, 2))
ys = evaluate_float(net, X)[:, 0]
print(f"20000 random samples: [{ys.min():.6f}, {ys.max():.6f}] vs exact [{float(b0.min):.6f}, {float(b0.max):.6f}]")
print(check_certificate(bounds_certificate(bres)).claim, "certificate: valid")
