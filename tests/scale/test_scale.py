"""Scale: parallel walks equal the serial walk, stream certificates, checkpoints and resume.

Oracle: the serial enumerator (itself checked against the polygon oracle in
test_regions_vs_oracle.py). A parallel or resumed run must give *the same* certificate,
byte for byte in stream form.
"""

from __future__ import annotations

import io
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from exactrelu.certificate.partition import partition_certificate
from exactrelu.checker import check_certificate
from exactrelu.checker.checker import CertificateInvalid, CertificateMalformed
from exactrelu.domain.polytope import box
from exactrelu.errors import ExactReluError
from exactrelu.scale.executor import InlineExecutor, PoolExecutor, make_executor
from exactrelu.io.native_json import save_json
from exactrelu.scale.parallel import load_checkpoint, parallel_walk
from exactrelu.model.random_nets import random_network
from exactrelu.regions.walk import enumerate_regions
from exactrelu.certificate.stream import partition_stream_lines, stream_to_certificate

SQ = box([-1, -1], [1, 1])


def _serial(net, dom=SQ):
    part = enumerate_regions(net, dom)
    return part, "".join(partition_stream_lines(part)).encode()


@pytest.fixture(scope="module")
def mid():
    net = random_network([12, 12, 12], seed=5)
    part, stream = _serial(net)
    assert len(part.regions) > 100
    return net, part, stream


def test_pool_objects_equal_serial_even_when_cut_at_every_node(mid):
    net, part, _ = mid
    out = parallel_walk(net, SQ, PoolExecutor(2), mode="objects", budget=0.0)  # one node per task
    assert out.complete and out.fragments == len(part.nodes)
    assert partition_certificate(out.partition, adjacency=False) == partition_certificate(part, adjacency=False)
    assert [r.index for r in out.partition.regions] == list(range(len(part.regions)))


def test_pool_stream_bytes_equal_serial(mid):
    net, _, stream = mid
    buf = io.BytesIO()
    out = parallel_walk(net, SQ, PoolExecutor(2), mode="lines", out=buf)
    assert out.complete
    assert buf.getvalue() == stream


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(1, 6), min_size=1, max_size=3), st.integers(0, 10**6), st.sampled_from([0.0, 0.002]))
def test_inline_fragments_equal_serial(widths, seed, budget):
    net = random_network(widths, seed=seed)
    part, stream = _serial(net)
    buf = io.BytesIO()
    out = parallel_walk(net, SQ, InlineExecutor(), mode="lines", out=buf, budget=budget)
    assert buf.getvalue() == stream and out.regions == len(part.regions)


def test_stream_certificate_checks_and_converts(mid, tmp_path):
    net, part, stream = mid
    p = tmp_path / "c.jsonl"
    p.write_bytes(stream)
    rep = check_certificate(p)
    assert rep.complete and rep.leaves == len(part.regions) and rep.nodes == len(part.nodes)
    conv = stream_to_certificate(stream.decode().splitlines(keepends=True))
    assert conv == partition_certificate(part, adjacency=False)


def _lines(stream: bytes) -> list[dict]:
    return [json.loads(x) for x in stream.decode().splitlines()]


def _reject(tmp_path, objs, rule):
    p = tmp_path / "bad.jsonl"
    p.write_text("".join(json.dumps(o) + "\n" for o in objs))
    if rule == "malformed":
        with pytest.raises(CertificateMalformed):
            check_certificate(p)
    else:
        with pytest.raises(CertificateInvalid) as exc:
            check_certificate(p)
        assert exc.value.rule == rule, exc.value.message


