"""exactrelu.plot.plots: figures are produced, have the right artists, and render to PNG."""

from __future__ import annotations

import sys
from fractions import Fraction

import pytest

pytest.importorskip("matplotlib")

from exactrelu import box, enumerate_regions, mlp, region_graph  # noqa: E402
from exactrelu.errors import BackendUnavailableError, ModelError  # noqa: E402
from exactrelu.plot.plots import (plot_float_disagreements_2d, plot_function_1d, plot_regions_2d,  # noqa: E402
                            plot_representation_terms_1d, plot_representation_terms_2d, plot_surface_2d,
                            polygon_2d, region_polygons)
from exactrelu.model.random_nets import random_network  # noqa: E402


def _gid(ax, gid):
    return [c for c in list(ax.collections) + list(ax.lines) + list(ax.images) if c.get_gid() == gid]


@pytest.fixture(scope="module")
def part2():
    return enumerate_regions(random_network([5, 4], seed=3), box([-1, -1], [1, 1]))


@pytest.fixture(scope="module")
def part_same_map():
    # unit 1 has output weight 0: its switch splits a region without changing the map
    net = mlp(2, [([[1, 0], [0, 1]], [0, 0]), ([[1, 0]], [0])])
    return enumerate_regions(net, box([-1, -1], [1, 1]))


def test_regions_polygons_and_graph(part2):
    G = region_graph(part2)
    fig = plot_regions_2d(part2, G)
    ax = fig.axes[0]
    polys = region_polygons(ax)
    assert len(polys.get_paths()) == len(part2.regions)
    (edges,) = _gid(ax, "edges")
    assert len(edges.get_segments()) == G.number_of_edges()
    assert all(len(s) == 3 for s in edges.get_segments())  # witness -> edge witness -> witness
    (nodes,) = _gid(ax, "nodes")
    assert len(nodes.get_offsets()) == len(part2.regions)
    assert f"{len(part2.regions)} linear regions" in ax.get_title()
    faces = [tuple(c) for c in polys.get_facecolors()]
    assert all(faces[u] != faces[v] for u, v in G.edges)  # neighbours differ


def test_polygon_areas_sum_to_domain(part2):
    def area(poly):
        return abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(poly, poly[1:] + poly[:1]))) / 2

    total = sum(area(polygon_2d(r.vertices, r.witness)) for r in part2.regions)
    assert total == pytest.approx(4.0, rel=1e-9)  # convex polygons correctly ordered tile [-1, 1]^2


def test_regions_color_modes(part_same_map):
    G = region_graph(part_same_map)
    assert len(part_same_map.regions) == 4
    fig = plot_regions_2d(part_same_map, G, color_by="piece", show_witnesses=True)
    ax = fig.axes[0]
    faces = [tuple(c) for c in region_polygons(ax).get_facecolors()]
    pieces = [G.nodes[r.index]["piece"] for r in part_same_map.regions]
    assert len(set(pieces)) == 2 and len(set(faces)) == 2  # one colour per linear piece
    (edges,) = _gid(ax, "edges")
    styles = edges.get_linestyles()
    assert len(edges.get_segments()) == 4
    assert sum(1 for s in styles if s[1] is not None) == 2  # the two same-map edges are dashed
    assert len(ax.texts) == 4  # region labels
    assert "2 linear pieces" in ax.get_title()
    fig = plot_regions_2d(part_same_map, color_by="pattern", show_graph=False)
    assert len(fig.axes) == 2  # the colour bar
    assert not _gid(fig.axes[0], "edges")
    with pytest.raises(ValueError):
        plot_regions_2d(part_same_map, color_by="nonsense")


def test_draw_into_given_axes(part2, part_same_map):
    from matplotlib.figure import Figure

    fig = Figure()
    a1, a2 = fig.subplots(1, 2)
    assert plot_regions_2d(part2, ax=a1) is fig
    assert plot_regions_2d(part_same_map, ax=a2, show_graph=False) is fig
    assert len(region_polygons(a1).get_paths()) == len(part2.regions)
    assert len(region_polygons(a2).get_paths()) == 4


