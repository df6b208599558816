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
# # 2. Deep to shallow: a deep ReLU network as a maximum of shallow ones
#
# A **shallow network** (one hidden layer) is
# $s(x) = c \cdot x + c_0 + \sum_u a_u \operatorname{relu}(w_u \cdot x + b_u)$.
# Every continuous piecewise-linear function, so every deep ReLU network, is a
# **maximum of shallow networks** (or a difference of two maxima). exactrelu builds such
# representations in two ways and proves each one equal to the network, exactly:
#
# * **weight level** (no regions needed): split the weights by sign;
# * **region level**: the lattice (max-min) form of the linear regions, then the
#   min-of-affine identity.
#
# Both convert back to a ReLU network (`max(a, b) = b + relu(a - b)`), and
# `exactrelu.shallow.compare` proves that network equal to the original on the domain (it
# enumerates the regions of the difference network and finds the zero map on every one);
# `representation_certificate` writes that proof for the independent checker. The lattice
# form also has a direct certificate of its defining inequalities (`lattice_certificate`).

# %%
# %matplotlib inline
from exactrelu import load_model, box, enumerate_regions, evaluate, mlp, check_certificate
from exactrelu.cli.demo import example_path
from exactrelu.model.random_nets import random_network
from exactrelu.verify.equivalence import equivalent
from exactrelu.shallow import (sign_split, pattern_applicable, pattern_max, lattice_form, tropical_form,
                               compare, representation_certificate, lattice_certificate)
from exactrelu.plot.plots import plot_representation_terms_1d, plot_representation_terms_2d

# %% [markdown]
# ## 1. The weight-level transformation
#
# Take two hidden layers, $f(x) = c + \sum_k v_k \operatorname{relu}(z_k(x))$, where each
# $z_k$ is a shallow network of the first layer's units. Since
# $\operatorname{relu}(t) = \max(0, t)$ and a sum of maxima is the maximum over all
# choices, with $K^\pm = \{k : \pm v_k > 0\}$ and
# $s_\delta(x) = \sum_k \delta_k |v_k| z_k(x)$ for $\delta \in \{0,1\}^K$:
#
# $$f = c + \max_{\delta \subseteq K^+} s_\delta \; - \max_{\delta \subseteq K^-} s_\delta .$$
#
# Every $s_\delta$ is a one-hidden-layer network over the first layer's units. Deeper
# layers repeat the step, using
# $\operatorname{relu}(\max P - \max Q) = \max(P \cup Q) - \max Q$, and the term sets
# multiply. `sign_split` keeps them as a formula: counts are exact integers, evaluation is
# exact, and `materialise()` lists the terms (under a limit).

# %%
net1 = load_model(example_path("mlp_1x4x4.json"))
D1 = box([-2], [2])
ss1 = sign_split(net1)
print(ss1)
print(ss1.counts())
rep1 = ss1.materialise()
print("listed:", rep1.counts()["plus_terms"], "plus terms and", rep1.counts()["minus_terms"], "minus terms over",
      rep1.basis.size, "first-layer units (duplicate and dominated terms dropped)")

# %% [markdown]
# The plus terms $p_i$ (solid) and the minus terms $q_j$ (dashed) against the network;
# $\max_i p_i - \max_j q_j$ (dotted) lies exactly on it:

# %%
plot_representation_terms_1d(net1, rep1, D1)

# %% [markdown]
# Spot checks at the regions' witnesses are exact, but only a proof covers every point:

# %%
part1 = enumerate_regions(net1, D1)
print("agrees at every region witness:",
      all(rep1.evaluate(r.witness) == evaluate(net1, r.witness)[0] for r in part1.regions))
print("as a network: widths", rep1.to_network().widths)
eq = compare(rep1, net1, D1)
print("equal on [-2, 2]:", eq.equivalent, "| regions of the difference network:", eq.regions_checked)
print(check_certificate(representation_certificate(rep1, net1, D1)).claim, "certificate: valid")

# %% [markdown]
# The same for a 2-input network with two hidden layers of 3 units:

# %%
net = random_network([3, 3], seed=0)
D = box([-1, -1], [1, 1])
rep = sign_split(net).materialise()
print(rep.counts())
print("equal on [-1, 1]^2:", compare(rep, net, D).equivalent)

# %% [markdown]
# ### A pure max when the deep weights are non-negative
#
# If every weight leaving a unit of layer 2 or later is $\ge 0$, then
# $f = \max_\sigma f_\sigma$ over the activation patterns $\sigma$ of those units, where
# $f_\sigma$ replaces each such unit $u$ by $\sigma_u z_u$: a pure maximum of
# $2^{N - n_1}$ shallow networks ($N$ units, $n_1$ in the first layer). Each $f_\sigma$ is
# $\le f$ (a ReLU is the max of 0 and its argument, and the weights are non-negative), and
# the true pattern gives equality.

# %%
pos = mlp(1, [([[1], [-1], [2]], [0, 0, -1]), ([[1, 1, 0], [0, 1, 1]], [0, "-1/2"]), ([[1, 2]], [0])])
print("applicable:", pattern_applicable(pos))
pm = pattern_max(pos)
print(pm.counts())
print("equal:", compare(pm, pos, D1).equivalent)
plot_representation_terms_1d(pos, pm, D1)