def test_stream_corruptions_are_rejected(mid, tmp_path):
    _, _, stream = mid
    base = _lines(stream)
    leaf = next(i for i, o in enumerate(base) if "region" in o)
    dec = next(i for i, o in enumerate(base) if i and o.get("decisions"))
    cases = []
    m = json.loads(json.dumps(base)); m[leaf]["region"]["pattern"] = "0" * len(m[leaf]["region"]["pattern"])
    cases.append((m, "region-pattern"))
    m = json.loads(json.dumps(base)); m[leaf]["region"]["d"][0] = "12345"
    cases.append((m, "region-map"))
    m = json.loads(json.dumps(base)); del m[leaf]["region"]
    cases.append((m, "region-list"))
    m = json.loads(json.dumps(base))
    d = m[dec]["decisions"][0]
    if isinstance(d[2][0], int):  # a vertex basis: claim the opposite sign
        d[1] = "+" if d[1] == "-" else "-"
    else:
        d[2][0][1] = "0"
    cases.append((m, "stable-farkas"))
    m = json.loads(json.dumps(base)); del m[leaf]  # a dropped leaf
    cases.append((m, "tree-structure"))
    m = json.loads(json.dumps(base)); m[-1]["nodes"] += 1
    cases.append((m, "tree-structure"))
    m = json.loads(json.dumps(base)); m[leaf]["open"] = True; del m[leaf]["region"]; m[-1]["leaves"] -= 1
    cases.append((m, "tree-structure"))  # open cell in a stream that claims completeness
    m = json.loads(json.dumps(base)); m.insert(-1, m[leaf])
    cases.append((m, "tree-structure"))
    m = json.loads(json.dumps(base)); sp = next(o for o in m[1:] if o.get("split")); sp["split"]["witness_neg"] = sp["split"]["witness_pos"]
    cases.append((m, "split-witness"))
    cases.append((base[:-1], "malformed"))  # killed before the end line
    for objs, rule in cases:
        _reject(tmp_path, objs, rule)
    p = tmp_path / "cut.jsonl"
    p.write_bytes(stream[: len(stream) // 2])
    with pytest.raises(CertificateMalformed):
        check_certificate(p)


def test_limits_give_valid_incomplete_streams(mid, tmp_path):
    net, part, _ = mid
    p = tmp_path / "s.jsonl"
    with open(p, "wb") as fh:
        out = parallel_walk(net, SQ, PoolExecutor(2), mode="lines", out=fh, max_regions=20, budget=0.0)
    assert not out.complete and out.stopped_by == "max_regions" and 20 <= out.regions < len(part.regions)
    rep = check_certificate(p)
    assert not rep.complete and rep.open_nodes > 0 and rep.leaves == out.regions


def test_resume_after_a_limit_gives_the_serial_stream(mid, tmp_path):
    net, _, stream = mid
    p, ck, parts = tmp_path / "s.jsonl", tmp_path / "s.ckpt", tmp_path / "parts"
    with open(p, "wb") as fh:
        out = parallel_walk(net, SQ, PoolExecutor(2), mode="lines", out=fh, max_regions=30, budget=0.0,
                            spill_dir=parts, checkpoint=ck)
    assert not out.complete and ck.exists()
    rounds = 0
    while ck.exists():
        rounds += 1
        with open(p, "r+b") as fh:
            out = parallel_walk(net, SQ, InlineExecutor(), mode="lines", out=fh, max_regions=40, budget=0.0,
                                spill_dir=parts, checkpoint=ck, resume=load_checkpoint(ck))
    assert out.complete and rounds > 1
    assert p.read_bytes() == stream and not parts.exists()


def test_checkpoint_of_another_network_is_refused(mid, tmp_path):
    net, _, _ = mid
    p, ck = tmp_path / "s.jsonl", tmp_path / "s.ckpt"
    with open(p, "wb") as fh:
        parallel_walk(net, SQ, InlineExecutor(), mode="lines", out=fh, max_regions=5, budget=0.0,
                      spill_dir=tmp_path / "parts", checkpoint=ck)
    with open(p, "r+b") as fh, pytest.raises(ExactReluError, match="different network"):
        parallel_walk(random_network([3], seed=1), SQ, InlineExecutor(), mode="lines", out=fh,
                      spill_dir=tmp_path / "parts", checkpoint=ck, resume=load_checkpoint(ck))


def _cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "exactrelu.cli", *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A net whose stream run takes a few seconds (about 4 s with 2 workers here; the
    48-48-48 net used before finished in 1.2 s once enumeration got faster), its file,
    and the serial stream."""
    d = tmp_path_factory.mktemp("big")
    net = random_network([96, 96, 96], seed=11)
    save_json(net, d / "net.json")
    _, stream = _serial(net)
    return d / "net.json", stream


def _assert_no_orphans(marker: str) -> None:
    """No process whose command line names ``marker`` survives (pool workers die with the walk)."""
    if not Path("/proc").is_dir():
        return
    deadline = time.time() + 5
    while True:
        alive = []
        for d in Path("/proc").iterdir():
            if d.name.isdigit():
                try:
                    if marker.encode() in (d / "cmdline").read_bytes():
                        alive.append(int(d.name))
                except OSError:
                    pass
        if not alive or time.time() > deadline:
            break
        time.sleep(0.2)
    assert not alive, f"orphaned workers {alive} after kill -9 of the walk"


@pytest.mark.slow
def test_killed_runs_resume_to_the_serial_stream(big, tmp_path):
    """SIGKILL at random moments (seeded), resume each time: the same bytes at the end."""
    model, stream = big
    out = tmp_path / "r.jsonl"
    rng = random.Random(7)
    args = ["regions", model, "--box=-1:1", "--stream", out, "--checkpoint-every", "0.2", "--workers", "2",
            "--no-progress"]
    kills = 0
    proc = _cli(*args)
    while True:
        try:
            proc.wait(timeout=rng.uniform(0.3, 1.5))
            break
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
            _assert_no_orphans(str(out))
            proc = _cli(*args, "--resume")
    assert proc.returncode == 0, proc.stderr.read()
    assert kills >= 1
    assert out.read_bytes() == stream
    assert not Path(str(out) + ".ckpt").exists()
    assert check_certificate(out).complete


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_resumes(big, tmp_path):
    model, stream = big
    out = tmp_path / "c.jsonl"
    args = ["regions", model, "--box=-1:1", "--stream", out, "--workers", "2", "--no-progress", "--json"]
    proc = _cli(*args)
    deadline = time.time() + 30  # interrupt once the stream has started (start-up is over)
    while time.time() < deadline and not (out.exists() and out.stat().st_size > 0):
        time.sleep(0.01)
    time.sleep(0.3)  # well before the end (about 4 s)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    so, se = proc.communicate(timeout=60)
    assert proc.returncode == 130, se
    summary = json.loads(so)
    assert summary["stopped_by"] == "interrupted" and not summary["complete"]
    assert not check_certificate(out).complete  # a valid, incomplete certificate
    proc = _cli(*args, "--resume")
    so, se = proc.communicate(timeout=300)
    assert proc.returncode == 0, se
    assert out.read_bytes() == stream


def test_cli_stream_refusals(big, tmp_path):
    model, _ = big
    from exactrelu.cli.app import main

    assert main(["regions", str(model), "--box=-1:1", "--stream", str(tmp_path / "x.jsonl"),
                 "--graph", str(tmp_path / "g.graphml")]) == 2
    (tmp_path / "z.jsonl.ckpt").write_text("{}")
    assert main(["regions", str(model), "--box=-1:1", "--stream", str(tmp_path / "z.jsonl")]) == 2  # use --resume
    assert main(["regions", str(model), "--box=-1:1", "--stream", str(tmp_path / "z.jsonl"), "--resume"]) == 2
    with pytest.raises(SystemExit) as usage:  # a usage error: argparse's one line and exit 2
        main(["regions", str(model), "--box=-1:1", "--workers", "0"])
    assert usage.value.code == 2


def test_cli_workers_give_the_serial_certificate(mid, tmp_path):
    from exactrelu.cli.app import main

    net, part, _ = mid
    save_json(net, tmp_path / "m.json")
    for w, name in ((1, "a.json"), (2, "b.json")):
        assert main(["regions", str(tmp_path / "m.json"), "--box=-1:1", "--workers", str(w), "--json",
                     "--certificate", str(tmp_path / name)]) == 0
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads((tmp_path / "b.json").read_text())
    assert main(["check", str(tmp_path / "b.json")]) == 0


def test_dask_local_cluster_equals_serial(mid):
    pytest.importorskip("distributed")
    net, part, stream = mid
    ex = make_executor(2, "local")
    assert ex.workers == 2
    buf = io.BytesIO()
    out = parallel_walk(net, SQ, ex, mode="lines", out=buf)
    assert out.complete and buf.getvalue() == stream


def test_make_executor_choices():
    assert isinstance(make_executor(1), InlineExecutor)
    assert isinstance(make_executor(2), PoolExecutor)
    with pytest.raises(ExactReluError):
        make_executor(0)
    assert os.cpu_count() is None or make_executor(None).workers >= 1


def test_parallel_bounds_equal_serial_and_check(mid):
    from exactrelu.verify.bounds import bounds_certificate, output_bounds

    net, _, _ = mid
    ser = output_bounds(net, SQ)
    par = output_bounds(net, SQ, executor=PoolExecutor(2))
    assert [b.to_dict() for b in par.outputs] == [b.to_dict() for b in ser.outputs]
    cert = bounds_certificate(par)
    assert cert == bounds_certificate(ser)
    assert check_certificate(cert).leaves == len(ser.partition.regions)


def test_cli_check_pins_a_stream_to_its_model(mid, tmp_path, capsys):
    from exactrelu.cli.app import main

    net, _, stream = mid
    save_json(net, tmp_path / "m.json")
    save_json(random_network([3], seed=2), tmp_path / "other.json")
    (tmp_path / "s.jsonl").write_bytes(stream)
    assert main(["check", str(tmp_path / "s.jsonl"), "--model", str(tmp_path / "m.json"), "--box=-1:1"]) == 0
    assert main(["check", str(tmp_path / "s.jsonl"), "--model", str(tmp_path / "other.json")]) == 1
    assert main(["check", str(tmp_path / "s.jsonl"), "--model", str(tmp_path / "m.json"), "--box=0:1"]) == 1
    assert "pinned" in capsys.readouterr().out


def test_parallel_verify_same_verdicts_and_certificates():
    from exactrelu.verify.property import property_certificate, verify
    from exactrelu.domain.vnnlib import parse_vnnlib

    net = random_network([10, 10], seed=4)
    hdr = ("(declare-const X_0 Real) (declare-const X_1 Real) (declare-const Y_0 Real) "
           "(assert (>= X_0 -1)) (assert (<= X_0 1)) (assert (>= X_1 -1)) (assert (<= X_1 1))")
    ser = verify(net, parse_vnnlib(hdr + " (assert (>= Y_0 1000))"), samples=0)
    assert ser.verdict == "holds"
    for prune in (False, True):
        prop = parse_vnnlib(hdr + " (assert (>= Y_0 1000))")
        a = verify(net, prop, samples=0, prune=prune)
        b = verify(net, prop, samples=0, prune=prune, executor=PoolExecutor(2))
        assert a.verdict == b.verdict == "holds"
        if prune:  # the same tree: the workers' pruners made as many attempts as the serial one
            assert b.stats["prune_attempts"] == a.stats["prune_attempts"] > 0
        else:
            assert "prune_attempts" not in a.stats and "prune_attempts" not in b.stats
        ca, cb = property_certificate(net, prop, a), property_certificate(net, prop, b)
        assert ca == cb and check_certificate(cb).valid
    prop = parse_vnnlib(hdr + " (assert (>= Y_0 -1000))")
    res = verify(net, prop, samples=0, executor=PoolExecutor(2))
    assert res.verdict == "violated" and prop.is_counterexample(res.counterexample, res.exact_output)


def _fails_on_workers(*names):  # what a worker without exactrelu reports
    raise ModuleNotFoundError("No module named 'exactrelu'")


def test_dask_workers_that_cannot_run_exactrelu_are_refused(monkeypatch):
    pytest.importorskip("distributed")
    import exactrelu
    import exactrelu.scale.executor

    version = exactrelu.__version__
    monkeypatch.setattr(exactrelu, "__version__", "9.9.9")  # the workers run the installed version
    with pytest.raises(ExactReluError, match=f"runs exactrelu {version}, this process 9.9.9"):
        make_executor(1, "local")
    monkeypatch.setattr(exactrelu, "__version__", version)
    monkeypatch.setattr(exactrelu.scale.executor, "import_modules", _fails_on_workers)
    with pytest.raises(ExactReluError, match="cannot run exactrelu .*No module named 'exactrelu'"):
        make_executor(1, "local")


def test_the_scale_stage_imports_nothing_above_it():
    """exactrelu.scale is below verify, shallow and cli: loading it loads none of them."""
    import subprocess
    import sys

    code = ("import sys, exactrelu.scale.parallel, exactrelu.scale.executor, exactrelu.scale.worker, "
            "exactrelu.scale.stats\n"
            "print(sorted(m for m in sys.modules if m.split('.')[:2] in (['exactrelu', 'verify'], "
            "['exactrelu', 'shallow'], ['exactrelu', 'cli'], ['exactrelu', 'checker'])))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


class _CountingPool(PoolExecutor):
    def __init__(self, workers, serial_start):
        super().__init__(workers)
        self.serial_start = serial_start
        self.prepared = 0

    def prepare(self, spec, install=None):
        self.prepared += 1
        return super().prepare(spec, install)


@pytest.mark.parametrize("serial_start", [1e-4, 1e3])
def test_pool_walk_starts_serially_and_fans_out_later(mid, serial_start):
    """An in-memory walk on a pool first runs in this process; it starts the workers only
    after ``serial_start`` seconds with a cell queued for every slot (never, for a walk that
    ends first). The partition is the serial one either way."""
    net, part, _ = mid
    ex = _CountingPool(2, serial_start)
    out = parallel_walk(net, SQ, ex, mode="objects")
    assert out.complete and ex.prepared == (1 if serial_start < 1 else 0)
    assert partition_certificate(out.partition, adjacency=False) == partition_certificate(part, adjacency=False)


def test_pool_worker_exits_when_its_parent_died_before_its_initializer():
    """The race a kill -9 can hit: the walk dies between a worker's fork and its initializer's
    PR_SET_PDEATHSIG request. The initializer sees another parent and exits at once; with the
    parent alive it returns and the worker goes on."""
    import os

    from exactrelu.scale.executor import start_pool_worker

    for parent, want in ((os.getpid(), 0), (-1, 1)):  # -1: no process is its parent any more
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                start_pool_worker(None, None, parent)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        assert os.WEXITSTATUS(status) == want
