"""The parallel walk: a queue of cells, any executor, results merged in preorder.

:func:`parallel_walk` drives :func:`exactrelu.scale.worker.run_fragments` tasks on an
:mod:`exactrelu.scale.executor`. Work splitting: every task is cut after a time budget and
hands back the cells left on its stack (the *holes*); the queue always runs the
earliest cell in preorder first, and when fewer cells are queued than workers the
budget is short, so an unbalanced tree is split until every worker has work.

Merging: fragments are emitted in splitting-tree preorder (a fragment's nodes, then its
holes' fragments), so the result is exactly the serial walk's. In ``"lines"`` mode the
lines are appended to a stream certificate as soon as they are next in preorder;
fragments that finish early wait on disk (``spill_dir``), not in memory, so memory is
bounded by the open frontier. In ``"objects"`` mode the nodes and regions are
renumbered into one :class:`~exactrelu.regions.walk.Partition`.

Checkpoints (``"lines"`` mode): every ``checkpoint_every`` seconds, and when the run
stops, the stream's length and the unfinished part of the tree (queued cells by path,
finished-but-unwritten fragments by spill file) are written atomically as JSON; a run
started with ``resume=`` that checkpoint truncates the stream there and goes on.

Examples
--------
>>> from exactrelu.model.network import mlp
>>> from exactrelu.domain.polytope import box
>>> from exactrelu.scale.executor import InlineExecutor
>>> net = mlp(1, [([[1], [1]], [0, "-1/2"]), ([[1, -2]], [0])])
>>> out = parallel_walk(net, box([-1], [1]), InlineExecutor(), mode="objects", budget=0.0)
>>> out.complete, [r.pattern for r in out.partition.regions], out.fragments
(True, ['11', '10', '00'], 5)
"""

from __future__ import annotations

import heapq
import json
import os
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable

from ..domain.polytope import Polytope
from ..errors import CheckpointError, InternalError, UsageError
from ..outcome import StopReason
from .executor import Executor
from .worker import Fragment, WalkSpec, install, run_fragments
from ..model.network import Network
from ..numbers.rationals import format_vector
from ..regions.gcpause import gc_paused
from ..regions.walk import Partition, Progress, TreeNode
from ..certificate.stream import header, open_line, trailer

__all__ = ["WalkOutcome", "parallel_walk", "CHECKPOINT_FORMAT", "load_checkpoint"]

CHECKPOINT_FORMAT = "exactrelu-checkpoint"
SHORT_BUDGET = 0.03


@dataclass
class WalkOutcome:
    """Result of :func:`parallel_walk` (``partition`` only in ``"objects"`` mode)."""

    complete: bool
    stopped_by: StopReason | None
    nodes: int
    regions: int
    seconds: float
    fragments: int
    stats: dict[str, int] = field(default_factory=dict)
    partition: Partition | None = None
    payloads: dict[int, Any] = field(default_factory=dict)  # node id -> leaf hook result ("objects" mode)
    stop_value: Any = None  # what a leaf hook's StopWalk carried (stopped_by "stop")


class _Item:
    """A subtree in the emission order: queued/running (``frag`` None) or finished."""

    __slots__ = ("path", "side", "frag", "children", "spill", "parent_id", "parent_node", "n_nodes", "n_regions")

    def __init__(self, path: tuple[int, ...], side: str | None) -> None:
        self.path, self.side = path, side
        self.frag: Fragment | None = None
        self.children: list[_Item] | None = None
        self.spill: str | None = None
        self.parent_id: int | None = None
        self.parent_node: TreeNode | None = None
        self.n_nodes = self.n_regions = 0

    @property
    def done(self) -> bool:
        return self.children is not None

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"path": list(self.path), "side": self.side}
        if self.done:
            d.update(spill=self.spill, nodes=self.n_nodes, regions=self.n_regions,
                     children=[c.to_json() for c in self.children or ()])
        return d

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> "_Item":
        it = cls(tuple(d["path"]), d["side"])
        if "children" in d:
            it.spill, it.n_nodes, it.n_regions = d["spill"], d["nodes"], d["regions"]
            it.children = [cls.from_json(c) for c in d["children"]]
        return it


def load_checkpoint(path: "str | Path") -> dict[str, Any]:
    """Read a checkpoint file (JSON, never a pickle) and check its format."""
    try:
        ck = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"cannot read checkpoint {path}: {exc}") from exc
    if not isinstance(ck, dict) or ck.get("format") != CHECKPOINT_FORMAT or ck.get("version") != 1:
        raise CheckpointError(f"{path} is not an exactrelu checkpoint")
    return ck


