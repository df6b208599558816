"""Executors: where the cells of a splitting-tree walk are processed.

One small interface, three implementations, the same code path above them
(:mod:`exactrelu.scale.parallel`):

* :class:`InlineExecutor` -- in this process (the serial run);
* :class:`PoolExecutor` -- a local process pool (``--workers N``; standard library only);
* :class:`DaskExecutor` -- a Dask distributed cluster (``--dask tcp://host:8786``, or a
  ``LocalCluster`` it starts itself with ``--dask local``); needs the ``dask`` extra.

A task is a pure function of a picklable work spec and a cell address, so any executor
may run any task anywhere; results are merged by the caller in splitting-tree preorder.

Examples
--------
>>> ex = make_executor(workers=1)
>>> ex.workers, type(ex).__name__
(1, 'InlineExecutor')
>>> fut = ex.submit(pow, 2, 10)
>>> ex.wait_first([fut])[0].result()
1024
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import importlib
import os
import sys
from typing import Any, Callable, Sequence

from ..errors import BackendUnavailableError, ClusterError, UsageError

__all__ = ["Executor", "InlineExecutor", "PoolExecutor", "start_pool_worker", "DaskExecutor", "make_executor", "WORKER_MODULES",
           "package_version", "SERIAL_START"]

WORKER_MODULES = ("exactrelu.scale.worker", "exactrelu.regions.walk")  # what every walk's workers import
# An in-memory walk on a process pool starts in this process for this many seconds (and
# fans out once the queue holds a cell per slot): a short walk is never slower than serial
SERIAL_START = 1.0


class Executor:
    """The executor interface: ``prepare`` a work spec once, ``submit`` tasks, ``wait_first``."""

    workers: int = 1
    task_seconds: float = 0.5  # a task's time budget while every worker has work queued
    batch: int = 8  # at most this many queued cells per task
    serial_start: float = 0.0  # seconds an in-memory walk runs in this process before it fans out

    @property
    def slots(self) -> int:
        """How many tasks to keep submitted at once (one running and one queued per worker)."""
        return 2 * self.workers if self.workers > 1 else 1

    def prepare(self, spec: Any, install: Callable[[Any], None] | None = None) -> Any:
        """Make ``spec`` available to the workers; returns the handle tasks receive."""
        return spec

    def submit(self, fn: Callable, *args: Any) -> Any:
        raise NotImplementedError

    def wait_first(self, futures: list, timeout: float | None = None) -> list:
        """The futures among ``futures`` that are done (waits for at least one, or ``timeout``)."""
        raise NotImplementedError

    def results(self, futures: list) -> list:
        """The results of finished ``futures``, in order (an executor may fetch them at once)."""
        return [f.result() for f in futures]

    def release(self) -> None:
        """The walk that called :meth:`prepare` is over (a pool bound to its spec stops; a
        cluster stays up for the next walk)."""

    def close(self, cancel: bool = False) -> None:
        """Release the workers (``cancel``: drop queued tasks, do not wait for running ones)."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close(cancel=exc[0] is not None)


class InlineExecutor(Executor):
    """Runs each task at once, in this process."""

    workers = 1

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        fut: cf.Future = cf.Future()
        try:
            fut.set_result(fn(*args))
        except BaseException as exc:  # noqa: BLE001 - delivered through the future, like the others
            if isinstance(exc, KeyboardInterrupt):
                raise
            fut.set_exception(exc)
        return fut

    def wait_first(self, futures: list, timeout: float | None = None) -> list:
        return [f for f in futures if f.done()]


def start_pool_worker(install: Callable[[Any], None] | None, spec: Any, parent: int) -> None:
    """A pool worker's initializer: ``install(spec)`` (which asks the kernel to kill the worker
    with its parent), then exit at once if the parent died before that request was made: a
    ``kill -9`` of the walk between a worker's fork and its initializer must not leave an
    orphan waiting forever on the pool's queue."""
    if install is not None:
        install(spec)
    if os.getppid() != parent:
        os._exit(1)


class PoolExecutor(Executor):
    """A local process pool of ``workers`` processes (forked on Linux: the parent's imports
    are shared); the work spec is installed once per process by the pool initializer."""

    serial_start = SERIAL_START

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise UsageError(f"--workers must be at least 1 (got {workers})")
        self.workers = workers
        self._pool: cf.ProcessPoolExecutor | None = None

    def prepare(self, spec: Any, install: Callable[[Any], None] | None = None) -> Any:
        self.release()  # a pool is bound to one spec (its initializer installed it)
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=start_pool_worker,
                                            initargs=(install, spec, os.getpid()))
        return getattr(spec, "key", spec) if install else spec

    def submit(self, fn: Callable, *args: Any) -> cf.Future:
        if self._pool is None:
            raise RuntimeError("prepare() first")
        return self._pool.submit(fn, *args)

    def wait_first(self, futures: list, timeout: float | None = None) -> list:
        done, _ = cf.wait(futures, timeout=timeout, return_when=cf.FIRST_COMPLETED)
        return list(done)

    def release(self) -> None:
        self.close()

    def close(self, cancel: bool = False) -> None:
        if self._pool is not None:
            if cancel:
                for p in list(getattr(self._pool, "_processes", {}).values()):
                    try:
                        p.terminate()
                    except Exception:  # pragma: no cover - already gone
                        pass
            self._pool.shutdown(wait=not cancel, cancel_futures=cancel)
            self._pool = None


