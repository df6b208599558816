"""Build the teaching notebooks in this folder (reproducible and diffable).

    python notebooks/build_notebooks.py          # (re)write notebooks/*.ipynb
    python notebooks/build_notebooks.py --check  # exit 1 if a notebook is out of date

The notebooks are written WITHOUT outputs and with fixed cell ids; CI executes them top to
bottom (tests/test_notebooks.py, cwd = notebooks/). They use only exactrelu's public API
and define no logic of their own: every computation is a library call.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def md(text: str) -> tuple[str, str]:
    return ("md", text.strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip("\n"))


def make(stem: str, cells: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """A notebook with deterministic cell ids ``<stem>-<k>`` and no outputs."""
    short = stem.split("_")[0]
    out = []
    for k, (kind, src) in enumerate(cells):
        cid = f"c{short}-{k:02d}"
        out.append(new_markdown_cell(src, id=cid) if kind == "md" else new_code_cell(src, id=cid))
    nb = new_notebook(cells=out, metadata={"kernelspec": dict(KERNELSPEC),
                                           "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


# =============================================================================== 01
NB01 = [
    md(r"""
# 1. Linear regions and their adjacency graph

A ReLU network with rational weights computes a **continuous piecewise-linear** function.
For an MLP with hidden layers $h_k = \operatorname{relu}(W_k h_{k-1} + b_k)$, $h_0 = x$, and
an affine output $f(x) = W_L h_{L-1} + b_L$, every ReLU unit $u$ has a pre-activation
$z_u(x)$. An **activation pattern** $\sigma \in \{0,1\}^N$ records which units are active
($\sigma_u = 1 \iff z_u > 0$). On the set

$$R_\sigma = \{x \in D : z_u(x) \ge 0 \text{ if } \sigma_u = 1,\ z_u(x) \le 0 \text{ if } \sigma_u = 0\}$$

the network is one affine map: with $\Sigma_k = \operatorname{diag}(\sigma^{(k)})$,

$$f(x) = C_\sigma x + d_\sigma, \qquad C_\sigma = W_L \Sigma_{L-1} W_{L-1} \cdots \Sigma_1 W_1 .$$

By induction over the layers every $z_u$ is affine on $R_\sigma$, so $R_\sigma$ is a
polytope. The **linear regions** are the full-dimensional $R_\sigma$; they tile the domain
$D$. exactrelu finds all of them with exact rational arithmetic (a splitting tree: at each
cell the next unit is either stable, or the cell splits in two).
"""),
    code(r"""
%matplotlib inline
from collections import Counter
from fractions import Fraction
import math

from exactrelu import (load_model, box, enumerate_regions, region_graph, linear_pieces, evaluate,
                       activation_pattern)
from exactrelu.cli.demo import example_path
from exactrelu.model.random_nets import random_network
from exactrelu.plot.plots import plot_function_1d, plot_regions_2d, plot_surface_2d
"""),
    md(r"""
## One input

With one input the regions are intervals and the graph of $f$ is a polyline. The shipped
example `mlp_1x4x4.json` has one input and two hidden layers of 4 units.
"""),
    code(r"""
net1 = load_model(example_path("mlp_1x4x4.json"))
print("hidden widths:", net1.describe()["relu_layers"], "| ReLU units:", net1.n_relu)
part1 = enumerate_regions(net1, box([-2], [2]))
print(len(part1.regions), "regions on [-2, 2]")
for r in sorted(part1.regions, key=lambda r: min(r.vertices)):
    (C, d) = r.affine_map
    lo, hi = sorted(v[0] for v in r.vertices)
    print(f"[{str(lo):>12}, {str(hi):>12}]  pattern {r.pattern}  f(x) = {C[0][0]} x + {d[0]}")
"""),
    md(r"""
Every endpoint and coefficient is an exact rational. The region's map agrees with the
network at any point of the region (exact evaluation, no rounding):
"""),
    code(r"""
x = Fraction(1, 3)
r = part1.region_of([x])
print("f(1/3) =", evaluate(net1, [x])[0], "| from the region's map:", r.evaluate([x])[0],
      "| pattern", activation_pattern(net1, [x]), "=", r.pattern)
"""),
    md(r"""
A region boundary is a point where some unit switches. It is a **breakpoint** (a kink of
$f$) only if the affine map changes there; a unit can switch without changing $f$ (for
example when the units it feeds are all inactive). The plot marks both.
"""),
    code(r"""
plot_function_1d(part1)
"""),
    md(r"""
## Two inputs: regions, witnesses, facets

In 2-D the regions are convex polygons. Each region carries its pattern, an exact
**witness** point strictly inside it, its exact vertices, its facets (the
constraints that bound it) and its affine map.
"""),
    code(r"""
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
"""),
    md(r"""
## The adjacency graph

Two regions are **adjacent** when their closures meet in a piece of dimension $n-1$ (a
segment, in 2-D). The graph has one node per region and one edge per adjacent pair; each
edge records the separating hyperplane $c \cdot x + c_0 = 0$, an exact witness point in
the shared boundary piece, and the units whose bits differ.
"""),
    code(r"""