class _Run:
    """The master's state of one walk."""

    def __init__(self, spec: WalkSpec, executor: Executor, mode: str, out: IO[bytes] | None,
                 spill_dir: Path | None) -> None:
        self.spec, self.ex, self.mode, self.out = spec, executor, mode, out
        self.spill_dir = spill_dir
        self.queue: list[tuple[tuple[int, ...], int, _Item]] = []
        self.tick = 0
        self.emit_stack: list[_Item] = []
        self.nodes = self.regions = self.fragments = 0
        self.found_regions = 0
        self.stats = {"nodes": 0, "splits": 0, "stable_decisions": 0}
        self.tree_nodes: list[TreeNode] = []
        self.region_list: list = []
        self.opened = 0
        self.memory_text = 0
        self.emitted_spills: list[str] = []
        self.ck_path: Path | None = None
        self.stop_requested = False
        self.payloads: dict[int, Any] = {}
        self.stop_value: Any = None

    # ------------------------------------------------------------------ queue
    def enqueue(self, item: _Item) -> None:
        if item.done:  # restored from a checkpoint: its children may still be queued
            for c in item.children or ():
                self.enqueue(c)
            return
        self.tick += 1
        heapq.heappush(self.queue, (item.path, self.tick, item))

    def finish(self, item: _Item, frag: Fragment) -> None:
        item.frag = frag
        item.n_nodes, item.n_regions = frag.n_nodes, frag.n_regions
        item.children = []
        for path, parent_local, side in frag.holes:
            child = _Item(tuple(path), side)
            child.parent_id = parent_local  # local until the parent is emitted
            item.children.append(child)
            self.enqueue(child)
        self.fragments += 1
        self.found_regions += frag.n_regions
        if frag.stop is not None and self.stop_value is None:
            self.stop_value = frag.stop.value
        for k, v in frag.stats.items():
            self.stats[k] = self.stats.get(k, 0) + v
        if frag.text is not None:
            self.memory_text += len(frag.text)

    # ------------------------------------------------------------------ output
    def _write(self, text: str) -> None:
        if self.out is not None:
            self.out.write(text.encode())

    def _spill(self, item: _Item) -> None:
        if self.spill_dir is None or item.frag is None or item.frag.text is None:
            return
        self.spill_dir.mkdir(parents=True, exist_ok=True)
        name = "f" + "-".join(map(str, item.path)) + ".jsonl" if len(item.path) < 200 else f"f{id(item)}.jsonl"
        (self.spill_dir / name).write_text(item.frag.text)
        self.memory_text -= len(item.frag.text)
        item.spill, item.frag.text = name, None

    def spill_all(self) -> None:
        """Move every finished, unwritten fragment's text to disk."""
        todo = list(self.emit_stack)
        while todo:
            it = todo.pop()
            if it.done:
                if it.spill is None:
                    self._spill(it)
                todo.extend(it.children or ())

    def _text(self, item: _Item) -> str:
        if item.frag is not None and item.frag.text is not None:
            self.memory_text -= len(item.frag.text)
            return item.frag.text
        if item.spill is None or self.spill_dir is None:
            raise InternalError("internal error: a finished fragment lost its output")
        return (self.spill_dir / item.spill).read_text()

    def emit(self, final: bool = False) -> None:
        """Write every subtree that is next in preorder and finished (``final``: write the
        unfinished ones as open cells)."""
        stack = self.emit_stack
        while stack:
            it = stack[-1]
            if not it.done:
                if not final:
                    return
                stack.pop()
                self._emit_open(it)
                continue
            stack.pop()
            base = self.nodes
            if self.mode == "lines":
                self._write(self._text(it))
                if it.spill is not None:
                    self.emitted_spills.append(it.spill)
                    if self.ck_path is None:
                        self._drop_spills()
            else:
                self._emit_objects(it)
            for c in it.children or ():
                c.parent_id = base + (c.parent_id or 0)
            self.nodes += it.n_nodes
            self.regions += it.n_regions
            stack.extend(reversed(it.children or ()))
            it.frag, it.children = None, ()  # written: keep nothing of it (memory stays bounded)

    def _drop_spills(self) -> None:
        for name in self.emitted_spills:
            try:
                (self.spill_dir / name).unlink()  # type: ignore[operator]
            except OSError:
                pass
        self.emitted_spills = []

    def _link_root(self, it: _Item, root: TreeNode) -> None:
        root.parent = it.parent_id
        if it.parent_node is not None and it.side == "-":
            it.parent_node.split["neg"] = root.id  # type: ignore[index]

    def _emit_objects(self, it: _Item) -> None:
        off = self.nodes
        frag = it.frag
        for nd in frag.nodes:  # type: ignore[union-attr]
            nd.id += off
            if nd.parent is not None:
                nd.parent += off
            if nd.split is not None:
                nd.split["pos"] += off
                if nd.split["neg"] is not None:
                    nd.split["neg"] += off
            self.tree_nodes.append(nd)
        self._link_root(it, frag.nodes[0])  # type: ignore[index]
        for local, payload in frag.payloads:
            self.payloads[local + off] = payload
        for r in frag.regions:  # type: ignore[union-attr]
            r.node += off
            r.index = len(self.region_list)
            self.region_list.append(r)
        for c in it.children or ():
            c.parent_node = frag.nodes[c.parent_id or 0]  # type: ignore[index]
        frag.nodes = frag.regions = None  # type: ignore[union-attr]

    def _emit_open(self, it: _Item) -> None:
        self.opened += 1
        if self.mode == "lines":
            self._write(open_line(it.side))
        else:
            nd = TreeNode(self.nodes, None, it.side, open=True)
            self._link_root(it, nd)
            self.tree_nodes.append(nd)
        self.nodes += 1

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self, path: Path, elapsed: float) -> None:
        if self.out is None:
            return
        self.spill_all()
        self.out.flush()
        os.fsync(self.out.fileno())
        ck = {"format": CHECKPOINT_FORMAT, "version": 1, "spec": self.spec.key,
              "stream_bytes": self.out.tell(), "nodes": self.nodes, "regions": self.regions,
              "stats": self.stats, "fragments": self.fragments, "elapsed": elapsed,
              "todo": [it.to_json() for it in self.emit_stack]}
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(ck, separators=(",", ":")))
        os.replace(tmp, path)
        self._drop_spills()  # written before this checkpoint: no checkpoint needs them now


