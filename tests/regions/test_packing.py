"""What a pool worker sends back: packed tree nodes and regions (exactrelu.regions.tree)."""

from __future__ import annotations

import pickle
from fractions import Fraction as F

from hypothesis import given, settings, strategies as st

from exactrelu.domain.polytope import box
from exactrelu.model.network import mlp
from exactrelu.regions.tree import Deferred, PackedLists, TreeNode
from exactrelu.regions.walk import enumerate_regions

NET = mlp(2, [([[1, 2], [-1, 1], [3, -1]], [0, "1/3", "-1/2"]), ([[1, -1, 2], [2, 1, -1]], [0, "1/7"]),
              ([[1, 1]], [0])])

values = st.recursive(st.none() | st.integers() | st.text(max_size=5) | st.booleans(),
                      lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
                      max_leaves=20)


@given(st.lists(values, max_size=6))
@settings(max_examples=200, deadline=None)
def test_packed_lists_give_back_every_value(items):
    packed = pickle.loads(pickle.dumps(PackedLists(items)))
    assert [packed[i] for i in range(len(items))] == items
    again = pickle.loads(pickle.dumps(packed))  # re-pickled after it was read
    assert [again[i] for i in range(len(items))] == items


def test_packed_nodes_survive_pickling_with_their_decisions_and_evidence():
    part = enumerate_regions(NET, box([-1, -1], [1, 1]))
    nodes = pickle.loads(pickle.dumps(part.nodes))
    nodes[1].pruned = {"box": [[1, 2]], "relu": [[0, 1, "1/2", "3/4"]]}
    want = [TreeNode(nd.id, nd.parent, nd.side, [list(d) for d in nd.decisions], nd.split, nd.open, nd.pruned)
            for nd in nodes]
    TreeNode.pack(nodes)
    assert all(type(nd._decisions) is Deferred for nd in nodes) and type(nodes[1]._pruned) is Deferred
    back = pickle.loads(pickle.dumps(nodes))
    assert back == want and back[1].pruned == {"box": [[1, 2]], "relu": [[0, 1, "1/2", "3/4"]]}
    assert back[0].pruned is None
    assert sum(len(nd.decisions) for nd in back) == sum(len(nd.decisions) for nd in want) > 0
    back[0].decisions.append([9, "+", [0, 1]])  # an unpacked node is an ordinary node again
    assert back[0].decisions[-1] == [9, "+", [0, 1]] and back[0] != want[0]


def test_a_value_marshal_cannot_pack_leaves_the_nodes_as_they_are():
    nodes = [TreeNode(0, None, None, [[0, "+", [0, 1]]], pruned={"x": F(1, 3)})]
    TreeNode.pack(nodes)
    assert nodes[0]._decisions == [[0, "+", [0, 1]]] and nodes[0].pruned == {"x": F(1, 3)}
    assert pickle.loads(pickle.dumps(nodes)) == nodes


def test_regions_pickle_with_exact_witness_and_affine_map():
    part = enumerate_regions(NET, box([-1, -1], [1, 1]))
    back = pickle.loads(pickle.dumps(part.regions))
    assert len(back) == len(part.regions) > 3
    for r, b in zip(part.regions, back):
        assert b.witness == r.witness and b.affine_map == r.affine_map
        assert all(type(v) is F for v in b.witness) and all(type(v) is F for row in b.affine_map[0] for v in row)
        assert (b.node, b.pattern, b.index, b.cell.rows) == (r.node, r.pattern, r.index, r.cell.rows)
        assert b.constraints == r.constraints and b.vertices == r.vertices


def test_regions_with_values_of_other_types_pickle_as_they_are():
    r = enumerate_regions(NET, box([-1, -1], [1, 1])).regions[0]
    r.witness = ("a", "b")
    b = pickle.loads(pickle.dumps(r))
    assert b.witness == ("a", "b") and b.affine_map == r.affine_map