G = region_graph(part)
print(G.number_of_nodes(), "nodes,", G.number_of_edges(), "edges")
u, v, data = next(iter(G.edges(data=True)))
print(f"edge {u} -- {v}:", data)
print("units flipped per edge:", Counter(len(d["units"]) for _, _, d in G.edges(data=True)))
print("node degrees:", sorted(Counter(d for _, d in G.degree()).items()))
"""),
    md(r"""
Crossing a boundary flips exactly the units whose pre-activation vanishes on it, usually
one. Each edge below is drawn from one witness, through the edge's witness on the common
boundary, to the other witness: both regions are convex, so the path stays inside them.
"""),
    code(r"""
plot_regions_2d(part, G)
"""),
    md(r"""
Colouring by the number of active units shows the layered structure: the first-layer
hyperplanes are straight lines across the domain, deeper units bend at every line they
cross.
"""),
    code(r"""
plot_regions_2d(part, G, color_by="pattern", show_graph=False)
"""),
    code(r"""
plot_surface_2d(part)
"""),
    md(r"""
## Linear pieces

Adjacent regions can have the **same** affine map (the unit that switches does not
influence the output there). Merging them along such edges gives the **linear pieces**:
the connected components of the same-map edges. For the example every region is its own
piece; deeper random nets often have fewer pieces than regions.
"""),
    code(r"""
print("mlp_2x8x8:", len(part.regions), "regions,", len(linear_pieces(G)), "linear pieces")
deep = random_network([4, 4, 4], seed=0)
part_deep = enumerate_regions(deep, D)
G_deep = region_graph(part_deep)
print("random 4-4-4:", len(part_deep.regions), "regions,", len(linear_pieces(G_deep)), "linear pieces,",
      sum(1 for _, _, same in G_deep.edges(data="same_map") if same), "same-map edges (dashed below)")
"""),
    code(r"""
plot_regions_2d(part_deep, G_deep, color_by="piece")
"""),
    md(r"""
## Counting regions as width and depth grow

$w$ lines in general position cut the plane into $1 + w + \binom{w}{2}$ pieces
(Zaslavsky), so a one-hidden-layer net with $w$ units and 2 inputs has at most that many
regions. Deep nets *can* have exponentially many regions in the depth (Montúfar et al.,
2014), but typical ones have far fewer (Hanin & Rolnick, 2019). Below: exact counts on
$[-1,1]^2$ for random nets (`random_network`: weights $k/16$, $|k| \le 32$; biases
$k/16$, $|k| \le 16$), five seeds each.
"""),
    code(r"""
print(f"{'hidden widths':>14} {'units':>5}  {'regions for seeds 0..4':<28} {'mean':>6}  {'1-layer bound':>13}")
for widths in [[4], [8], [16], [4, 4], [8, 8], [4, 4, 4], [8, 8, 8]]:
    counts = [len(enumerate_regions(random_network(widths, seed=s), D).regions) for s in range(5)]
    bound = 1 + widths[0] + math.comb(widths[0], 2) if len(widths) == 1 else ""
    print(f"{str(widths):>14} {sum(widths):>5}  {str(counts):<28} {sum(counts) / 5:>6.1f}  {bound:>13}")
"""),
    md(r"""
The same 12 units arranged with more depth:
"""),
    code(r"""
for widths in [[12], [6, 6], [4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2, 2, 2]]:
    counts = [len(enumerate_regions(random_network(widths, seed=s), D).regions) for s in range(5)]
    print(f"{str(widths):>20}  {str(counts):<28} mean {sum(counts) / 5:.1f}")
"""),
    md(r"""
With these random weights the count does not grow with depth at a fixed number of units
(narrow layers lose information: a unit that is inactive everywhere, or a layer of width
2, caps what later layers can do). Counts of *worst cases* and counts of *typical* nets
are different questions; exact enumeration answers the second one for any given net.
"""),
]

# =============================================================================== 02
NB02 = [
    md(r"""
# 2. Deep to shallow: a deep ReLU network as a maximum of shallow ones

A **shallow network** (one hidden layer) is
$s(x) = c \cdot x + c_0 + \sum_u a_u \operatorname{relu}(w_u \cdot x + b_u)$.
Every continuous piecewise-linear function, so every deep ReLU network, is a
**maximum of shallow networks** (or a difference of two maxima). exactrelu builds such
representations in two ways and proves each one equal to the network, exactly:

* **weight level** (no regions needed): split the weights by sign;
* **region level**: the lattice (max-min) form of the linear regions, then the
  min-of-affine identity.

Both convert back to a ReLU network (`max(a, b) = b + relu(a - b)`), and
`exactrelu.shallow.compare` proves that network equal to the original on the domain (it
enumerates the regions of the difference network and finds the zero map on every one);
`representation_certificate` writes that proof for the independent checker. The lattice
form also has a direct certificate of its defining inequalities (`lattice_certificate`).
"""),
    code(r"""
%matplotlib inline
from exactrelu import load_model, box, enumerate_regions, evaluate, mlp, check_certificate
from exactrelu.cli.demo import example_path
from exactrelu.model.random_nets import random_network
from exactrelu.verify.equivalence import equivalent
from exactrelu.shallow import (sign_split, pattern_applicable, pattern_max, lattice_form, tropical_form,
                               compare, representation_certificate, lattice_certificate)
from exactrelu.plot.plots import plot_representation_terms_1d, plot_representation_terms_2d
"""),
    md(r"""
## 1. The weight-level transformation

