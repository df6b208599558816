"""Scale figures (issue 8): 1 vs 2 workers, Dask, and a 10^6-region streaming run.

    python benchmarks/bench_scale.py [--quick] [--no-dask] [--million] [--million-width 1800]

Throughput table: for each benchmark net (../shared/benchmarks/random2d nets over
[-1,1]^n; ACAS Xu 1_1 inside the property-3 box with a time limit) the same walk is run,
within one process, by the plain serial enumerator, by the parallel code path with one
worker (in this process), with a process pool of 2 workers and with a local Dask cluster
of 2 workers. Rates are regions per wall-clock second; ratios compare runs of this
script. For complete runs the stream certificates of all runs are compared byte for byte.

``--million``: a one-hidden-layer 2-D net wide enough for about 10^6 regions, enumerated
to a stream certificate with 2 workers, the total resident memory of the process tree
sampled from /proc, then the streaming checker on the result; a 10^5-region run of the
same kind is measured first for comparison.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _shared import REPO, acas, acas_prop, random_nets  # noqa: E402

from exactrelu.domain.polytope import box
from exactrelu.scale.executor import DaskExecutor, InlineExecutor, PoolExecutor
from exactrelu.io.loader import load_model
from exactrelu.io.native_json import save_json
from exactrelu.model.network import mlp
from exactrelu.scale.parallel import parallel_walk
from exactrelu.model.random_nets import random_network
from exactrelu.regions.walk import enumerate_regions
from exactrelu.domain.vnnlib import load_vnnlib

NETS = [("2-D 32-32-32 s4", 2, [32, 32, 32], 4, None), ("2-D 64-64 s5", 2, [64, 64], 5, None),
        ("2-D 50x6 s6", 2, [50] * 6, 6, None), ("4-D 16-16 s7", 4, [16, 16], 7, None),
        ("4-D 32-32-32 s8 (60 s)", 4, [32, 32, 32], 8, 60.0)]


def _walk(net, D, ex, limit):
    buf = io.BytesIO()
    t = time.perf_counter()
    out = parallel_walk(net, D, ex, mode="lines", out=buf, time_limit=limit)
    return out.regions, time.perf_counter() - t, out.complete, buf.getvalue()


def throughput(name, net, D, limit, dask: bool) -> None:
    gc.collect()
    t = time.perf_counter()
    part = enumerate_regions(net, D, time_limit=limit)
    t_ser = time.perf_counter() - t
    r_ser = len(part.regions) / t_ser
    del part
    n1, t1, c1, s1 = _walk(net, D, InlineExecutor(), limit)
    n2, t2, c2, s2 = _walk(net, D, PoolExecutor(2), limit)
    same = "yes" if c1 and c2 and s1 == s2 else ("-" if not (c1 and c2) else "NO")
    cells = [f"{r_ser:7.0f}", f"{n1 / t1:7.0f}", f"{n2 / t2:7.0f}", f"{(n2 / t2) / (n1 / t1):5.2f}x"]
    if dask:
        ex = DaskExecutor("local", 2)
        try:
            nd, td, cd, sd = _walk(net, D, ex, limit)
        finally:
            ex.close()
        same = same if not (cd and c1) else ("yes" if sd == s1 and same != "NO" else "NO")
        cells += [f"{nd / td:7.0f}", f"{(nd / td) / (n1 / t1):5.2f}x"]
    else:
        cells += ["-", "-"]
    print(f"| {name:24s} | {max(n1, n2):7d}{'' if c1 and c2 else '+'} | " + " | ".join(cells) + f" | {same} |",
          flush=True)


def in_memory_and_check(name: str, net, D, limit) -> None:
    """Issue 18: the in-memory path (``mode="objects"``, what ``regions --workers N`` without
    ``--stream`` runs) serially and on a pool of 2, then the JSON partition certificate
    checked by one and by two checker processes; wall-clock seconds, ratios within this run."""
    from exactrelu.certificate.partition import partition_certificate
    from exactrelu.checker import check_certificate

    gc.collect()
    t = time.perf_counter()
    part = enumerate_regions(net, D, time_limit=limit)
    t_ser = time.perf_counter() - t
    t = time.perf_counter()
    out = parallel_walk(net, D, PoolExecutor(2), mode="objects", time_limit=limit)
    t_pool = time.perf_counter() - t
    cert = partition_certificate(part, adjacency=False)
    same = "yes" if part.complete and out.complete and \
        partition_certificate(out.partition, adjacency=False) == cert else "-"
    times = []
    for w in (1, 2):
        t = time.perf_counter()
        rep = check_certificate(cert, workers=w)
        times.append(time.perf_counter() - t)
        if not rep.valid:
            raise SystemExit(f"{name}: certificate rejected with {w} worker(s): {rep}")
    print(f"| {name:24s} | {len(part.regions):7d}{'' if part.complete else '+'} | {t_ser:6.1f} s | {t_pool:6.1f} s | "
          f"{t_ser / t_pool:5.2f}x | {times[0]:6.1f} s | {times[1]:6.1f} s | {times[0] / times[1]:5.2f}x | "
          f"{times[0] / t_ser:5.2f} | {same} |", flush=True)


def acas_verify(spec: str, limit: float, dask: bool) -> None:
    """Seconds to a verdict for ACAS Xu instances, 1 worker vs a pool of 2 (and Dask)."""
    from exactrelu.checker import check_certificate
    from exactrelu.verify.property import property_certificate, verify

    print("\nACAS Xu verification, seconds to the verdict (same limit for each run):\n")
    print("| instance | verdict | regions | 1 worker | pool 2 | speed-up | dask 2 | speed-up | certificates |")
    print("|---|---|---|---|---|---|---|---|---|")
    for item in spec.split(","):
        netname, p = item.split(":")
        i, j = map(int, netname.split("_"))
        net = load_model(acas(i, j))
        prop = load_vnnlib(acas_prop(int(p)), 5, 5)
        runs = [("1", None), ("pool", PoolExecutor(2))]
        if dask:
            runs.append(("dask", DaskExecutor("local", 2)))
        res = {}
        for name, ex in runs:
            t = time.perf_counter()
            r = verify(net, prop, time_limit=limit, samples=0, executor=ex)
            res[name] = (r, time.perf_counter() - t)
            if ex is not None and name == "dask":
                ex.close()
        r1, t1 = res["1"]
        certs = "-"
        if r1.verdict == "holds":
            cs = [property_certificate(net, prop, res[k][0]) for k in res if res[k][0].verdict == "holds"]
            certs = ("identical, valid" if all(c == cs[0] for c in cs) and check_certificate(cs[0]).valid
                     else "DIFFER")
        cells = [f"{res['pool'][1]:6.1f} s", f"{t1 / res['pool'][1]:5.2f}x"]
        cells += [f"{res['dask'][1]:6.1f} s", f"{t1 / res['dask'][1]:5.2f}x"] if "dask" in res else ["-", "-"]
        verdicts = "/".join(sorted({v[0].verdict for v in res.values()}))
        print(f"| {netname} prop {p} | {verdicts} | {r1.regions} | {t1:6.1f} s | " + " | ".join(cells)
              + f" | {certs} |", flush=True)


class _RssSampler:
    """Peak total resident memory (VmRSS) of a process and all its descendants, from /proc."""

    def __init__(self, pid: int) -> None:
        self.pid, self.peak, self._stop = pid, 0, False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _tree(self) -> list[int]:
        kids: dict[int, list[int]] = {}
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
                    kids.setdefault(ppid, []).append(int(d))
                except (OSError, ValueError, IndexError):
                    pass
        out, todo = [], [self.pid]
        while todo:
            p = todo.pop()
            out.append(p)
            todo.extend(kids.get(p, []))
        return out

    def _run(self) -> None:
        while not self._stop:
            total = 0
            for p in self._tree():
                try:
                    with open(f"/proc/{p}/status") as fh:
                        for line in fh:
                            if line.startswith("VmRSS:"):
                                total += int(line.split()[1])
                except OSError:
                    pass
            self.peak = max(self.peak, total)
            time.sleep(0.25)

    def stop(self) -> int:
        self._stop = True
        self._t.join()
        return self.peak


def streaming_run(width: int, workers: int, tmp: Path) -> None:
    net = random_network([width], seed=1)
    model = tmp / f"wide{width}.json"
    save_json(net, model)
    out = tmp / f"wide{width}.jsonl"
    cmd = [sys.executable, "-m", "exactrelu.cli", "regions", str(model), "--box=-1:1", "--stream", str(out),
           "--workers", str(workers), "--json", "--no-progress"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    sampler = _RssSampler(proc.pid)
    so, _ = proc.communicate()
    peak = sampler.stop()
    secs = time.perf_counter() - t
    import json

    summary = json.loads(so)
    size = out.stat().st_size
    cmd = [sys.executable, "-m", "exactrelu.checker", str(out), "--json"]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, cwd=REPO)
    sampler = _RssSampler(proc.pid)
    so, _ = proc.communicate()
    cpeak = sampler.stop()
    csecs = time.perf_counter() - t
    rep = json.loads(so)
    print(f"| 1 x {width} ({workers} workers) | {summary['regions']:8d} | {secs:7.0f} s | "
          f"{summary['regions'] / secs:6.0f} | {peak / 1024:7.0f} MiB | {size / 2**20:7.0f} MiB | "
          f"{'valid' if rep.get('valid') else 'INVALID'} {csecs:6.0f} s | {cpeak / 1024:6.0f} MiB |", flush=True)
    out.unlink()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="only the two smaller nets, no ACAS")
    ap.add_argument("--no-dask", action="store_true")
    ap.add_argument("--million", action="store_true", help="also the 10^5 and 10^6-region streaming runs")
    ap.add_argument("--million-width", type=int, default=1800)
    ap.add_argument("--skip-table", action="store_true", help="only the streaming runs")
    ap.add_argument("--acas-verify", default="", help="ACAS Xu instances to verify with 1 and 2 workers, e.g. "
                    "'1_1:3,1_2:4' (net:property)")
    ap.add_argument("--acas-limit", type=float, default=60.0)
    ap.add_argument("--shared", default=None)
    ap.add_argument("--find-check", action="store_true", help="only the in-memory find and the checking ratios "
                    "(1 vs 2 workers) of issue 18")
    args = ap.parse_args()
    if args.find_check:
        print("In-memory walk (regions --workers N without --stream) and checking of the JSON partition certificate "
              "(no adjacency), wall clock, 1 vs 2 workers:\n")
        print("| net | regions | find 1 | find pool 2 | ratio | check 1 | check 2 | ratio | check/find | same |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        rn = random_nets()
        for name, n_in, widths, seed, limit in NETS[1:4]:
            net = mlp(n_in, rn.random_net(widths, seed, n_in=n_in)) if n_in != 2 else mlp(2, rn.random_net(widths, seed))
            in_memory_and_check(name, net, box([-1] * n_in, [1] * n_in), limit)
        net = load_model(acas(1, 1))
        prop = load_vnnlib(acas_prop(4), 5, 5)
        in_memory_and_check("ACAS 1_1 prop-4 box", prop.restrict(net), prop.input_regions[0], None)
        return
    dask = not args.no_dask
    if dask:
        try:
            import distributed  # noqa: F401
        except ImportError:
            print("(Dask not installed: pip install '.[dask]'; Dask columns skipped)\n")
            dask = False
    print(f"Regions per wall-clock second on {os.cpu_count()} cores. 'serial' = enumerate_regions; '1 worker' = "
          "the parallel code path in one process;\n'pool 2' = process pool of 2; 'dask 2' = Dask LocalCluster of 2 "
          "single-thread workers; ratios against 1 worker;\n'same' = all stream certificates identical byte for "
          "byte; '+' = stopped by the time limit.\n")
    print("| net | regions | serial | 1 worker | pool 2 | ratio | dask 2 | ratio | same |")
    print("|---|---|---|---|---|---|---|---|---|")
    rn = random_nets()
    nets = [] if args.skip_table else NETS[:2] if args.quick else NETS
    for name, n_in, widths, seed, limit in nets:
        net = mlp(n_in, rn.random_net(widths, seed, n_in=n_in)) if n_in != 2 else mlp(2, rn.random_net(widths, seed))
        throughput(name, net, box([-1] * n_in, [1] * n_in), limit, dask)
    if not args.quick and not args.skip_table:
        net = load_model(acas(1, 1))
        prop = load_vnnlib(acas_prop(3), 5, 5)
        throughput(f"ACAS 1_1 prop-3 box ({args.acas_limit:g} s)", prop.restrict(net), prop.input_regions[0],
                   args.acas_limit, dask)
    if args.acas_verify:
        acas_verify(args.acas_verify, args.acas_limit, dask)
    if args.million:
        print("\nStreaming runs (stream certificate on disk, peak resident memory of all processes, then the "
              "streaming checker):\n")
        print("| net | regions | time | regions/s | peak RSS | stream size | checker | checker RSS |")
        print("|---|---|---|---|---|---|---|---|")
        with tempfile.TemporaryDirectory() as d:
            streaming_run(max(200, args.million_width // 3), 2, Path(d))
            streaming_run(args.million_width, 2, Path(d))


if __name__ == "__main__":
    main()
