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
# # 1. Linear regions and their adjacency graph
#
# A ReLU network with rational weights computes a **continuous piecewise-linear** function.
# For an MLP with hidden layers $h_k = \operatorname{relu}(W_k h_{k-1} + b_k)$, $h_0 = x$, and
# an affine output $f(x) = W_L h_{L-1} + b_L$, every ReLU unit $u$ has a pre-activation
# $z_u(x)$. An **activation pattern** $\sigma \in \{0,1\}^N$ records which units are active
# ($\sigma_u = 1 \iff z_u > 0$). On the set
#
# $$R_\sigma = \{x \in D : z_u(x) \ge 0 \text{ if } \sigma_u = 1,\ z_u(x) \le 0 \text{ if } \sigma_u = 0\}$$
#
# the network is one affine map: with $\Sigma_k = \operatorname{diag}(\sigma^{(k)})$,
#
# $$f(x) = C_\sigma x + d_\sigma, \qquad C_\sigma = W_L \Sigma_{L-1} W_{L-1} \cdots \Sigma_1 W_1 .$$
#
# By induction over the layers every $z_u$ is affine on $R_\sigma$, so $R_\sigma$ is a
# polytope. The **linear regions** are the full-dimensional $R_\sigma$; they tile the domain
# $D$. exactrelu finds all of them with exact rational arithmetic (a splitting tree: at each
# cell the next unit is either stable, or the cell splits in two).

# %%
# %matplotlib inline
from collections import Counter
from fractions import Fraction
import math

from exactrelu import (load_model, box, enumerate_regions, region_graph, linear_pieces, evaluate,
                       activation_pattern)
from exactrelu.cli.demo import example_path
from exactrelu.model.random_nets import random_network
from exactrelu.plot.plots import plot_function_1d, plot_regions_2d, plot_surface_2d
from exactrelu.plot.sweep import plot_weight_sweep_1d, weight_slider_1d

# %% [markdown]
# ## One input
#
# With one input the regions are intervals and the graph of $f$ is a polyline. The shipped
# example `mlp_1x4x4.json` has one input and two hidden layers of 4 units.

# %%
net1 = load_model(example_path("mlp_1x4x4.json"))
print("hidden widths:", net1.describe()["relu_layers"], "| ReLU units:", net1.n_relu)
part1 = enumerate_regions(net1, box([-2], [2]))
print(len(part1.regions), "regions on [-2, 2]")
for r in sorted(part1.regions, key=lambda r: min(r.vertices)):
    (C, d) = r.affine_map
    lo, hi = sorted(v[0] for v in r.vertices)
    print(f"[{str(lo):>12}, {str(hi):>12}]  pattern {r.pattern}  f(x) = {C[0][0]} x + {d[0]}")

# %% [markdown]
# Every endpoint and coefficient is an exact rational. The region's map agrees with the
# network at any point of the region (exact evaluation, no rounding):

# %%
x = Fraction(1, 3)
r = part1.region_of([x])
print("f(1/3) =", evaluate(net1, [x])[0], "| from the region's map:", r.evaluate([x])[0],
      "| pattern", activation_pattern(net1, [x]), "=", r.pattern)

# %% [markdown]
# A region boundary is a point where some unit switches. It is a **breakpoint** (a kink of
# $f$) only if the affine map changes there; a unit can switch without changing $f$ (for
# example when the units it feeds are all inactive). The plot marks both.

# %%
plot_function_1d(part1)

# %% [markdown]
# ### One weight moved: regions appear and vanish
#
# Unit 2 of the first layer computes $z_2 = w x + b_2$ with $w = -9/16$ and switches at
# $x = -b_2 / w$. Changing $w$ moves that switch, and with it every deeper boundary that
# depends on unit 2. At $w = 0$ the unit is constant on the whole domain: its boundary and
# the ones it caused vanish. Below, the function for a few values of $w$ (exact regions
# for each):

# %%
W_VALUES = ["-1", "-9/16", "-1/4", "0", "1/4", "1"]
plot_weight_sweep_1d(net1, 1, 2, 0, W_VALUES, box([-2], [2]), ncols=3)

# %% [markdown]
# With ipywidgets installed (`pip install ipywidgets`), the same as a slider; without it,
# `weight_slider_1d` returns None and the figure above is all there is.

# %%
slider = weight_slider_1d(net1, 1, 2, 0, [f"{k}/8" for k in range(-8, 9)], box([-2], [2]))
slider if slider is not None else print("ipywidgets is not installed: no slider (the sweep above is static)")

# %% [markdown]
# ## Two inputs: regions, witnesses, facets
#
# In 2-D the regions are convex polygons. Each region carries its pattern, an exact
# **witness** point strictly inside it, its exact vertices, its facets (the
# constraints that bound it) and its affine map.