Take two hidden layers, $f(x) = c + \sum_k v_k \operatorname{relu}(z_k(x))$, where each
$z_k$ is a shallow network of the first layer's units. Since
$\operatorname{relu}(t) = \max(0, t)$ and a sum of maxima is the maximum over all
choices, with $K^\pm = \{k : \pm v_k > 0\}$ and
$s_\delta(x) = \sum_k \delta_k |v_k| z_k(x)$ for $\delta \in \{0,1\}^K$:

$$f = c + \max_{\delta \subseteq K^+} s_\delta \; - \max_{\delta \subseteq K^-} s_\delta .$$

Every $s_\delta$ is a one-hidden-layer network over the first layer's units. Deeper
layers repeat the step, using
$\operatorname{relu}(\max P - \max Q) = \max(P \cup Q) - \max Q$, and the term sets
multiply. `sign_split` keeps them as a formula: counts are exact integers, evaluation is
exact, and `materialise()` lists the terms (under a limit).
"""),
    code(r"""
net1 = load_model(example_path("mlp_1x4x4.json"))
D1 = box([-2], [2])
ss1 = sign_split(net1)
print(ss1)
print(ss1.counts())
rep1 = ss1.materialise()
print("listed:", rep1.counts()["plus_terms"], "plus terms and", rep1.counts()["minus_terms"], "minus terms over",
      rep1.basis.size, "first-layer units (duplicate and dominated terms dropped)")
"""),
    md(r"""
The plus terms $p_i$ (solid) and the minus terms $q_j$ (dashed) against the network;
$\max_i p_i - \max_j q_j$ (dotted) lies exactly on it:
"""),
    code(r"""
plot_representation_terms_1d(net1, rep1, D1)
"""),
    md(r"""
Spot checks at the regions' witnesses are exact, but only a proof covers every point:
"""),
    code(r"""
part1 = enumerate_regions(net1, D1)
print("agrees at every region witness:",
      all(rep1.evaluate(r.witness) == evaluate(net1, r.witness)[0] for r in part1.regions))
print("as a network: widths", rep1.to_network().widths)
eq = compare(rep1, net1, D1)
print("equal on [-2, 2]:", eq.equivalent, "| regions of the difference network:", eq.regions_checked)
print(check_certificate(representation_certificate(rep1, net1, D1)).claim, "certificate: valid")
"""),
    md(r"""
The same for a 2-input network with two hidden layers of 3 units:
"""),
    code(r"""
net = random_network([3, 3], seed=0)
D = box([-1, -1], [1, 1])
rep = sign_split(net).materialise()
print(rep.counts())
print("equal on [-1, 1]^2:", compare(rep, net, D).equivalent)
"""),
    md(r"""
### A pure max when the deep weights are non-negative

If every weight leaving a unit of layer 2 or later is $\ge 0$, then
$f = \max_\sigma f_\sigma$ over the activation patterns $\sigma$ of those units, where
$f_\sigma$ replaces each such unit $u$ by $\sigma_u z_u$: a pure maximum of
$2^{N - n_1}$ shallow networks ($N$ units, $n_1$ in the first layer). Each $f_\sigma$ is
$\le f$ (a ReLU is the max of 0 and its argument, and the weights are non-negative), and
the true pattern gives equality.
"""),
    code(r"""
pos = mlp(1, [([[1], [-1], [2]], [0, 0, -1]), ([[1, 1, 0], [0, 1, 1]], [0, "-1/2"]), ([[1, 2]], [0])])
print("applicable:", pattern_applicable(pos))
pm = pattern_max(pos)
print(pm.counts())
print("equal:", compare(pm, pos, D1).equivalent)
plot_representation_terms_1d(pos, pm, D1)
"""),
    md(r"""
## 2. The region-level (lattice) form

