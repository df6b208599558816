"""The certificate corpus is what its generators write, byte for byte: a change anywhere in
the product that alters a certificate (a restructuring must not) makes this test fail."""

from __future__ import annotations

import hashlib
import runpy
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "proofs" / "corpus"


def _digests(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts}


@pytest.mark.slow
def test_regenerated_corpus_is_byte_identical(tmp_path, monkeypatch):
    copy = tmp_path / "corpus"
    shutil.copytree(CORPUS, copy)
    before = _digests(copy)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["make_corpus.py"])
    runpy.run_path(str(copy / "make_corpus.py"), run_name="__main__")
    after = _digests(copy)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"regenerating the corpus changed {len(changed)} files: {changed[:20]}"