def parallel_walk(net: Network, domain: Polytope, executor: Executor, *, mode: str = "objects",
                  out: IO[bytes] | None = None, max_regions: int | None = None, time_limit: float | None = None,
                  progress: Callable[[Progress], Any] | None = None, progress_every: float = 0.5,
                  budget: float | None = None, spill_dir: "str | Path | None" = None,
                  checkpoint: "str | Path | None" = None, checkpoint_every: float = 10.0,
                  resume: dict | None = None, hooks: str | None = None, params: Any = None) -> WalkOutcome:
    """Walk the splitting tree of ``net`` over ``domain`` on ``executor``.

    Parameters
    ----------
    mode : ``"objects"`` (return a :class:`~exactrelu.regions.walk.Partition`) or ``"lines"``
        (write a stream certificate to ``out``, a binary file opened for writing at the
        position where the stream starts -- or, with ``resume``, at any position: it is
        truncated to the checkpoint's length).
    max_regions, time_limit : stop early; unexplored cells become open nodes. With several
        workers a run may find a few more regions than ``max_regions`` (running tasks finish).
    budget : seconds per task (default: short while workers would idle, else the
        executor's ``task_seconds``).
    spill_dir : where finished fragments wait for their turn (``"lines"`` mode).
    checkpoint, checkpoint_every, resume : see the module docstring.
    hooks, params : per-cell and per-region work done by the workers (see
        :class:`exactrelu.scale.worker.WalkSpec`); results come back in ``payloads`` (``"objects"``
        mode); a :class:`~exactrelu.scale.worker.StopWalk` payload stops the walk.

    Returns
    -------
    WalkOutcome
    """
    # in mode "objects" the result stays in memory: it is built, and the fragments unpickled, without the collector
    with gc_paused(long_lived=True) if mode == "objects" else nullcontext():
        t0 = time.perf_counter()
        run = _start_run(net, domain, executor, mode, out, spill_dir, checkpoint, resume, hooks, params)
        limits = (budget, time_limit, max_regions)
        in_flight: dict[Any, list[_Item]] = {}
        stopped = None
        if executor.serial_start > 0 and budget is None and mode == "objects" and executor.workers > 1:
            stopped = _serial_start(run, in_flight, limits, progress, progress_every, checkpoint_every, t0)
        if stopped is None and run.queue:
            run.ex = executor
            handle = executor.prepare(run.spec, install)
            stopped = _drive(run, handle, in_flight, limits, progress, progress_every, checkpoint_every, t0)
        return _finish_run(run, net, domain, in_flight, stopped, progress, t0)