Let $l_1, \dots, l_m$ be the affine maps of the regions $R_1, \dots, R_m$
($f = l_i$ on $R_i$), and $S_i = \{j : l_j \ge l_i \text{ on } R_i\}$ (exact: check the
region's vertices). On a convex domain (Tarela–Martínez, Ovchinnikov)

$$f = \max_i \min_{j \in S_i} l_j .$$

On $R_i$ the term $i$ equals $l_i = f$; and for any other term $k$ there is some
$j \in S_k$ with $l_j \le f$ on $R_i$, so no term exceeds $f$. Each min of affine
functions is a max of shallow networks:

$$\min_j l_j = \max_k \Big[ l_k - \sum_{j \ne k} \operatorname{relu}(l_k - l_j) \Big],$$

since each bracket equals $l_k$ where $l_k$ is the minimum and is below every $l_j$
everywhere. So $f$ is a pure max of shallow networks.
"""),
    code(r"""
lf1 = lattice_form(net1, D1)
print(lf1.counts())
print("pieces l_j (slope, offset):", [tuple(str(v) for v in p) for p in lf1.pieces])
print("sets S_t:", lf1.terms)
"""),
    code(r"""
plot_representation_terms_1d(net1, lf1, D1)
"""),
    code(r"""
report = check_certificate(lattice_certificate(lf1))
print("lattice certificate:", report.claim, "valid over", report.leaves, "regions")
sh1 = lf1.to_shallow()
print(sh1.counts())
print("as a max of shallow networks, equal:", compare(sh1, net1, D1).equivalent)
plot_representation_terms_1d(net1, sh1, D1)
"""),
    md(r"""
In 2-D, the lattice form of the $3$-$3$ network; the picture shows, at each point, which
min-term attains the max (the regions' outlines on top):
"""),
    code(r"""
lf = lattice_form(net, D)
print(lf.counts())
print("equal:", compare(lf, net, D).equivalent, "| certificate:", check_certificate(lattice_certificate(lf)).claim)
plot_representation_terms_2d(net, lf, D, resolution=61)
"""),
    md(r"""
## 3. Size against depth, at a fixed number of units

Twelve ReLU units arranged as $[12]$, $[6,6]$, $[4,4,4]$, $[3,3,3,3]$, $[2]^6$ (random
weights, seed 0, on $[-1,1]^2$). For each: the number of shallow terms and their total
hidden units in the weight-level form (exact counts from the formula, never listed), the
number of affine terms of the tropical form $F - G$ (notebook 3), and the lattice form's
shallow terms with the number of regions it was built from.
"""),
    code(r"""
print(f"{'widths':>20} | {'sign-split terms':>22} {'hidden units':>22} | {'tropical terms':>30} | "
      f"{'lattice terms':>13} {'regions':>7}")
for widths in [[12], [6, 6], [4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2, 2, 2]]:
    n = random_network(widths, seed=0)
    c = sign_split(n).counts()
    t = tropical_form(n).counts()
    l = lattice_form(n, D).counts()
    print(f"{str(widths):>20} | {c['terms']:>22} {c['hidden_units']:>22} | {t['terms']:>30} | "
          f"{l['terms']:>13} {l['regions']:>7}")
"""),
    md(r"""
The weight-level form explodes with depth: each layer multiplies the term sets of the
layer below (the one-layer net is already shallow: one term). The region-level form
follows the *function* instead (its regions and distinct pieces), which here does not
get more complex with depth (notebook 1): it is large for the wide one-layer net and
tiny for the $[2]^6$ net, whose narrow layers leave few regions. Both are exact
representations of the same networks; which is smaller depends on the network.

## 4. Residual versus plain

`random_network(widths, seed, residual=True)` has the **same weights** plus identity skips
$h_k = \operatorname{relu}(W_k h_{k-1} + h_{k-2} + b_k)$. A skip adds the term sets of
$h_{k-2}$ into a sum, which multiplies the counts, unless $h_{k-2}$ is the input or a
first-layer unit (already shallow): for $[6, 6]$ and $[4, 4, 4]$ the skips come from
there, and the term counts do not change. With more layers they do. The residual
functions also have more regions here, and larger lattice forms.
"""),
    code(r"""
print(f"{'widths':>20} {'':>9} | {'sign-split terms':>22} {'hidden units':>22} | {'lattice terms':>13} {'regions':>7}")
for widths in [[6, 6], [4, 4, 4], [3, 3, 3, 3], [2, 2, 2, 2, 2, 2]]:
    for residual in (False, True):
        n = random_network(widths, seed=0, residual=residual)
        c = sign_split(n).counts()
        l = lattice_form(n, D).counts()
        print(f"{str(widths):>20} {'residual' if residual else 'plain':>9} | {c['terms']:>22} "
              f"{c['hidden_units']:>22} | {l['terms']:>13} {l['regions']:>7}")
"""),
    md(r"""
A residual representation, listed and proved equal to its network:
"""),
    code(r"""
res_net = random_network([3, 3, 3], seed=0, residual=True)
res_rep = sign_split(res_net).materialise()
print(res_rep.counts()["terms"], "terms; as a network of widths", res_rep.to_network().widths)
eq = compare(res_rep, res_net, D)
print("equal:", eq.equivalent, "| regions of the difference network:", eq.regions_checked)
"""),
]

# =============================================================================== 03
NB03 = [
    md(r"""
# 3. Lattice and tropical forms, rendered as formulas

Two closed forms of a ReLU network, printed with sympy and checked exactly.

**Lattice form** (notebook 2): with the distinct affine pieces $l_j$ of the network on a
convex domain and index sets $S_t$,
$$f = \max_t \min_{j \in S_t} l_j .$$

**Tropical form** (Zhang, Naitzat & Lim, 2018). In the tropical semiring
$(\mathbb{R}, \oplus = \max, \odot = +)$ a tropical polynomial is a max-affine function
$\max_i (a_i \cdot x + b_i)$: convex and piecewise linear. A ReLU network is a
**tropical rational function**, a difference $f = F - G$ of two of them. Write each
weight matrix as $A = A^+ - A^-$ (entrywise positive and negative parts) and carry
every layer's output as $F_l - G_l$ with $F_0 = x$, $G_0 = 0$:

$$H_l = A^+ F_{l-1} + A^- G_{l-1} + b, \qquad G_l = A^- F_{l-1} + A^+ G_{l-1},$$
$$F_l = \max(H_l, G_l) \text{ for a ReLU layer}, \qquad F_L = H_L \text{ for the affine output.}$$

Indeed $A h = (A^+ F + A^- G) - (A^- F + A^+ G) = H - G$, and
$\operatorname{relu}(H - G) = \max(H, G) - G$. Sums of maxima are maxima of sums, so $F$
and $G$ stay max-affine; their term counts multiply layer by layer.
"""),
    code(r"""
from fractions import Fraction

import sympy
from IPython.display import Math, display

from exactrelu import mlp, box, enumerate_regions, evaluate
from exactrelu.model.random_nets import random_network
from exactrelu.shallow import lattice_form, tropical_form, sign_split, compare
from exactrelu.shallow.symbolic import piecewise_expression
"""),
    md(r"""
## A network with one input

$f(x) = \operatorname{relu}(h_1 + h_2 - \tfrac12) - \operatorname{relu}(h_1 - h_2)$ with
$h_1 = \operatorname{relu}(x)$, $h_2 = \operatorname{relu}(-x)$, on $[-2, 2]$ (the
formulas print the input as $x_0$):
"""),
    code(r"""
tiny = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1], [1, -1]], ["-1/2", 0]), ([[1, -1]], [0])])
D1 = box([-2], [2])
part = enumerate_regions(tiny, D1)
for r in part.regions:
    print("pattern", r.pattern, "on", sorted(str(v[0]) for v in r.vertices), "f =", r.affine_map[0][0][0], "x +",
          r.affine_map[1][0])
