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
# # 5. Float versus exact: where float32 goes wrong
#
# A float implementation of a network rounds after every operation. Usually the result is
# close to the exact value of $f$; it is *wrong* where rounding changes a **sign** that
# matters: a ReLU's pre-activation (the float run is then in a different linear region) or
# the comparison of two outputs (a different decision). Large weights that cancel make
# rounding errors large.
#
# exactrelu evaluates the network exactly at the very point the float run sees: every
# float is a dyadic rational, so `Fraction(x)` of a float32 input is exact.

# %%
# %matplotlib inline
from fractions import Fraction
import numpy as np

from exactrelu import mlp, box, enumerate_regions, evaluate, evaluate_float, activation_pattern
from exactrelu.crosscheck.crosscheck import crosscheck, sliver_network
from exactrelu.crosscheck.report import format_table, plot_report
from exactrelu.plot.plots import plot_float_disagreements_2d

# %% [markdown]
# ## Cancellation in one line
#
# $f(x) = \operatorname{relu}(10^8 x + 1) - \operatorname{relu}(10^8 x)$ is exactly $1$ for
# $x \ge 0$. All weights are float32 numbers, but $10^8 x + 1$ is rounded to a multiple of
# 8 near $3 \cdot 10^7$: the float32 result is 0 or 8.

# %%
net = mlp(1, [([[10**8], [10**8]], [1, 0]), ([[1, -1]], [0])])
X = np.array([[0.3], [0.5], [0.123456789], [1e-9]], dtype=np.float32)
y32 = evaluate_float(net, X, dtype="float32")
y64 = evaluate_float(net, X, dtype="float64")
for x, a, c in zip(X[:, 0], y32[:, 0], y64[:, 0]):
    exact = evaluate(net, [Fraction(float(x))])[0]
    print(f"x = {float(x)!r:<24} exact {str(exact):>3}   float32 {a:>4}   float64 {c}")

# %% [markdown]
# ## A 2-D network with float slivers
#
# `sliver_network()` computes $\operatorname{relu}(\pm s(x))$ for three lines $s$ as
# $B_1 - 2B_2 + s(x)$ where $B_1 = 2B_2 \approx 3000$ exactly; in float32 the cancelling
# terms leave an error around $\operatorname{ulp}(3000) \approx 2.4 \cdot 10^{-4}$. Its two
# outputs tie exactly along a line, so the arg-max decision is fragile there.
#
# `crosscheck` searches for disagreements: random points, but mostly points next to exact
# region **vertices**, unit hyperplanes (**facets**) and decision **ties**, moved by a few
# ulps. Every reported error is exact.

# %%
snet = sliver_network()
D = box([-1, -1], [1, 1])
spart = enumerate_regions(snet, D)
rep = crosscheck(snet, D, backend="numpy32", points=1500, seed=0, partition=spart)
print(format_table(rep, flips=2))

# %% [markdown]
# Random sampling finds nothing; the exact anchors find hundreds of flips. One decision
# flip, re-evaluated: the input is float-representable, so both sides see the same point.

# %%
flip = rep.decision_flips[0]
x = flip.input
print("input (exact):", [str(v) for v in x])
print("exact outputs:", [str(v) for v in evaluate(snet, x)], "-> arg-max", flip.exact_decision)
y32 = evaluate_float(snet, [[float(v) for v in x]], dtype="float32")[0]
print("float32      :", [repr(float(v)) for v in y32], "-> arg-max", int(np.argmax(y32)))
print("exact error  :", flip.abs_error, "~", float(flip.abs_error))

# %% [markdown]
# Where are they? Pattern flips sit on the unit hyperplanes (region boundaries), decision
# flips on the tie line $y_0 = y_1$; colour = exact absolute output error.

# %%
pts = [f.input for f in rep.decision_flips + rep.pattern_flips]
errs = [f.abs_error for f in rep.decision_flips + rep.pattern_flips]
plot_float_disagreements_2d(spart, pts, values=errs, label="|exact - float32|")

# %%
plot_report(rep)

# %% [markdown]
# ## float64
#
# The same search against float64: the rounding errors shrink by a factor of about
# $2^{29}$, and so do the slivers, but they do not vanish: next to an exact tie or an exact
# zero pre-activation any rounding error can flip a sign.

# %%
rep64 = crosscheck(snet, D, backend="numpy64", points=600, seed=0, partition=spart)
print("float64: max |error| =", float(rep64.max_abs_error), "| pattern flips:", rep64.n_pattern_flips,
      "| decision flips:", rep64.n_decision_flips)