def _serial_start(run: _Run, in_flight: dict, limits: tuple, progress: Callable[[Progress], Any] | None,
                  progress_every: float, checkpoint_every: float, t0: float) -> StopReason | None:
    """Walk in this process (tasks of an :class:`~exactrelu.scale.executor.InlineExecutor`)
    for the executor's ``serial_start`` seconds, and on in such periods until the queue holds
    a cell for every slot: a small walk never waits for workers to start, and forked workers
    begin with this process's walker and cached cell states (no replay of the first paths).
    Returns why the walk stopped, or None (the walk is complete or the queue is big enough)."""
    from .executor import InlineExecutor

    pool = run.ex
    run.ex = InlineExecutor()
    run.ex.task_seconds = pool.serial_start  # a task hands its stack back when the period ends
    until = pool.serial_start
    while True:
        stopped = _drive(run, run.spec, in_flight, limits, progress, progress_every, checkpoint_every, t0,
                         until=until)
        if stopped is not None or not run.queue or len(run.queue) >= pool.slots:
            return stopped
        until += pool.serial_start


def _start_run(net: Network, domain: Polytope, executor: Executor, mode: str, out: IO[bytes] | None,
               spill_dir: "str | Path | None", checkpoint: "str | Path | None", resume: dict | None,
               hooks: str | None, params: Any) -> _Run:
    """The walk's state, new (the stream's header written) or restored from ``resume``;
    the first checkpoint written (a killed run can always resume)."""
    if mode not in ("objects", "lines"):
        raise UsageError("mode is 'objects' or 'lines'")
    if mode == "lines" and out is None:
        raise UsageError("mode 'lines' writes to out")
    if hooks is not None and mode != "objects":
        raise UsageError("hooks need mode 'objects'")
    spec = WalkSpec.of(net, domain, hooks, params)
    spill = Path(spill_dir) if spill_dir is not None else None
    ck_path = Path(checkpoint) if checkpoint is not None else None
    if ck_path is not None and spill is None:
        raise UsageError("checkpoints need a spill directory")
    run = _Run(spec, executor, mode, out, spill)
    run.ck_path = ck_path
    if resume is not None:
        if mode != "lines":
            raise UsageError("resume needs mode 'lines'")
        if resume.get("spec") != spec.key:
            raise CheckpointError("the checkpoint belongs to a different network or domain")
        out.seek(resume["stream_bytes"])  # type: ignore[union-attr]
        out.truncate()  # type: ignore[union-attr]
        run.nodes, run.regions, run.fragments = resume["nodes"], resume["regions"], resume["fragments"]
        run.found_regions = run.regions
        run.stats = dict(resume["stats"])
        run.emit_stack = [_Item.from_json(d) for d in resume["todo"]]
        for it in run.emit_stack:
            run.enqueue(it)
            run.found_regions += _done_regions(it)
    else:
        if mode == "lines":
            run._write(header(spec.network, spec.domain, format_vector(domain.interior_point)))
        run.emit_stack = [_Item((), None)]
        run.enqueue(run.emit_stack[0])
    if ck_path is not None and resume is None:
        run.checkpoint(ck_path, 0.0)  # a killed run can always resume, even before the first period
    return run