"""),
    md(r"""
The same function as a sympy `Piecewise` over the regions (each region's map with its
facet inequalities):
"""),
    code(r"""
display(Math("f(x_0) = " + sympy.latex(piecewise_expression(part))))
"""),
    md(r"""
### Lattice form
"""),
    code(r"""
lf = lattice_form(tiny, D1)
print(lf.counts())
display(Math("f(x_0) = " + lf.to_latex()))
"""),
    md(r"""
The sympy expression is exact (rational coefficients): substitute rationals and compare
with the network's exact value.
"""),
    code(r"""
expr = lf.to_sympy()
(x0,) = sorted(expr.free_symbols, key=str)
for v in [Fraction(-3, 2), Fraction(-1, 4), Fraction(0), Fraction(1, 3), Fraction(7, 4)]:
    print(f"x = {str(v):>5}:  sympy {str(expr.subs(x0, sympy.Rational(v.numerator, v.denominator))):>5}"
          f"   network {str(evaluate(tiny, [v])[0]):>5}")
"""),
    md(r"""
### Tropical form

The formula as the recursion builds it (sums of maxima, compact), then expanded into
$\max(\dots) - \max(\dots)$ of affine terms, with terms that another term dominates on
the domain removed:
"""),
    code(r"""
tf = tropical_form(tiny)
print(tf.counts())
display(Math("f(x_0) = " + tf.to_latex()))
"""),
    code(r"""
trop = tf.materialise(domain=D1)
print(len(trop.plus), "terms in F,", len(trop.minus), "in G")
display(Math("f(x_0) = " + trop.to_latex()))
print("F - G equals the network on [-2, 2]:", compare(trop, tiny, D1).equivalent)
"""),
    md(r"""
### The weight-level form, for comparison

Its terms are one-hidden-layer networks over the first layer's units; a ReLU can be
printed as $\max(0, \cdot)$ or as a piecewise function:
"""),
    code(r"""
ws = sign_split(tiny).materialise()
display(Math("f(x_0) = " + ws.to_latex()))
display(Math("f(x_0) = " + ws.to_latex(relu="piecewise")))
"""),
    md(r"""
## Two inputs

A random network with two hidden layers of 2 units on $[-1, 1]^2$:
"""),
    code(r"""
net = random_network([2, 2], seed=6)
D = box([-1, -1], [1, 1])
lf2 = lattice_form(net, D)
print(lf2.counts())
display(Math("f(x_0, x_1) = " + lf2.to_latex()))
print("lattice form equals the network:", compare(lf2, net, D).equivalent)
"""),
    code(r"""
tf2 = tropical_form(net)
print("tropical formula:", tf2.counts()["plus_terms"], "terms in F,", tf2.counts()["minus_terms"], "in G")
trop2 = tf2.materialise(domain=D)
print("after removing dominated terms:", len(trop2.plus), "in F,", len(trop2.minus), "in G")
display(Math("f(x_0, x_1) = " + trop2.to_latex()))
print("F - G equals the network:", compare(trop2, net, D).equivalent)
"""),
    md(r"""
$F$ and $G$ are convex; their difference is not. The lattice form uses the regions (a
global, function-level object), the tropical form only the weights, so its size follows
the architecture: on deeper networks the tropical counts grow like products over the
layers (see the table in notebook 2).
"""),
]

# =============================================================================== 04
NB04 = [
    md(r"""
# 4. Certificates: proofs a small checker can re-verify

Every claim exactrelu makes comes with a JSON **certificate**. The checker
(`exactrelu.checker`, standard library only, imports nothing else from exactrelu) re-reads
the network, recomputes every affine map from the weights itself, and checks the evidence
with exact rational arithmetic. It never solves an LP. Two kinds of evidence suffice:

* a **witness point**: a rational point where constraints are evaluated exactly; a point
  strictly inside all constraints of a cell proves the cell is full-dimensional;
* a **Farkas vector**: to prove $g(x) = q \cdot x + q_0 \le 0$ on a cell
  $\{x : A x \le b\}$, multipliers $y \ge 0$ with $A^\top y = q$ and $b \cdot y + q_0 \le 0$;
  then $g(x) = y^\top (A x - b) + (b \cdot y + q_0) \le 0$ on the cell.