# %% [markdown]
# ## 2. The region-level (lattice) form
#
# Let $l_1, \dots, l_m$ be the affine maps of the regions $R_1, \dots, R_m$
# ($f = l_i$ on $R_i$), and $S_i = \{j : l_j \ge l_i \text{ on } R_i\}$ (exact: check the
# region's vertices). On a convex domain (Tarela–Martínez, Ovchinnikov)
#
# $$f = \max_i \min_{j \in S_i} l_j .$$
#
# On $R_i$ the term $i$ equals $l_i = f$; and for any other term $k$ there is some
# $j \in S_k$ with $l_j \le f$ on $R_i$, so no term exceeds $f$. Each min of affine
# functions is a max of shallow networks:
#
# $$\min_j l_j = \max_k \Big[ l_k - \sum_{j \ne k} \operatorname{relu}(l_k - l_j) \Big],$$
#
# since each bracket equals $l_k$ where $l_k$ is the minimum and is below every $l_j$
# everywhere. So $f$ is a pure max of shallow networks.

# %%
lf1 = lattice_form(net1, D1)
print(lf1.counts())
print("pieces l_j (slope, offset):", [tuple(str(v) for v in p) for p in lf1.pieces])
print("sets S_t:", lf1.terms)

# %%
plot_representation_terms_1d(net1, lf1, D1)

# %%
report = check_certificate(lattice_certificate(lf1))
print("lattice certificate:", report.claim, "valid over", report.leaves, "regions")
sh1 = lf1.to_shallow()
print(sh1.counts())
print("as a max of shallow networks, equal:", compare(sh1, net1, D1).equivalent)
plot_representation_terms_1d(net1, sh1, D1)

# %% [markdown]
# In 2-D, the lattice form of the $3$-$3$ network; the picture shows, at each point, which
# min-term attains the max (the regions' outlines on top):

# %%
lf = lattice_form(net, D)
print(lf.counts())
print("equal:", compare(lf, net, D).equivalent, "| certificate:", check_certificate(lattice_certificate(lf)).claim)
plot_representation_terms_2d(net, lf, D, resolution=61)

# %% [markdown]
# ## 3. Size against depth, at a fixed number of units
#
# Twelve ReLU units arranged as $[12]$, $[6,6]$, $[4,4,4]$, $[3,3,3,3]$, $[2]^6$ (random
# weights, seed 0, on $[-1,1]^2$). For each: the number of shallow terms and their total
# hidden units in the weight-level form (exact counts from the formula, never listed), the
# number of affine terms of the tropical form $F - G$ (notebook 3), and the lattice form's
# shallow terms with the number of regions it was built from.

# %%
print(f"{'widths':>20} | {'sign-split terms':>22} {'hidden units':>22} | {'tropical terms':>30} | "
      f"{'lattice terms':>13} {'regions':>7}")
for widths in [[12], [6, 6], [4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2, 2, 2]]:
    n = random_network(widths, seed=0)
    c = sign_split(n).counts()
    t = tropical_form(n).counts()
    l = lattice_form(n, D).counts()
    print(f"{str(widths):>20} | {c['terms']:>22} {c['hidden_units']:>22} | {t['terms']:>30} | "
          f"{l['terms']:>13} {l['regions']:>7}")

# %% [markdown]
# The weight-level form explodes with depth: each layer multiplies the term sets of the
# layer below (the one-layer net is already shallow: one term). The region-level form
# follows the *function* instead (its regions and distinct pieces), which here does not
# get more complex with depth (notebook 1): it is large for the wide one-layer net and
# tiny for the $[2]^6$ net, whose narrow layers leave few regions. Both are exact
# representations of the same networks; which is smaller depends on the network.
#
# ## 4. Residual versus plain
#
# `random_network(widths, seed, residual=True)` has the **same weights** plus identity skips
# $h_k = \operatorname{relu}(W_k h_{k-1} + h_{k-2} + b_k)$. A skip adds the term sets of
# $h_{k-2}$ into a sum, which multiplies the counts, unless $h_{k-2}$ is the input or a
# first-layer unit (already shallow): for $[6, 6]$ and $[4, 4, 4]$ the skips come from
# there, and the term counts do not change. With more layers they do. The residual
# functions also have more regions here, and larger lattice forms.

# %%
print(f"{'widths':>20} {'':>9} | {'sign-split terms':>22} {'hidden units':>22} | {'lattice terms':>13} {'regions':>7}")
for widths in [[6, 6], [4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2, 2, 2]]:
    for residual in (False, True):
        n = random_network(widths, seed=0, residual=residual)
        c = sign_split(n).counts()
        l = lattice_form(n, D).counts()
        print(f"{str(widths):>20} {'residual' if residual else 'plain':>9} | {c['terms']:>22} "
              f"{c['hidden_units']:>22} | {l['terms']:>13} {l['regions']:>7}")

# %% [markdown]
# A residual representation, listed and proved equal to its network:

# %%
res_net = random_network([3, 3, 3], seed=0, residual=True)
res_rep = sign_split(res_net).materialise()
print(res_rep.counts()["terms"], "terms; as a network of widths", res_rep.to_network().widths)
eq = compare(res_rep, res_net, D)
print("equal:", eq.equivalent, "| regions of the difference network:", eq.regions_checked)
