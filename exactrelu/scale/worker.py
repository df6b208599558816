"""Worker side of a parallel walk: one *fragment* of the splitting tree.

A fragment is the preorder walk of the subtree below one cell (named by its path from
the root, see :class:`exactrelu.regions.walker.WalkState`), cut after a time budget. The cells
left on its stack when the budget runs out are returned as *holes*: they come after the
fragment's nodes in preorder, in the order given, and become fragments of their own.
Concatenating a fragment's nodes and then its holes' fragments, recursively, gives
exactly the serial preorder walk -- node for node, byte for byte.

The work spec (:class:`WalkSpec`) carries the network and the domain as exact JSON, so a
task can run in any process or on any machine; each process builds the walker once.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> spec = WalkSpec.of(mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])]), box([-1], [1]))
>>> frag = run_fragment(spec, (), 10.0, "lines")
>>> frag.n_nodes, frag.n_regions, frag.holes
(5, 3, [])
>>> cut = run_fragment(spec, (), 0.0, "lines")      # budget spent after the root
>>> cut.n_nodes, [h[0] for h in cut.holes]
(1, [(0,), (1,)])
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from ..errors import UsageError
from ..domain.polytope import Polytope, polytope
from ..model.network import Network
from ..regions.gcpause import gc_paused
from ..regions.tree import TreeNode

__all__ = ["WalkSpec", "Fragment", "StopWalk", "run_fragment", "run_fragments", "install", "resolve_hooks"]


@dataclass(frozen=True)
class WalkSpec:
    """What every task of one walk shares: network and domain (exact JSON) and a key."""

    network: dict
    domain: dict
    key: str
    hooks: str | None = None  # "exactrelu.module:function" returning (prune, leaf) hooks
    params: Any = None  # JSON-able parameters for the hooks

    @classmethod
    def of(cls, net: Network, domain: Polytope, hooks: str | None = None, params: Any = None) -> "WalkSpec":
        """The spec of a walk; ``hooks`` names a function ``(net, params) -> (prune, leaf)``
        whose ``prune`` goes to :func:`exactrelu.regions.walk.iter_regions` and whose ``leaf``
        maps each region to a payload returned with the fragment (both may be None)."""
        from ..io.native_json import network_to_dict

        nd, dd = network_to_dict(net), domain.to_dict()
        blob = json.dumps([nd, dd, hooks, params], sort_keys=True, separators=(",", ":"), default=str)
        return cls(nd, dd, hashlib.sha256(blob.encode()).hexdigest(), hooks, params)


@dataclass
class Fragment:
    """The result of :func:`run_fragment`.

    ``text`` holds the nodes as stream lines (mode ``"lines"``); ``nodes``/``regions`` the
    objects with fragment-local ids (mode ``"objects"``). ``holes`` lists
    ``(path, local id of the parent node, side)`` of the unexplored cells, in preorder.
    """

    path: tuple[int, ...]
    n_nodes: int
    n_regions: int
    holes: list[tuple[tuple[int, ...], int, str]]
    stats: dict[str, int]
    seconds: float
    text: str | None = None
    nodes: list | None = None
    regions: list | None = field(default=None, repr=False)
    payloads: list = field(default_factory=list, repr=False)  # (local node id, leaf hook result)
    stop: Any = None  # a leaf payload that asks the whole walk to stop (e.g. a counterexample)


class StopWalk:
    """A leaf payload that stops the whole walk (e.g. a confirmed counterexample)."""

    def __init__(self, value: Any) -> None:
        self.value = value


_INSTALLED: dict[str, WalkSpec] = {}
_WALKERS: dict[str, Any] = {}
_STATES: "OrderedDict[tuple, Any]" = OrderedDict()  # unprocessed cells this process has seen, by path
_STATES_KEY: list[str] = [""]
STATE_CACHE_SIZE = 2048


def install(spec: WalkSpec) -> None:
    """Make ``spec`` known in this process under its key (a process-pool initializer).

    Pool workers ignore SIGINT: a Ctrl-C reaches the whole process group, and it is the
    parent's job to stop the walk cleanly (running tasks are short)."""
    import signal

    _INSTALLED[spec.key] = spec
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()