A **partition certificate** is the splitting tree: at each cell, the next units are
either stable (a Farkas vector proves $z_u \ge 0$ or $z_u \le 0$ on the cell) or the
cell is split on a unit (one witness with $z_u > 0$ and one with $z_u < 0$, both strictly
inside the cell). The leaves are the linear regions.
"""),
    code(r"""
import copy
import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

from exactrelu import box, enumerate_regions, partition_certificate, write_certificate, check_certificate
from exactrelu.checker import CertificateInvalid, CertificateMalformed
from exactrelu.model.random_nets import random_network

net = random_network([3, 2], seed=14)
part = enumerate_regions(net, box([-1, -1], [1, 1]))
cert = partition_certificate(part)
print(len(part.regions), "regions;", len(cert["nodes"]), "tree nodes;", len(cert["adjacency"]), "adjacencies")
print("top-level keys:", list(cert))
"""),
    md(r"""
## The JSON structure

All numbers are strings `"p/q"`. The network is embedded exactly (or referenced by path
with its SHA-256); the domain is $A x \le b$:
"""),
    code(r"""
print(json.dumps(cert["network"]["layers"][0], indent=None))
print("domain A:", cert["domain"]["A"], " b:", cert["domain"]["b"])
print("root witness:", cert["root_witness"])
"""),
    md(r"""
### A node with a decision and a split

The root cell is the whole domain. Its record says: unit 1 is **stable active** (proved
by a Farkas vector), and the cell is **split** on unit 0, with one witness on each side.
With two inputs the Farkas vector is written as a **vertex basis** `[i, j]`: the two cell
rows tight at the vertex where $z_1$ is smallest. The checker recovers the multipliers
on those two rows itself, by Cramer's rule, and tests them exactly as if they were written
out (with more inputs, or at a vertex where more rows meet, the multipliers are written out).
"""),
    code(r"""
print(json.dumps(cert["nodes"][0]))
"""),
    md(r"""
Check the decision by hand. Unit 1 (layer 1) has pre-activation
$z_1(x) = w \cdot x + b$; the claim `"+"` is $z_1 \ge 0$, i.e. $g = -z_1 \le 0$, so
$q = -w$, $q_0 = -b$. The basis `[1, 3]` names domain rows 1 and 3 ($-x_0 \le 1$,
$-x_1 \le 1$), tight at the corner $(-1, -1)$; solving $y_1 A_1 + y_3 A_3 = q$ puts weight
$y_1$ on row 1. The identity $A^\top y = q$ and the sign condition $b \cdot y + q_0 \le 0$
are plain arithmetic:
"""),
    code(r"""
from exactrelu.certificate.partition import vertex_basis_multipliers

unit, sign, basis = cert["nodes"][0]["decisions"][0]
layer1 = cert["network"]["layers"][0]
w = [Fraction(v) for v in layer1["inputs"][0]["weight"][unit]]
b1 = Fraction(layer1["bias"][unit])
A = [[Fraction(v) for v in row] for row in cert["domain"]["A"]]
b = [Fraction(v) for v in cert["domain"]["b"]]
y = vertex_basis_multipliers(A, [-v for v in w], basis)
print("unit", unit, sign, "| z(x) =", [str(v) for v in w], "· x +", b1, "| y =", {k: str(v) for k, v in y.items()})
print("A^T y =", [str(sum(y[i] * A[i][j] for i in y)) for j in range(2)], " q = -w =", [str(-v) for v in w])
print("b·y + q0 =", sum(y[i] * b[i] for i in y) - b1, "<= 0")
"""),
    md(r"""
Deeper in the tree, a cell's rows are the domain rows **followed by one row per split on
the path** (row 4 is the first split's row, and so on); a Farkas vector may use them. A
leaf has decided every unit; the `regions` list gives each leaf's pattern and exact map
$y = Cx + d$, and `adjacency` the graph's edges with their witnesses.
"""),
    code(r"""
print(json.dumps(cert["nodes"][-1]))
print(json.dumps(cert["regions"][0]))
print(json.dumps(cert["adjacency"][0]))
"""),
    md(r"""
## Checking

`check_certificate` returns a report when every rule holds and raises `CertificateInvalid`
(naming the rule) when one fails. The same check runs from the command line on a file,
with the standard library only.
"""),
    code(r"""
report = check_certificate(cert)
print(report.valid, report.claim, "| leaves:", report.leaves, "| adjacency pairs:", report.adjacency_pairs,
      "| stable decisions:", report.stable_decisions, "| splits:", report.splits)
"""),
    code(r"""
tmp = Path(tempfile.mkdtemp())
write_certificate(cert, tmp / "partition.json")
!{sys.executable} -m exactrelu.checker {tmp / "partition.json"}; echo "exit status $?"
"""),
    md(r"""
## Tampering

Change one thing and the checker says which rule broke.

**Move a witness**: put the positive side's witness on the negative side of the split.
"""),
    code(r"""
bad = copy.deepcopy(cert)
bad["nodes"][0]["split"]["witness_pos"] = bad["nodes"][0]["split"]["witness_neg"]
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)
"""),
    md(r"""
**Change the vertex basis** above to `[0, 2]`, the corner $(1, 1)$ where $z_1$ is largest:
the multipliers solved for there are negative, so they prove nothing.
"""),
    code(r"""