def test_function_1d_segments_and_breakpoints():
    net = mlp(1, [([[1], [1], [-1]], [0, "-1/2", 0]), ([[1, -2, 0]], [0])])  # unit 2 has output weight 0
    part = enumerate_regions(net, box([-1], [1]))
    assert len(part.regions) == 3  # boundaries at 0 (units 0 and 2) and 1/2
    fig = plot_function_1d(part)
    ax = fig.axes[0]
    (pieces,) = _gid(ax, "pieces")
    assert len(pieces.get_segments()) == len(part.regions)
    (bp,) = _gid(ax, "breakpoints")
    assert sorted(map(tuple, bp.get_offsets().tolist())) == [(0.0, 0.0), (0.5, 0.5)]
    segs = sorted(pieces.get_segments(), key=lambda s: s[0][0])
    assert [tuple(p) for p in segs[-1]] == [(0.5, 0.5), (1.0, 0.0)]  # exact values, then float


def test_function_1d_non_kink_boundary():
    # unit 1 switches at 1/2 but has output weight 0: a region boundary without a kink
    net = mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, 0]], [0])])
    part = enumerate_regions(net, box([-1], [1]))
    fig = plot_function_1d(part)
    ax = fig.axes[0]
    (bp,) = _gid(ax, "breakpoints")
    (fb,) = _gid(ax, "boundaries")
    assert bp.get_offsets().tolist() == [[0.0, 0.0]]
    assert fb.get_offsets().tolist() == [[0.5, 0.5]]


def test_surface_polygons(part2):
    fig = plot_surface_2d(part2)
    ax = fig.axes[0]
    assert ax.name == "3d"
    (surf,) = _gid(ax, "surface")
    fig.canvas.draw()
    assert len(surf.get_paths()) == len(part2.regions)
    fig = plot_surface_2d(part2, color_by="region")
    with pytest.raises(ValueError):
        plot_surface_2d(part2, color_by="nonsense")


def test_wrong_dimension(part2):
    with pytest.raises(ModelError):
        plot_function_1d(part2)
    part1 = enumerate_regions(mlp(1, [([[1]], [0]), ([[1]], [0])]), box([-1], [1]))
    with pytest.raises(ModelError):
        plot_regions_2d(part1)
    with pytest.raises(ModelError):
        plot_surface_2d(part1)
    with pytest.raises(ModelError):
        plot_function_1d(part1, output=1)


def test_representation_terms_1d():
    net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])  # |x| = max(x, -x)
    terms = [lambda p: p[0], lambda p: -p[0]]
    fig = plot_representation_terms_1d(net, terms, box([-1], [1]), samples=11)
    ax = fig.axes[0]
    assert len(_gid(ax, "term")) == 2
    assert len(_gid(ax, "network")) == 1
    (mx,) = _gid(ax, "max")
    (nl,) = _gid(ax, "network")
    assert list(mx.get_ydata()) == list(nl.get_ydata())  # the max of the terms is the network
    # objects with evaluate (a Network), values as tuples; an interval instead of a Polytope
    fig = plot_representation_terms_1d(net, [net], ("-1", "1/2"), samples=5, show_max=False, labels=["net"])
    ax = fig.axes[0]
    assert len(ax.lines) == 2 and not _gid(ax, "max")
    assert ax.get_legend().get_texts()[0].get_text() == "net"


def test_representation_object_with_basis():
    # a duck-typed shallow representation: max p - max q over features (x, 1, relu(x))
    class Basis:
        def features(self, x):
            return (x[0], Fraction(1), max(x[0], Fraction(0)))

    class Rep:
        basis = Basis()
        plus = [(Fraction(0), Fraction(0), Fraction(2)), (Fraction(-1), Fraction(0), Fraction(0))]
        minus = [(Fraction(0), Fraction(0), Fraction(0)), (Fraction(1), Fraction(0), Fraction(-1))]  # max(0, x-relu x)

    net = mlp(1, [([[1], [-1]], [0, 0]), ([[2, 1]], [0])])  # 2 relu(x) + relu(-x) = max(2 relu x, -x)
    fig = plot_representation_terms_1d(net, Rep(), box([-1], [1]), samples=9)
    ax = fig.axes[0]
    terms = _gid(ax, "term")
    assert len(terms) == 4
    assert sum(1 for t in terms if t.get_linestyle() == "--") == 2
    (mx,) = _gid(ax, "max")
    (nl,) = _gid(ax, "network")
    assert list(mx.get_ydata()) == list(nl.get_ydata())