def _die_with_parent() -> None:
    """On Linux, ask the kernel to kill this worker when the process that started it dies
    (a ``kill -9`` of the walk must not leave orphaned workers computing)."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # pragma: no cover - no prctl: workers end when the pipe closes
        pass


def _walker(handle: "WalkSpec | str"):
    from ..io.native_json import network_from_dict
    from ..regions.walker import Walker

    spec = handle if isinstance(handle, WalkSpec) else _INSTALLED[handle]
    w = _WALKERS.get(spec.key)
    if w is None:
        net = network_from_dict(spec.network)
        dom = polytope(spec.domain["A"], spec.domain["b"])
        prune = leaf = None
        if spec.hooks is not None:
            prune, leaf = resolve_hooks(spec.hooks)(net, spec.params)
        w = Walker(net, dom, prune)
        w.leaf = leaf
        # a long-lived worker (Dask) serves one walk after another: keep only the current
        # walker, whose pruner caches grow with its walk
        _WALKERS.clear()
        _WALKERS[spec.key] = w
    return w


def resolve_hooks(name: str):
    """The hook factory named ``"exactrelu.module:function"`` (only exactrelu's own modules)."""
    import importlib

    mod, _, fn = name.partition(":")
    if not (mod == "exactrelu" or mod.startswith("exactrelu.")) or not fn:
        raise UsageError(f"hooks must name a function of exactrelu, not {name!r}")
    return getattr(importlib.import_module(mod), fn)


def run_fragment(handle: "WalkSpec | str", path: tuple[int, ...], budget: float, mode: str = "lines") -> Fragment:
    """Walk the subtree at ``path`` in preorder for about ``budget`` seconds (at least one node).

    ``mode`` ``"lines"`` returns stream lines (:func:`exactrelu.certificate.stream.node_line`),
    ``"objects"`` the :class:`~exactrelu.regions.walk.TreeNode` and
    :class:`~exactrelu.regions.walk.Region` objects.
    """
    from ..certificate.stream import node_line

    t0 = time.perf_counter()
    c0 = time.process_time()
    walker = _walker(handle)
    path = tuple(path)
    key = handle if isinstance(handle, str) else handle.key
    if _STATES_KEY[0] != key:
        _STATES.clear()
        _STATES_KEY[0] = key
    stack = [walker.state_at(path, _STATES)]
    t_replay = time.perf_counter() - t0
    pstats = getattr(walker.prune, "stats", None)  # a pruner's counters (exactrelu.scale.stats.PrunerStats)
    p0 = (pstats.attempts, pstats.seconds) if pstats is not None else None
    nodes: list = []
    regions: list = []
    lines: list[str] = []
    deadline = t0 + budget
    decisions = splits = 0
    frag_payloads: list = []
    stop = None
    while stack:
        if nodes and time.perf_counter() > deadline:
            break
        st = stack.pop()
        node = walker.new_node(st, nodes)
        reg = walker.process(st, node, stack)
        decisions += len(node.decisions)
        splits += node.split is not None
        if reg is not None:
            regions.append(reg)
            if walker.leaf is not None:
                payload = walker.leaf(reg)
                frag_payloads.append((node.id, payload))
                if isinstance(payload, StopWalk):
                    stop = payload
                    break
        if mode == "lines":
            lines.append(node_line(node, reg))
    holes = [(s.path, s.node_parent.id, s.side) for s in reversed(stack)]
    for s in stack:  # a later task of this process may start there: no replay
        _STATES[s.path] = s.copy()
    while len(_STATES) > STATE_CACHE_SIZE:
        _STATES.popitem(last=False)
    stats = {"nodes": len(nodes), "splits": splits, "stable_decisions": decisions,
             "replay_us": int(t_replay * 1e6), "busy_us": int((time.perf_counter() - t0) * 1e6),
             "cpu_us": int((time.process_time() - c0) * 1e6)}
    if p0 is not None:
        stats["prune_attempts"] = pstats.attempts - p0[0]
        stats["prune_us"] = int((pstats.seconds - p0[1]) * 1e6)
    frag = Fragment(path, len(nodes), len(regions), holes, stats, time.perf_counter() - t0,
                    payloads=frag_payloads, stop=stop)
    if mode == "lines":
        frag.text = "".join(lines)
    else:
        if isinstance(handle, str):  # a pool worker: the fragment is pickled back, so pack it
            TreeNode.pack(nodes)
        frag.nodes, frag.regions = nodes, regions
    return frag


def run_fragments(handle: "WalkSpec | str", paths: list, budget: float, mode: str = "lines") -> list[Fragment]:
    """:func:`run_fragment` for several cells in turn, sharing one time budget.

    One task for many small cells saves a scheduler round trip per cell. The cells are
    walked in the order given while the budget lasts (the first one always); the result
    has one fragment per cell started, so the caller queues the rest again. A fragment
    that stops the walk (:class:`StopWalk`) ends the batch.

    Examples
    --------
    >>> from exactrelu.model.network import mlp
    >>> from exactrelu.domain.polytope import box
    >>> spec = WalkSpec.of(mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])]), box([-1], [1]))
    >>> holes = [h[0] for h in run_fragment(spec, (), 0.0).holes]
    >>> [(f.path, f.n_regions) for f in run_fragments(spec, holes, 10.0)]
    [((0,), 2), ((1,), 1)]
    >>> len(run_fragments(spec, holes, 0.0))       # budget spent: only the first cell
    1
    """
    deadline = time.perf_counter() + budget
    out: list[Fragment] = []
    with gc_paused():  # a fragment's many small lists (2-D 50x6: 1.5 million decisions) are acyclic
        for path in paths:
            left = deadline - time.perf_counter()
            if out and left <= 0:
                break
            frag = run_fragment(handle, path, max(0.0, left), mode)
            out.append(frag)
            if frag.stop is not None:
                break
    return out