# Worker settings for the LocalCluster this module starts: the statistical profiler (a
# stack sample every 10 ms) and the frequent monitors take the GIL from the task thread;
# without them a 2-worker cluster walked 8-17 % faster (README, "Scale"). Workers of
# a cluster started elsewhere keep their own configuration (the README says how to set it).
LOCAL_WORKER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.admin.tick.interval": "200ms",
}


class DaskExecutor(Executor):
    """A Dask distributed cluster: ``address`` of a running scheduler, or ``"local"`` for a
    ``LocalCluster`` of ``workers`` single-threaded worker processes started here.

    A task's round trip through the scheduler costs milliseconds, so tasks run longer
    (``task_seconds``) and one is always queued per worker, even with one worker."""

    task_seconds = 1.0
    batch = 32

    def __init__(self, address: str = "local", workers: int = 2, task_seconds: float | None = None,
                 preload: Sequence[str] = WORKER_MODULES) -> None:
        self._preloaded = set(preload)
        if task_seconds is not None:
            self.task_seconds = task_seconds
        try:
            import distributed
        except ImportError:
            raise BackendUnavailableError("Dask is not installed: pip install 'exactrelu[dask]'") from None
        self._distributed = distributed
        self._cluster = None
        if address == "local":
            import dask

            with dask.config.set(LOCAL_WORKER_CONFIG):
                self._cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                         dashboard_address=":0", silence_logs=40)
            self.client = distributed.Client(self._cluster)
        else:
            try:
                self.client = distributed.Client(address, timeout=20)
            except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address at all
                raise ClusterError(f"cannot reach the Dask scheduler at {address[:200]}: {exc}") from None
        self._check_workers(address, tuple(preload))
        info = self.client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def _check_workers(self, address: str, modules: tuple[str, ...]) -> None:
        """Every worker imports the walk's ``modules`` now (not in the first task) and must run
        this version of exactrelu: a worker with another version could build another tree."""
        __version__ = package_version()
        try:
            versions = self.client.run(import_modules, modules)
        except Exception as exc:  # noqa: BLE001 - whatever the worker raised, with its message
            self.close()
            raise ClusterError(f"the Dask workers at {address} cannot run exactrelu "
                                 f"({type(exc).__name__}: {exc}); install exactrelu {__version__} on every "
                                 f"worker") from None
        other = {w: v for w, v in versions.items() if v != __version__}
        if other:
            self.close()
            w, v = next(iter(other.items()))
            raise ClusterError(f"Dask worker {w} runs exactrelu {v}, this process {__version__}: "
                                 f"install the same version on every worker")

    @property
    def slots(self) -> int:
        return 2 * self.workers

    def prepare(self, spec: Any, install: Callable[[Any], None] | None = None) -> Any:
        """Scatter ``spec`` to every worker; the module of its ``hooks`` (``"module:function"``,
        if any) is imported on every worker first, once per cluster."""
        hooks = getattr(spec, "hooks", None)
        if hooks:
            mod = hooks.partition(":")[0]
            if mod not in self._preloaded:
                self.client.run(import_modules, (mod,))
                self._preloaded.add(mod)
        return self.client.scatter(spec, broadcast=True)

    def submit(self, fn: Callable, *args: Any) -> Any:
        return self.client.submit(fn, *args, pure=False)

    def wait_first(self, futures: list, timeout: float | None = None) -> list:
        try:
            done, _ = self._distributed.wait(futures, timeout=timeout, return_when="FIRST_COMPLETED")
        except self._distributed.TimeoutError:
            return []
        return list(done)

    def results(self, futures: list) -> list:
        return self.client.gather(futures)  # one round trip for all of them

    def close(self, cancel: bool = False) -> None:
        try:
            self.client.close()
        finally:
            if self._cluster is not None:
                self._cluster.close()


def package_version() -> str:
    """The version of the package this module belongs to (its root package, which Python
    always loads before any of its modules: read, not imported, so the scale stage depends on
    nothing above it).

    >>> package_version() == __import__("exactrelu").__version__
    True
    """
    return sys.modules[__name__.partition(".")[0]].__version__


def import_modules(names: Sequence[str]) -> str:
    """(On a worker) import the modules ``names``; return the worker's package version.

    >>> import_modules(["exactrelu.scale.worker"]) == package_version()
    True
    """
    for name in names:
        importlib.import_module(name)
    return package_version()


def make_executor(workers: int | None = 1, dask: str | None = None) -> Executor:
    """The executor for ``--workers N`` / ``--dask ADDRESS|local``.

    ``workers`` None means one per CPU core; 1 (without Dask) runs in this process.
    """
    if workers is None:
        workers = os.cpu_count() or 1
    if dask:
        return DaskExecutor(dask, workers)
    if workers == 1:
        return InlineExecutor()
    return PoolExecutor(workers)