def test_representation_terms_2d():
    net = mlp(2, [([[1, 0], [-1, 0]], [0, 0]), ([[1, 1]], [0])])  # |x0|
    fig = plot_representation_terms_2d(net, [lambda p: p[0], lambda p: -p[0]], box([-1, -1], [1, 1]),
                                       resolution=5)
    ax = fig.axes[0]
    (img,) = _gid(ax, "argmax")
    arr = img.get_array()
    assert arr.shape == (5, 5)
    assert arr[0].tolist() == [1, 1, 0, 0, 0]  # -x wins left of 0 (ties go to the first term)


def test_float_disagreements(part2):
    pts = [["1/3", "-1/7"], [0.25, 0.5], [Fraction(-1, 2), Fraction(0)]]
    fig = plot_float_disagreements_2d(part2, pts)
    ax = fig.axes[0]
    (sc,) = _gid(ax, "points")
    assert len(sc.get_offsets()) == 3
    assert len(region_polygons(ax).get_paths()) == len(part2.regions)
    assert not _gid(ax, "edges")
    fig = plot_float_disagreements_2d(part2, pts, values=[1e-7, 1e-3, 2.0])
    assert len(fig.axes) == 2
    with pytest.raises(ValueError):
        plot_float_disagreements_2d(part2, pts, values=[1.0])


def test_png_renders(tmp_path, part2):
    paths = []
    for name, fig in [("regions", plot_regions_2d(part2)), ("surface", plot_surface_2d(part2))]:
        p = tmp_path / f"{name}.png"
        fig.savefig(p, dpi=80)
        paths.append(p)
    for p in paths:
        data = p.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(data) > 20_000  # a drawn picture, not an empty canvas
    import matplotlib.image as mpimg

    img = mpimg.imread(paths[0])
    assert img.shape[0] > 200 and img.shape[1] > 200
    assert img[..., :3].std() > 0.05  # many colours


def test_nothing_is_registered_with_pyplot(part2):
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plot_regions_2d(part2)
    assert plt.get_fignums() == before


def test_missing_matplotlib_is_reported(monkeypatch, part2):
    import exactrelu.plot.plots as P

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(BackendUnavailableError, match=r"pip install exactrelu\[plot\]"):
        P.plot_regions_2d(part2)


def test_representation_lattice_like():
    class Lattice:  # max(min(x, 1/2), -x): pieces (slope, offset), terms = index sets
        pieces = ((Fraction(1), Fraction(0)), (Fraction(0), Fraction(1, 2)), (Fraction(-1), Fraction(0)))
        terms = ((0, 1), (2,))

    net = mlp(1, [([[1], [-1], [1]], [0, 0, "-1/2"]), ([[1, 1, -1]], [0])])  # relu(x) + relu(-x) - relu(x - 1/2)
    fig = plot_representation_terms_1d(net, Lattice(), box([-1], [1]), samples=9)
    ax = fig.axes[0]
    assert len(_gid(ax, "term")) == 2
    (mx,) = _gid(ax, "max")
    (nl,) = _gid(ax, "network")
    assert list(mx.get_ydata()) == list(nl.get_ydata())


def test_representation_from_exactrelu_shallow():
    shallow = pytest.importorskip("exactrelu.shallow.lattice")
    weights = pytest.importorskip("exactrelu.shallow.weights")
    net = random_network([3, 3], seed=0, n_in=1)
    D = box([-1], [1])
    for rep in (shallow.lattice_form(net, D), weights.sign_split(net)):
        fig = plot_representation_terms_1d(net, rep, D, samples=21)
        ax = fig.axes[0]
        assert _gid(ax, "term")
        (mx,) = _gid(ax, "max")
        (nl,) = _gid(ax, "network")
        assert list(mx.get_ydata()) == list(nl.get_ydata())


# ----------------------------------------------------------------------------- lattice, tree, verify, sweep
@pytest.fixture(scope="module")
def lattice_2d():
    from exactrelu.shallow.lattice import lattice_form

    return lattice_form(random_network([3, 3], seed=0), box([-1, -1], [1, 1]))