bad = copy.deepcopy(cert)
bad["nodes"][0]["decisions"][0][2] = [0, 2]
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)
"""),
    md(r"""
**Change a weight** of unit 1 ($1/8 \to 1/2$): now $z_1$ takes negative values on the
domain, so the stability claim is false and no Farkas vector can prove it.
"""),
    code(r"""
bad = copy.deepcopy(cert)
bad["network"]["layers"][0]["inputs"][0]["weight"][1][0] = "1/2"
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)
"""),
    md(r"""
**Change an output weight**: the tree is still a valid partition, but the affine maps the
checker recomputes no longer match the claimed ones.
"""),
    code(r"""
bad = copy.deepcopy(cert)
bad["network"]["layers"][-1]["inputs"][0]["weight"][0][0] = "1"
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)
"""),
    md(r"""
**Drop a region**, **move an adjacency witness**, or **write a JSON float**:
"""),
    code(r"""
bad = copy.deepcopy(cert)
del bad["regions"][-1]
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)

bad = copy.deepcopy(cert)
bad["adjacency"][0]["witness"] = bad["root_witness"]
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)

bad = copy.deepcopy(cert)
bad["root_witness"] = [0.5, 0.25]
try:
    check_certificate(bad)
except CertificateMalformed as exc:
    print("not a certificate:", exc.message)
"""),
    md(r"""
The command line reports a rejection with exit status 1 and the rule name:
"""),
    code(r"""
bad = copy.deepcopy(cert)
bad["network"]["layers"][0]["inputs"][0]["weight"][1][0] = "1/2"
write_certificate(bad, tmp / "tampered.json")
!{sys.executable} -m exactrelu.checker {tmp / "tampered.json"}; echo "exit status $?"
"""),
]

# =============================================================================== 05
NB05 = [
    md(r"""
# 5. Float versus exact: where float32 goes wrong

A float implementation of a network rounds after every operation. Usually the result is
close to the exact value of $f$; it is *wrong* where rounding changes a **sign** that
matters: a ReLU's pre-activation (the float run is then in a different linear region) or
the comparison of two outputs (a different decision). Large weights that cancel make
rounding errors large.

exactrelu evaluates the network exactly at the very point the float run sees: every
float is a dyadic rational, so `Fraction(x)` of a float32 input is exact.
"""),
    code(r"""
%matplotlib inline
from fractions import Fraction
import numpy as np

from exactrelu import mlp, box, enumerate_regions, evaluate, evaluate_float, activation_pattern
from exactrelu.crosscheck.crosscheck import crosscheck, sliver_network
from exactrelu.crosscheck.report import format_table, plot_report
from exactrelu.plot.plots import plot_float_disagreements_2d
"""),
    md(r"""
## Cancellation in one line

$f(x) = \operatorname{relu}(10^8 x + 1) - \operatorname{relu}(10^8 x)$ is exactly $1$ for
$x \ge 0$. All weights are float32 numbers, but $10^8 x + 1$ is rounded to a multiple of
8 near $3 \cdot 10^7$: the float32 result is 0 or 8.
"""),
    code(r"""
net = mlp(1, [([[10**8], [10**8]], [1, 0]), ([[1, -1]], [0])])
X = np.array([[0.3], [0.5], [0.123456789], [1e-9]], dtype=np.float32)
y32 = evaluate_float(net, X, dtype="float32")
y64 = evaluate_float(net, X, dtype="float64")
for x, a, c in zip(X[:, 0], y32[:, 0], y64[:, 0]):
    exact = evaluate(net, [Fraction(float(x))])[0]
    print(f"x = {float(x)!r:<24} exact {str(exact):>3}   float32 {a:>4}   float64 {c}")
"""),
    md(r"""
## A 2-D network with float slivers

`sliver_network()` computes $\operatorname{relu}(\pm s(x))$ for three lines $s$ as
$B_1 - 2B_2 + s(x)$ where $B_1 = 2B_2 \approx 3000$ exactly; in float32 the cancelling
terms leave an error around $\operatorname{ulp}(3000) \approx 2.4 \cdot 10^{-4}$. Its two
outputs tie exactly along a line, so the arg-max decision is fragile there.

`crosscheck` searches for disagreements: random points, but mostly points next to exact
region **vertices**, unit hyperplanes (**facets**) and decision **ties**, moved by a few
ulps. Every reported error is exact.
"""),
    code(r"""
snet = sliver_network()
D = box([-1, -1], [1, 1])
spart = enumerate_regions(snet, D)
rep = crosscheck(snet, D, backend="numpy32", points=1500, seed=0, partition=spart)
print(format_table(rep, flips=2))
"""),
    md(r"""
Random sampling finds nothing; the exact anchors find hundreds of flips. One decision
flip, re-evaluated: the input is float-representable, so both sides see the same point.
"""),
    code(r"""
flip = rep.decision_flips[0]
x = flip.input
print("input (exact):", [str(v) for v in x])
print("exact outputs:", [str(v) for v in evaluate(snet, x)], "-> arg-max", flip.exact_decision)
y32 = evaluate_float(snet, [[float(v) for v in x]], dtype="float32")[0]
print("float32      :", [repr(float(v)) for v in y32], "-> arg-max", int(np.argmax(y32)))
print("exact error  :", flip.abs_error, "~", float(flip.abs_error))
"""),
    md(r"""