def _submit_ready(run: _Run, handle: Any, in_flight: dict, budget: float | None) -> None:
    """Fill the free slots with the earliest cells in preorder (several small ones per task
    while the queue holds more than every slot can take)."""
    executor = run.ex
    slots = executor.slots
    while run.queue and len(in_flight) < slots:
        n = max(1, min(executor.batch, len(run.queue) // slots))
        items = [heapq.heappop(run.queue)[2] for _ in range(n)]
        b = budget
        if b is None:
            b = SHORT_BUDGET if len(run.queue) + len(in_flight) < slots else executor.task_seconds
            if executor.workers == 1:
                b = executor.task_seconds
        in_flight[executor.submit(run_fragments, handle, [it.path for it in items], b, run.mode)] = items
        run.stats["tasks"] = run.stats.get("tasks", 0) + 1


def _drive(run: _Run, handle: Any, in_flight: dict, limits: tuple, progress: Callable[[Progress], Any] | None,
           progress_every: float, checkpoint_every: float, t0: float, until: float | None = None) -> StopReason | None:
    """Submit tasks and take their fragments until the tree is done or a limit (``limits`` =
    ``(budget, time_limit, max_regions)``), a stop payload or a signal stops the walk; returns
    why it stopped (None: nothing stopped it). With ``until``: return (None) once that many
    seconds of the walk have passed and no task is in flight."""
    budget, time_limit, max_regions = limits
    executor = run.ex
    stopped: StopReason | None = None
    last_progress = last_ck = time.perf_counter()
    interrupted = False
    restore = _catch_stop_signals(run)
    try:
        while True:
            if run.stop_requested and stopped is None:
                stopped = StopReason.INTERRUPTED
            if stopped is None:
                _submit_ready(run, handle, in_flight, budget)
            if not in_flight:
                break
            done = executor.wait_first(list(in_flight), timeout=1.0)
            for fut, frags in zip(done, executor.results(done)):
                items = in_flight.pop(fut)
                for item, frag in zip(items, frags):
                    run.finish(item, frag)
                for item in items[len(frags):]:  # not started within the budget: queued again
                    run.enqueue(item)
            run.emit()
            if run.memory_text > 64 << 20:
                run.spill_all()
            now = time.perf_counter()
            if stopped is None:
                if run.stop_value is not None:
                    stopped = StopReason.STOP
                elif time_limit is not None and now - t0 > time_limit:
                    stopped = StopReason.TIME_LIMIT
                elif max_regions is not None and run.found_regions >= max_regions:
                    stopped = StopReason.MAX_REGIONS
            if progress is not None and now - last_progress >= progress_every:
                last_progress = now
                progress(Progress(run.found_regions, len(run.queue) + len(in_flight), run.stats["nodes"], now - t0))
            if run.ck_path is not None and now - last_ck >= checkpoint_every:
                last_ck = now
                run.checkpoint(run.ck_path, now - t0)
            if until is not None and stopped is None and not in_flight and now - t0 >= until:
                break
    except KeyboardInterrupt:
        interrupted = True
        stopped = StopReason.INTERRUPTED
        executor.close(cancel=True)
    finally:
        restore()
        if not interrupted:
            executor.release()
    return stopped


def _finish_run(run: _Run, net: Network, domain: Polytope, in_flight: dict, stopped: StopReason | None,
                progress: Callable[[Progress], Any] | None, t0: float) -> WalkOutcome:
    """Emit what is left, close the stream or build the partition, clean up after a complete
    walk (checkpoint, spill files) and return the outcome."""
    run.emit()
    ck_path, spill, out = run.ck_path, run.spill_dir, run.out
    complete = not run.queue and not in_flight and not any(not it.done for it in _all_items(run.emit_stack))
    if not complete and ck_path is not None:
        run.checkpoint(ck_path, time.perf_counter() - t0)
    run.emit(final=True)
    if run.mode == "lines":
        run._write(trailer(complete, run.nodes, run.regions))
        out.flush()  # type: ignore[union-attr]
    if complete:
        stopped = None
        if ck_path is not None and ck_path.exists():
            ck_path.unlink()
        if spill is not None and spill.exists():
            for f in spill.iterdir():
                f.unlink()
            spill.rmdir()
    elif stopped is None:
        stopped = StopReason.TIME_LIMIT
    seconds = time.perf_counter() - t0
    if progress is not None:
        progress(Progress(run.regions, 0, run.stats["nodes"], seconds))
    outcome = WalkOutcome(complete, stopped, run.nodes, run.regions, seconds, run.fragments, run.stats,
                          payloads=run.payloads, stop_value=run.stop_value)
    if run.mode == "objects":
        outcome.partition = Partition(net, domain, run.region_list, run.tree_nodes, complete, seconds, stopped,
                                      dict(run.stats, nodes=len(run.tree_nodes)))
    return outcome


def _catch_stop_signals(run: _Run) -> Callable[[], None]:
    """While the walk runs (in the main thread), SIGINT and SIGTERM ask it to stop cleanly:
    running tasks finish, the stream is closed as incomplete and a checkpoint is written.
    A second signal acts as usual."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    old = {}

    def handler(signum, frame):  # noqa: ARG001
        run.stop_requested = True
        for sig, h in old.items():
            signal.signal(sig, h)

    for sig in (signal.SIGINT, signal.SIGTERM):
        old[sig] = signal.signal(sig, handler)

    def restore() -> None:
        for sig, h in old.items():
            signal.signal(sig, h)

    return restore


def _all_items(stack: list[_Item]):
    todo = list(stack)
    while todo:
        it = todo.pop()
        yield it
        if it.done:
            todo.extend(it.children or ())


def _done_regions(item: _Item) -> int:
    return sum(it.n_regions for it in _all_items([item]) if it.done)