def test_lattice_terms_2d_one_patch_per_region_coloured_by_active_term(lattice_2d):
    from exactrelu.plot.lattice import active_terms, plot_lattice_terms_2d, term_value

    part = lattice_2d.partition
    act = active_terms(lattice_2d)
    for r, t in zip(part.regions, act):  # the active term equals the network on its region (exact)
        assert term_value(lattice_2d, t, r.witness) == r.evaluate(r.witness)[lattice_2d.output]
    fig = plot_lattice_terms_2d(lattice_2d)
    ax = fig.axes[0]
    (coll,) = _gid(ax, "regions")
    assert len(coll.get_paths()) == len(part.regions)
    faces = [tuple(c) for c in coll.get_facecolors()]
    for i in range(len(act)):
        for j in range(len(act)):
            assert (faces[i] == faces[j]) == (act[i] == act[j])  # same colour <=> same term
    assert len(ax.get_legend().get_texts()) == len(set(act))


def test_lattice_terms_1d_bands_segments_terms():
    from exactrelu.plot.lattice import active_terms, plot_lattice_terms_1d
    from exactrelu.shallow.lattice import lattice_form

    net = mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1], [1, -1]], ["-1/2", 0]), ([[1, -1]], [0])])
    lf = lattice_form(net, box([-2], [2]))
    fig = plot_lattice_terms_1d(lf)
    ax = fig.axes[0]
    assert len(ax.patches) == len(lf.partition.regions)
    (seg,) = _gid(ax, "active")
    assert len(seg.get_segments()) == len(lf.partition.regions)
    assert len(_gid(ax, "term")) == len(lf.terms)
    assert len(set(active_terms(lf))) == len(lf.terms) == 3  # every term is the max somewhere here
    with pytest.raises(ModelError):
        plot_lattice_terms_1d(lattice_form(random_network([2], seed=0), box([-1, -1], [1, 1])))


def test_certificate_tree_node_count_equals_certificate(part2):
    from exactrelu import partition_certificate
    from exactrelu.plot.tree import plot_certificate_tree, tree_layout

    cert = partition_certificate(part2)
    fig = plot_certificate_tree(cert)
    ax = fig.axes[0]
    (splits,) = _gid(ax, "splits")
    (leaves,) = _gid(ax, "regions")
    assert len(splits.get_offsets()) + len(leaves.get_offsets()) == len(cert["nodes"])
    assert len(leaves.get_offsets()) == len(part2.regions)
    (edges,) = _gid(ax, "edges")
    assert len(edges.get_segments()) == len(cert["nodes"]) - 1
    pos = tree_layout(cert["nodes"])
    for nd in cert["nodes"]:  # an inner node sits above the middle of its children
        if nd["split"]:
            kids = [pos[nd["split"]["pos"]], pos[nd["split"]["neg"]]]
            assert pos[nd["id"]] == ((kids[0][0] + kids[1][0]) / 2, kids[0][1] - 1)
    assert f"{len(cert['nodes'])} nodes" in ax.get_title()


def test_farkas_picture_checks_the_vector():
    from exactrelu.plot.tree import plot_farkas_2d

    A = [[1, 0], [-1, 0], [0, 1], [0, -1]]
    b = [1, 1, 1, 1]
    # x0 + x1 <= 3 on the box: y = (1, 0, 1, 0), b.y + q0 = 2 - 3 <= 0
    fig = plot_farkas_2d(A, b, [1, 1], -3, {0: 1, 2: 1})
    ax = fig.axes[0]
    (cell,) = [p for p in ax.patches if p.get_gid() == "cell"]
    assert len(cell.get_xy()) in (4, 5)  # the box's 4 vertices (matplotlib may close the path)
    assert len(_gid(ax, "used_row")) == 2 and len(_gid(ax, "row")) == 2
    assert _gid(ax, "g") and _gid(ax, "combination")
    # (row, p, q) triples and a positive multiple are accepted
    plot_farkas_2d(A, b, [1, 1], -3, ((0, 2, 1), (2, 2, 1)))
    with pytest.raises(ValueError, match="positive multiple"):
        plot_farkas_2d(A, b, [1, 1], -3, {0: 1})
    with pytest.raises(ValueError, match="proves nothing"):
        plot_farkas_2d(A, b, [1, 1], -1, {0: 1, 2: 1})
    with pytest.raises(ValueError, match="negative"):
        plot_farkas_2d(A, b, [1, 1], -3, {0: -1, 2: 1})


