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
# # 4. Certificates: proofs a small checker can re-verify
#
# Every claim exactrelu makes comes with a JSON **certificate**. The checker
# (`exactrelu.checker`, standard library only, imports nothing else from exactrelu) re-reads
# the network, recomputes every affine map from the weights itself, and checks the evidence
# with exact rational arithmetic. It never solves an LP. Two kinds of evidence suffice:
#
# * a **witness point**: a rational point where constraints are evaluated exactly; a point
#   strictly inside all constraints of a cell proves the cell is full-dimensional;
# * a **Farkas vector**: to prove $g(x) = q \cdot x + q_0 \le 0$ on a cell
#   $\{x : A x \le b\}$, multipliers $y \ge 0$ with $A^\top y = q$ and $b \cdot y + q_0 \le 0$;
#   then $g(x) = y^\top (A x - b) + (b \cdot y + q_0) \le 0$ on the cell.
#
# A **partition certificate** is the splitting tree: at each cell, the next units are
# either stable (a Farkas vector proves $z_u \ge 0$ or $z_u \le 0$ on the cell) or the
# cell is split on a unit (one witness with $z_u > 0$ and one with $z_u < 0$, both strictly
# inside the cell). The leaves are the linear regions.

# %%
# %matplotlib inline
import copy
import json
import sys
import tempfile
from fractions import Fraction
from pathlib import Path

from exactrelu import box, enumerate_regions, partition_certificate, write_certificate, check_certificate
from exactrelu.checker import CertificateInvalid, CertificateMalformed
from exactrelu.model.random_nets import random_network
from exactrelu.plot.tree import plot_certificate_tree, plot_farkas_2d

net = random_network([3, 2], seed=14)
part = enumerate_regions(net, box([-1, -1], [1, 1]))
cert = partition_certificate(part)
print(len(part.regions), "regions;", len(cert["nodes"]), "tree nodes;", len(cert["adjacency"]), "adjacencies")
print("top-level keys:", list(cert))

# %% [markdown]
# ## The JSON structure
#
# All numbers are strings `"p/q"`. The network is embedded exactly (or referenced by path
# with its SHA-256); the domain is $A x \le b$:

# %%
print(json.dumps(cert["network"]["layers"][0], indent=None))
print("domain A:", cert["domain"]["A"], " b:", cert["domain"]["b"])
print("root witness:", cert["root_witness"])

# %% [markdown]
# ### A node with a decision and a split
#
# The root cell is the whole domain. Its record says: unit 1 is **stable active** (proved
# by a Farkas vector), and the cell is **split** on unit 0, with one witness on each side.
# With two inputs the Farkas vector is written as a **vertex basis** `[i, j]`: the two cell
# rows tight at the vertex where $z_1$ is smallest. The checker recovers the multipliers
# on those two rows itself, by Cramer's rule, and tests them exactly as if they were written
# out (with more inputs, or at a vertex where more rows meet, the multipliers are written out).

# %%
print(json.dumps(cert["nodes"][0]))

# %% [markdown]
# The whole tree as a picture: each split names the unit it splits on (one witness on each
# side, edges labelled by the side), the stable decisions made at a node are listed under
# it (each proved by a Farkas vector), and every leaf is a linear region.

# %%
plot_certificate_tree(cert)

# %% [markdown]
# Check the decision by hand. Unit 1 (layer 1) has pre-activation
# $z_1(x) = w \cdot x + b$; the claim `"+"` is $z_1 \ge 0$, i.e. $g = -z_1 \le 0$, so
# $q = -w$, $q_0 = -b$. The basis `[1, 3]` names domain rows 1 and 3 ($-x_0 \le 1$,
# $-x_1 \le 1$), tight at the corner $(-1, -1)$; solving $y_1 A_1 + y_3 A_3 = q$ puts weight
# $y_1$ on row 1. The identity $A^\top y = q$ and the sign condition $b \cdot y + q_0 \le 0$
# are plain arithmetic:

# %%
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

# %% [markdown]
# What this proves, drawn: the cell (blue) and the set where the claim fails, $z_1 < 0$
# (red, beyond the line $z_1 = 0$). The multipliers combine the used rows (green) into
# $(A^\top y) \cdot x \le b \cdot y$ (dashed): a line parallel to $z_1 = 0$ that the cell
# lies behind, touching it at the corner $(-1, -1)$. The red set is strictly on the other
# side, so it cannot meet the cell.