# %%
net = load_model(example_path("mlp_2x8x8.json"))
D = box([-1, -1], [1, 1])
part = enumerate_regions(net, D)
print(len(part.regions), "regions,", "complete" if part.complete else "incomplete",
      f"({part.seconds:.2f} s; splitting tree: {part.stats})")
r = part.regions[0]
print("pattern :", r.pattern)
print("witness :", [str(v) for v in r.witness])
print("vertices:", [[str(v) for v in p] for p in r.vertices])
print("facets  :", len(r.facets), "| all constraints:", len(r.constraints[0]))
print("map     :", [[str(c) for c in row] for row in r.affine_map[0]], [str(v) for v in r.affine_map[1]])
print("pattern at the witness is the region's pattern:", activation_pattern(net, r.witness) == r.pattern)

# %% [markdown]
# ## The adjacency graph
#
# Two regions are **adjacent** when their closures meet in a piece of dimension $n-1$ (a
# segment, in 2-D). The graph has one node per region and one edge per adjacent pair; each
# edge records the separating hyperplane $c \cdot x + c_0 = 0$, an exact witness point in
# the shared boundary piece, and the units whose bits differ.

# %%
G = region_graph(part)
print(G.number_of_nodes(), "nodes,", G.number_of_edges(), "edges")
u, v, data = next(iter(G.edges(data=True)))
print(f"edge {u} -- {v}:", data)
print("units flipped per edge:", Counter(len(d["units"]) for _, _, d in G.edges(data=True)))
print("node degrees:", sorted(Counter(d for _, d in G.degree()).items()))

# %% [markdown]
# Crossing a boundary flips exactly the units whose pre-activation vanishes on it, usually
# one. Each edge below is drawn from one witness, through the edge's witness on the common
# boundary, to the other witness: both regions are convex, so the path stays inside them.

# %%
plot_regions_2d(part, G)

# %% [markdown]
# Colouring by the number of active units shows the layered structure: the first-layer
# hyperplanes are straight lines across the domain, deeper units bend at every line they
# cross.

# %%
plot_regions_2d(part, G, color_by="pattern", show_graph=False)

# %%
plot_surface_2d(part)

# %% [markdown]
# ## Linear pieces
#
# Adjacent regions can have the **same** affine map (the unit that switches does not
# influence the output there). Merging them along such edges gives the **linear pieces**:
# the connected components of the same-map edges. For the example every region is its own
# piece; deeper random nets often have fewer pieces than regions.

# %%
print("mlp_2x8x8:", len(part.regions), "regions,", len(linear_pieces(G)), "linear pieces")
deep = random_network([4, 4, 4], seed=0)
part_deep = enumerate_regions(deep, D)
G_deep = region_graph(part_deep)
print("random 4-4-4:", len(part_deep.regions), "regions,", len(linear_pieces(G_deep)), "linear pieces,",
      sum(1 for _, _, same in G_deep.edges(data="same_map") if same), "same-map edges (dashed below)")

# %%
plot_regions_2d(part_deep, G_deep, color_by="piece")

# %% [markdown]
# ## Counting regions as width and depth grow
#
# $w$ lines in general position cut the plane into $1 + w + \binom{w}{2}$ pieces
# (Zaslavsky), so a one-hidden-layer net with $w$ units and 2 inputs has at most that many
# regions. Deep nets *can* have exponentially many regions in the depth (Montúfar et al.,
# 2014), but typical ones have far fewer (Hanin & Rolnick, 2019). Below: exact counts on
# $[-1,1]^2$ for random nets (`random_network`: weights $k/16$, $|k| \le 32$; biases
# $k/16$, $|k| \le 16$), five seeds each.

# %%
print(f"{'hidden widths':>14} {'units':>5}  {'regions for seeds 0..4':<28} {'mean':>6}  {'1-layer bound':>13}")
for widths in [[4], [8], [16], [4, 4], [8, 8], [4, 4, 4], [8, 8, 8]]:
    counts = [len(enumerate_regions(random_network(widths, seed=s), D).regions) for s in range(5)]
    bound = 1 + widths[0] + math.comb(widths[0], 2) if len(widths) == 1 else ""
    print(f"{str(widths):>14} {sum(widths):>5}  {str(counts):<28} {sum(counts) / 5:>6.1f}  {bound:>13}")

# %% [markdown]
# The same 12 units arranged with more depth:

# %%
for widths in [[12], [6, 6], [4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2, 2, 2]]:
    counts = [len(enumerate_regions(random_network(widths, seed=s), D).regions) for s in range(5)]
    print(f"{str(widths):>20}  {str(counts):<28} mean {sum(counts) / 5:.1f}")

# %% [markdown]
# With these random weights the count does not grow with depth at a fixed number of units
# (narrow layers lose information: a unit that is inactive everywhere, or a layer of width
# 2, caps what later layers can do). Counts of *worst cases* and counts of *typical* nets
# are different questions; exact enumeration answers the second one for any given net.