def test_verification_cells_coloured_by_how_closed():
    from exactrelu.domain.vnnlib import parse_vnnlib
    from exactrelu.plot.verify import cell_grid_2d, plot_verification_cells_2d, tree_leaf
    from exactrelu.verify.property import verify
    from exactrelu.model.evaluation import activation_pattern

    net = random_network([6, 6], seed=1)
    hdr = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) (assert (>= X_0 -1)) "
           "(assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))")
    from exactrelu.verify.bounds import output_bounds

    top = output_bounds(net, box([-1, -1], [1, 1])).outputs[0].max
    prop = parse_vnnlib(hdr + f" (assert (>= Y_0 {float(top) + 0.5}))")
    for prune in (True, False):
        res = verify(net, prop, attack_seconds=0.1, prune=prune)
        assert res.verdict == "holds"
        _, part, _ = res.partitions[0]
        for r in part.regions:  # following the pattern of a region's witness reaches its leaf
            assert tree_leaf(part.nodes, activation_pattern(net, r.witness)) == r.node
        ids, _ = cell_grid_2d(part, resolution=40)
        leaves = {nd.id for nd in part.nodes if nd.split is None}
        assert set(ids.ravel().tolist()) <= leaves
        fig = plot_verification_cells_2d(res, resolution=40)
        ax = fig.axes[0]
        (img,) = _gid(ax, "cells")
        assert img.get_array().shape[:2] == (40, 40)
        (outl,) = _gid(ax, "regions")
        assert len(outl.get_paths()) == len(part.regions)
        n_pruned = sum(1 for nd in part.nodes if nd.pruned is not None)
        texts = [t.get_text() for t in ax.get_legend().get_texts()]
        n_regions = len(part.regions)
        assert (n_regions > 0) == any(f"({n_regions})" in t and "linear region" in t for t in texts)
        assert (n_pruned > 0) == any(f"({n_pruned})" in t and "pruned" in t for t in texts)
        assert n_regions + n_pruned == len(leaves)  # every leaf is closed one way or the other
        if not prune:
            assert n_pruned == 0 and n_regions > 1


def test_network_diagram_and_compression():
    from exactrelu.plot.verify import plot_compression, plot_network
    from exactrelu.verify.compress import compress

    big = random_network([8, 8], seed=3)
    fig = plot_network(big)
    ax = fig.axes[0]
    (units,) = _gid(ax, "units")
    assert len(units.get_offsets()) == big.n_inputs + sum(big.widths)
    (w,) = _gid(ax, "weights")
    nonzero = sum(1 for lay in big.layers for _, W in lay.inputs for row in W for v in row if v)
    assert len(w.get_segments()) == nonzero
    res = compress(big, box([0, 0], ["1/4", "1/4"]))
    fig = plot_compression(res)
    a1, a2 = fig.axes
    assert len(_gid(a2, "units")[0].get_offsets()) == res.compressed.n_inputs + sum(res.compressed.widths)
    assert f"{res.compressed.n_relu} ReLU units" in a2.get_title() and "proved equal" in a2.get_title()
    hollow = [tuple(c) for c in _gid(a1, "units")[0].get_facecolors()].count((1.0, 1.0, 1.0, 1.0))
    assert hollow == sum(1 for s in res.stable.values() if s == "inactive")


def test_weight_sweep_and_slider():
    from exactrelu.plot.sweep import network_with_weight, plot_weight_sweep_1d, weight_slider_1d

    net = mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])])
    assert network_with_weight(net, 1, 1, 0, 0).layers[0].weight(0) == ((Fraction(1),), (Fraction(0),))
    assert net.layers[0].weight(0)[1] == (Fraction(1),)  # the original is unchanged
    with pytest.raises(ModelError):
        network_with_weight(net, 3, 0, 0, 1)
    with pytest.raises(ModelError):
        network_with_weight(net, 1, 5, 0, 1)
    fig = plot_weight_sweep_1d(net, 1, 1, 0, ["-1", "0", "1"], box([-1], [1]), ncols=2)
    assert len(fig.axes) == 3
    counts = [len(enumerate_regions(network_with_weight(net, 1, 1, 0, v), box([-1], [1])).regions)
              for v in ("-1", "0", "1")]
    assert [ax.get_title().endswith(f"{c} regions") for ax, c in zip(fig.axes, counts)] == [True] * 3
    assert len({ax.get_ylim() for ax in fig.axes}) == 1  # one y scale
    slider = weight_slider_1d(net, 1, 1, 0, ["-1", "0", "1"], box([-1], [1]))
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        assert slider is None
    else:
        assert [v for _, v in slider.children[0].options] == ["-1", "0", "1"]
        assert len(slider.children) == 2  # the slider and the output it redraws
