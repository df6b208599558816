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
# # 3. Lattice and tropical forms, rendered as formulas
#
# Two closed forms of a ReLU network, printed with sympy and checked exactly.
#
# **Lattice form** (notebook 2): with the distinct affine pieces $l_j$ of the network on a
# convex domain and index sets $S_t$,
# $$f = \max_t \min_{j \in S_t} l_j .$$
#
# **Tropical form** (Zhang, Naitzat & Lim, 2018). In the tropical semiring
# $(\mathbb{R}, \oplus = \max, \odot = +)$ a tropical polynomial is a max-affine function
# $\max_i (a_i \cdot x + b_i)$: convex and piecewise linear. A ReLU network is a
# **tropical rational function**, a difference $f = F - G$ of two of them. Write each
# weight matrix as $A = A^+ - A^-$ (entrywise positive and negative parts) and carry
# every layer's output as $F_l - G_l$ with $F_0 = x$, $G_0 = 0$:
#
# $$H_l = A^+ F_{l-1} + A^- G_{l-1} + b, \qquad G_l = A^- F_{l-1} + A^+ G_{l-1},$$
# $$F_l = \max(H_l, G_l) \text{ for a ReLU layer}, \qquad F_L = H_L \text{ for the affine output.}$$
#
# Indeed $A h = (A^+ F + A^- G) - (A^- F + A^+ G) = H - G$, and
# $\operatorname{relu}(H - G) = \max(H, G) - G$. Sums of maxima are maxima of sums, so $F$
# and $G$ stay max-affine; their term counts multiply layer by layer.

# %%
# %matplotlib inline
from fractions import Fraction

import sympy
from IPython.display import Math, display

from exactrelu import mlp, box, enumerate_regions, evaluate
from exactrelu.model.random_nets import random_network
from exactrelu.shallow import lattice_form, tropical_form, sign_split, compare
from exactrelu.shallow.symbolic import piecewise_expression
from exactrelu.plot.lattice import active_terms, plot_lattice_terms_1d, plot_lattice_terms_2d

# %% [markdown]
# ## A network with one input
#
# $f(x) = \operatorname{relu}(h_1 + h_2 - \tfrac12) - \operatorname{relu}(h_1 - h_2)$ with
# $h_1 = \operatorname{relu}(x)$, $h_2 = \operatorname{relu}(-x)$, on $[-2, 2]$ (the
# formulas print the input as $x_0$):

# %%
tiny = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1], [1, -1]], ["-1/2", 0]), ([[1, -1]], [0])])
D1 = box([-2], [2])
part = enumerate_regions(tiny, D1)
for r in part.regions:
    print("pattern", r.pattern, "on", sorted(str(v[0]) for v in r.vertices), "f =", r.affine_map[0][0][0], "x +",
          r.affine_map[1][0])

# %% [markdown]
# The same function as a sympy `Piecewise` over the regions (each region's map with its
# facet inequalities):

# %%
display(Math("f(x_0) = " + sympy.latex(piecewise_expression(part))))

# %% [markdown]
# ### Lattice form

# %%
lf = lattice_form(tiny, D1)
print(lf.counts())
display(Math("f(x_0) = " + lf.to_latex()))

# %% [markdown]
# Which term is the maximum where? On each region the network is one affine piece $l_i$, and
# some term $t_k = \min_{j \in S_k} l_j$ equals it there while every other term lies below.
# Below: the terms (dashed), and the network (thick) coloured on each region by the term
# that attains the max there; the light bands are the regions.

# %%
print("active term per region (left to right):",
      [t for _, t in sorted(zip([min(r.vertices) for r in lf.partition.regions], active_terms(lf)))])
plot_lattice_terms_1d(lf)

# %% [markdown]
# The sympy expression is exact (rational coefficients): substitute rationals and compare
# with the network's exact value.

# %%
expr = lf.to_sympy()
(x0,) = sorted(expr.free_symbols, key=str)
for v in [Fraction(-3, 2), Fraction(-1, 4), Fraction(0), Fraction(1, 3), Fraction(7, 4)]:
    print(f"x = {str(v):>5}:  sympy {str(expr.subs(x0, sympy.Rational(v.numerator, v.denominator))):>5}"
          f"   network {str(evaluate(tiny, [v])[0]):>5}")

# %% [markdown]
# ### Tropical form
#
# The formula as the recursion builds it (sums of maxima, compact), then expanded into
# $\max(\dots) - \max(\dots)$ of affine terms, with terms that another term dominates on
# the domain removed:

# %%
tf = tropical_form(tiny)
print(tf.counts())
display(Math("f(x_0) = " + tf.to_latex()))

# %%
trop = tf.materialise(domain=D1)
print(len(trop.plus), "terms in F,", len(trop.minus), "in G")
display(Math("f(x_0) = " + trop.to_latex()))
print("F - G equals the network on [-2, 2]:", compare(trop, tiny, D1).equivalent)

# %% [markdown]
# ### The weight-level form, for comparison
#
# Its terms are one-hidden-layer networks over the first layer's units; a ReLU can be
# printed as $\max(0, \cdot)$ or as a piecewise function:

# %%
ws = sign_split(tiny).materialise()
display(Math("f(x_0) = " + ws.to_latex()))
display(Math("f(x_0) = " + ws.to_latex(relu="piecewise")))

# %% [markdown]
# ## Two inputs
#
# A random network with two hidden layers of 2 units on $[-1, 1]^2$:

# %%
net = random_network([2, 2], seed=6)
D = box([-1, -1], [1, 1])
lf2 = lattice_form(net, D)
print(lf2.counts())
display(Math("f(x_0, x_1) = " + lf2.to_latex()))
print("lattice form equals the network:", compare(lf2, net, D).equivalent)

# %% [markdown]
# The same picture in 2-D: each region is filled with the colour of the term that attains
# the maximum on it. A term is active on a union of regions; together the active terms
# cover the domain.

# %%
plot_lattice_terms_2d(lf2)

# %% [markdown]
# A network with more regions (two hidden layers of 4 units): many regions share a term.

# %%
lf3 = lattice_form(random_network([4, 4], seed=0), D)
print(lf3.counts())
plot_lattice_terms_2d(lf3)

# %%
tf2 = tropical_form(net)
print("tropical formula:", tf2.counts()["plus_terms"], "terms in F,", tf2.counts()["minus_terms"], "in G")
trop2 = tf2.materialise(domain=D)
print("after removing dominated terms:", len(trop2.plus), "in F,", len(trop2.minus), "in G")
display(Math("f(x_0, x_1) = " + trop2.to_latex()))
print("F - G equals the network:", compare(trop2, net, D).equivalent)

# %% [markdown]
# $F$ and $G$ are convex; their difference is not. The lattice form uses the regions (a
# global, function-level object), the tropical form only the weights, so its size follows
# the architecture: on deeper networks the tropical counts grow like products over the
# layers (see the table in notebook 2).