# %%
plot_farkas_2d(A, b, [-v for v in w], -b1, y)

# %% [markdown]
# A combination of two rows: on a linear region the output is affine, $f = c \cdot x + d$,
# and its maximum $M$ over the region is attained at a vertex. At that vertex two rows of
# the region are tight; the vertex basis of those two rows gives multipliers proving
# $f - M \le 0$ on the whole region (both are $\ge 0$ because the vertex maximises $f$).

# %%
from exactrelu.regions.evidence import max_over_region

region = max(part.regions, key=lambda r: len(r.vertices))
(C, d) = region.affine_map
M, at = max_over_region(region, C[0], d[0])
A_r, b_r = region.constraints
tight = [i for i, (a, bi) in enumerate(zip(A_r, b_r)) if a[0] * at[0] + a[1] * at[1] == bi]
y_r = vertex_basis_multipliers(A_r, C[0], tight[:2])
print("max of f on the region:", M, "at", [str(v) for v in at], "| tight rows:", tight,
      "| y =", {k: str(v) for k, v in y_r.items()})
plot_farkas_2d(A_r, b_r, C[0], d[0] - M, y_r)

# %% [markdown]
# Deeper in the tree, a cell's rows are the domain rows **followed by one row per split on
# the path** (row 4 is the first split's row, and so on); a Farkas vector may use them. A
# leaf has decided every unit; the `regions` list gives each leaf's pattern and exact map
# $y = Cx + d$, and `adjacency` the graph's edges with their witnesses.

# %%
print(json.dumps(cert["nodes"][-1]))
print(json.dumps(cert["regions"][0]))
print(json.dumps(cert["adjacency"][0]))

# %% [markdown]
# ## Checking
#
# `check_certificate` returns a report when every rule holds and raises `CertificateInvalid`
# (naming the rule) when one fails. The same check runs from the command line on a file,
# with the standard library only.

# %%
report = check_certificate(cert)
print(report.valid, report.claim, "| leaves:", report.leaves, "| adjacency pairs:", report.adjacency_pairs,
      "| stable decisions:", report.stable_decisions, "| splits:", report.splits)

# %%
tmp = Path(tempfile.mkdtemp())
write_certificate(cert, tmp / "partition.json")
# !{sys.executable} -m exactrelu.checker {tmp / "partition.json"}; echo "exit status $?"

# %% [markdown]
# ## Tampering
#
# Change one thing and the checker says which rule broke.
#
# **Move a witness**: put the positive side's witness on the negative side of the split.

# %%
bad = copy.deepcopy(cert)
bad["nodes"][0]["split"]["witness_pos"] = bad["nodes"][0]["split"]["witness_neg"]
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)

# %% [markdown]
# **Change the vertex basis** above to `[0, 2]`, the corner $(1, 1)$ where $z_1$ is largest:
# the multipliers solved for there are negative, so they prove nothing.

# %%
bad = copy.deepcopy(cert)
bad["nodes"][0]["decisions"][0][2] = [0, 2]
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)

# %% [markdown]
# **Change a weight** of unit 1 ($1/8 \to 1/2$): now $z_1$ takes negative values on the
# domain, so the stability claim is false and no Farkas vector can prove it.

# %%
bad = copy.deepcopy(cert)
bad["network"]["layers"][0]["inputs"][0]["weight"][1][0] = "1/2"
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)

# %% [markdown]
# **Change an output weight**: the tree is still a valid partition, but the affine maps the
# checker recomputes no longer match the claimed ones.

# %%
bad = copy.deepcopy(cert)
bad["network"]["layers"][-1]["inputs"][0]["weight"][0][0] = "1"
try:
    check_certificate(bad)
except CertificateInvalid as exc:
    print("rejected by rule", repr(exc.rule), "|", exc.message)

# %% [markdown]
# **Drop a region**, **move an adjacency witness**, or **write a JSON float**:

# %%
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

# %% [markdown]
# The command line reports a rejection with exit status 1 and the rule name:

# %%
bad = copy.deepcopy(cert)
bad["network"]["layers"][0]["inputs"][0]["weight"][1][0] = "1/2"
write_certificate(bad, tmp / "tampered.json")
# !{sys.executable} -m exactrelu.checker {tmp / "tampered.json"}; echo "exit status $?"
