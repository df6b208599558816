"""The command line: outputs, JSON shapes, exit codes, one-line errors (no tracebacks)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import shared_path
from exactrelu.checker import check_certificate
from exactrelu.cli.demo import example_path

EXE = [sys.executable, "-m", "exactrelu.cli"]
EX = str(example_path("mlp_2x8x8.json"))


def run(*args, ok=(0,)):
    r = subprocess.run(EXE + [str(a) for a in args], capture_output=True, text=True, timeout=300)
    assert r.returncode in ok, (r.returncode, r.stdout, r.stderr)
    assert "Traceback" not in r.stderr
    return r


def test_info_acas_xu():
    r = run("info", shared_path("vnncomp2022", "acasxu", "onnx", "ACASXU_run2a_1_1_batch_2000.onnx.gz"), "--json")
    d = json.loads(r.stdout)
    assert d["inputs"] == 5 and d["outputs"] == 5 and d["relu_layers"] == [50] * 6


def test_eval_json_exact():
    r = run("eval", EX, "--point=-1/2,0.1", "--json")
    d = json.loads(r.stdout)
    from exactrelu import evaluate, load_model
    from exactrelu.numbers.rationals import format_vector

    assert d["output"] == format_vector(evaluate(load_model(EX), ["-1/2", "1/10"]))
    assert set(d["pattern"]) <= set("01=") and len(d["pattern"]) == 16


def test_regions_json_graph_and_certificate(tmp_path):
    cert = tmp_path / "c.json.gz"
    r = run("regions", EX, "--box=-1:1", "--json", "--graph", tmp_path / "g.graphml", "--certificate", cert)
    d = json.loads(r.stdout)
    for key in ("regions", "adjacent_pairs", "linear_pieces", "complete", "seconds"):
        assert key in d
    assert d["complete"] is True and d["regions"] > 10
    import networkx as nx

    G = nx.read_graphml(tmp_path / "g.graphml")
    assert G.number_of_nodes() == d["regions"] and G.number_of_edges() == d["adjacent_pairs"]
    rep = check_certificate(cert)
    assert rep.leaves == d["regions"] and rep.adjacency_pairs == d["adjacent_pairs"]
    assert run("check", cert).returncode == 0


def test_regions_limits_exit_20_and_partial_certificate(tmp_path):
    cert = tmp_path / "c.json"
    r = run("regions", EX, "--box=-1:1", "--json", "--max-regions", "5", "--certificate", cert, ok=(20,))
    d = json.loads(r.stdout)
    assert d["complete"] is False and d["regions"] == 5
    rep = check_certificate(cert)
    assert not rep.complete and rep.open_nodes > 0
    assert "partial" in run("check", cert).stdout


def test_check_exit_codes(tmp_path):
    good = tmp_path / "good.json"
    run("regions", EX, "--box=-1:1", "--certificate", good)
    cert = json.loads(good.read_text())
    node = next(nd for nd in cert["nodes"] if nd["decisions"] and nd["decisions"][0][2])
    dec = node["decisions"][0]
    if isinstance(dec[2][0], int):  # a vertex basis (2-D): claim the opposite sign
        dec[1] = "+" if dec[1] == "-" else "-"
    else:  # a Farkas vector: alter a multiplier
        dec[2][0][1] = "12345/7"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(cert))
    r = run("check", bad, ok=(1,))
    assert "stable-farkas" in r.stdout + r.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    run("check", junk, ok=(2,))


@pytest.mark.parametrize("args,needle", [
    (["info", "/nonexistent/model.onnx"], "no such file"),
    (["eval", EX, "--point=1,2,3"], "coordinates"),
    (["eval", EX, "--point=1,abc"], "malformed"),
    (["regions", EX, "--box=1:-1"], "not below"),
    (["regions", EX, "--box=-1:1,0:1,0:1"], "3 intervals"),
    (["regions", EX], "domain is needed"),
])
def test_bad_input_one_line_errors(args, needle):
    r = run(*args, ok=(2,))
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr


def test_pickle_refused(tmp_path):
    p = tmp_path / "model.onnx"
    p.write_bytes(pickle.dumps({"weights": [1, 2, 3]}))
    r = run("info", p, ok=(2,))
    assert "pickle" in r.stderr.lower()


def test_unbounded_domain_file(tmp_path):
    p = tmp_path / "dom.json"
    p.write_text(json.dumps({"A": [[1, 0], [0, 1]], "b": [1, 1]}))
    r = run("regions", EX, "--domain", p, ok=(2,))
    assert "unbounded" in r.stderr


def test_demo_runs_and_checks(tmp_path):
    r = run("demo", "--out", tmp_path)
    assert "VALID" in r.stdout
    assert check_certificate(tmp_path / "partition.cert.json").valid


def test_check_pins_model_domain_and_property(tmp_path):
    cert = tmp_path / "c.json"
    run("regions", EX, "--box=-1:1", "--certificate", cert)
    assert "pinned" in run("check", cert, "--model", EX, "--box=-1:1").stdout
    other = str(example_path("resnet_2x6x6.json"))
    assert "pinned" in run("check", cert, "--model", other, ok=(1,)).stdout
    assert "domain" in run("check", cert, "--box=-1:1/2", ok=(1,)).stdout
    base = shared_path("vnncomp2022", "test")
    pc = tmp_path / "p.json"
    run("verify", base / "test_small.onnx", base / "test_small.vnnlib", "--certificate", pc)
    run("check", pc, "--model", base / "test_small.onnx", "--vnnlib", base / "test_small.vnnlib")
    prop = tmp_path / "other.vnnlib"
    prop.write_text((base / "test_small.vnnlib").read_text().replace("-1", "-2", 1))
    assert "property" in run("check", pc, "--vnnlib", prop, ok=(1,)).stdout


def test_check_workers_gives_the_serial_verdict_and_reason(tmp_path):
    """``exactrelu check CERT --workers 2`` prints what one worker prints (timing aside), for a
    valid partition and for invalid ones (the first failing rule and its message)."""
    import re
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[2]
    cert = tmp_path / "c.json"
    ex = repo / "exactrelu" / "examples" / "mlp_2x8x8.json"
    subprocess.run([sys.executable, "-m", "exactrelu.cli", "regions", str(ex), "--box=-1:1",
                    "--certificate", str(cert), "--no-progress"], check=True, capture_output=True)
    cases = [cert] + sorted((repo / "proofs" / "corpus" / "invalid" / "region-map").glob("*.json"))[:2]
    for c in cases:
        outs = []
        for w in ("1", "2"):
            p = subprocess.run([sys.executable, "-m", "exactrelu.cli", "check", str(c), "--workers", w],
                               capture_output=True, text=True)
            outs.append((p.returncode, re.sub(r"[0-9.]+ s$", "", p.stdout.strip())))
        assert outs[0] == outs[1], (c, outs)
    assert outs[0][0] == 1  # the last case is invalid