Where are they? Pattern flips sit on the unit hyperplanes (region boundaries), decision
flips on the tie line $y_0 = y_1$; colour = exact absolute output error.
"""),
    code(r"""
pts = [f.input for f in rep.decision_flips + rep.pattern_flips]
errs = [f.abs_error for f in rep.decision_flips + rep.pattern_flips]
plot_float_disagreements_2d(spart, pts, values=errs, label="|exact - float32|")
"""),
    code(r"""
plot_report(rep)
"""),
    md(r"""
## float64

The same search against float64: the rounding errors shrink by a factor of about
$2^{29}$, and so do the slivers, but they do not vanish: next to an exact tie or an exact
zero pre-activation any rounding error can flip a sign.
"""),
    code(r"""
rep64 = crosscheck(snet, D, backend="numpy64", points=600, seed=0, partition=spart)
print("float64: max |error| =", float(rep64.max_abs_error), "| pattern flips:", rep64.n_pattern_flips,
      "| decision flips:", rep64.n_decision_flips)
"""),
]

# =============================================================================== 06
NB06 = [
    md(r"""
# 6. Verification, compression and exact bounds

A VNN-LIB property gives an input box and a disjunction of linear constraints on the
outputs; an input satisfying them is a **counterexample**. exactrelu answers `violated`
with an exact rational counterexample (re-evaluated exactly, and also in float), or
`holds` with a certificate: on every linear region, each disjunct's constraints are
infeasible, proved by a Farkas vector. It answers `unknown` when a time limit stops the
region walk; nothing is claimed then.
"""),
    code(r"""
%matplotlib inline
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
"""),
    md(r"""
The VNN-COMP 2022 `test` family is read from the shared benchmark folder next to the
repository (`../shared/benchmarks/`, never copied into it). Without it the benchmark
cells print a message and do nothing.
"""),
    code(r"""
ROOT = Path.cwd().parent if Path.cwd().name == "notebooks" else Path.cwd()
BENCH = ROOT.parent / "shared" / "benchmarks" / "vnncomp2022" / "test"
HAVE_BENCH = (BENCH / "instances.csv").exists()
print(BENCH.resolve(), "found" if HAVE_BENCH else "is missing: the VNN-COMP cells below are skipped")
"""),
    md(r"""
## The `test` family

Each instance is `network, property, timeout`. We give each at most 10 s here (the
`test_unsat` ACAS Xu instance needs far more regions than that: it ends `unknown`).
"""),
    code(r"""
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
"""),
    md(r"""
### A violated property

The counterexample is an exact rational input. Its exact output satisfies the property's
output constraints (checked exactly); the float64 run agrees here (`float_confirms`).
The `counterexample` certificate is just the point, which the checker re-executes.
"""),
    code(r"""
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
"""),
    md(r"""
### A property that holds

The certificate holds the splitting tree of each input region and, per leaf and
disjunct, the Farkas vector proving the disjunct's constraints infeasible there.
"""),
    code(r"""
if HAVE_BENCH:
    net, prop, res = results["test_small.onnx"]
    cert = property_certificate(net, prop, res)
    print("verdict:", res.verdict, "| regions:", res.regions)
    print("proofs:", [p for part in cert["partitions"] for p in part["proofs"]])
    report = check_certificate(cert)
    print(report.claim, "certificate valid:", report.valid)
"""),
    md(r"""
## Compression: stable units, removed exactly

A unit is **stably inactive** on a domain if $z_u \le 0$ everywhere (remove it), **stably
active** if $z_u \ge 0$ everywhere ($\operatorname{relu}(z_u) = z_u$: fold it into the
layers that read it). On a small domain many units are stable. The compressed network is
then proved **equivalent** to the original on the domain: the difference network
$x \mapsto a(x) - b(x)$ has the zero map on every one of its linear regions, and the
certificate of that is checked.
"""),
    code(r"""
big = random_network([8, 8], seed=3)
small_box = box([0, 0], ["1/4", "1/4"])
res = compress(big, small_box)
print("stable units:", res.stable)
print("widths before:", big.widths, "after:", res.compressed.widths)
print(res.summary())
report = check_certificate(res.certificate())
print(report.claim, "certificate valid:", report.valid, "| regions of the difference network:", report.leaves)
"""),
    md(r"""
## Exact output bounds

On each region the output is affine, so its extremes are at region vertices; the
global extremes are exact rationals attained at exact arg-max points. Sampling can only
bound them from inside.
"""),
    code(r"""
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
"""),
]


NOTEBOOKS = {
    "01_regions_and_graph": NB01,
    "02_deep_to_shallow": NB02,
    "03_lattice_and_tropical": NB03,
    "04_certificates": NB04,
    "05_float_vs_exact": NB05,
    "06_verify_and_compress_vnncomp": NB06,
}


def build() -> dict[str, str]:
    """``{file name: notebook JSON text}`` for every notebook."""
    return {f"{stem}.ipynb": nbformat.writes(make(stem, cells)) + "\n" for stem, cells in NOTEBOOKS.items()}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = []
    for name, text in build().items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != text:
                stale.append(name)
        else:
            path.write_text(text)
            print("wrote", path)
    if stale:
        print("out of date (run python notebooks/build_notebooks.py):", ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
