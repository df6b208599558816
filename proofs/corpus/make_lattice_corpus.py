"""Regenerate the ``lattice`` part of the certificate corpus: ``python proofs/corpus/make_lattice_corpus.py``.

Writes (and checks as it writes; see ../rules/lattice.md)::

    valid/lattice-*.json                  lattice certificates the checker must accept
    invalid/lattice-<rule>/*.json         single mutations it must reject with exactly that rule
    malformed/lattice-*.json              inputs it must refuse as unusable

Only files whose names start with ``lattice`` are removed and rewritten, so this can run
before or after ``make_corpus.py`` (which rebuilds the folders from scratch: run this one
after it).
"""

from __future__ import annotations

import copy
import json
import sys
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))
sys.path.insert(0, str(HERE))

from exactrelu.checker import CertificateInvalid, check_certificate  # noqa: E402
from make_corpus import expect  # noqa: E402  (the corpus scripts share one acceptance test)


def fmt(q) -> str:
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=None if len(json.dumps(obj)) > 20000 else 1) + "\n")


def bases() -> dict[str, dict]:
    from exactrelu.domain.polytope import box, polytope
    from exactrelu.model.network import mlp
    from exactrelu.model.random_nets import random_network
    from exactrelu.shallow import lattice_certificate, lattice_form

    out = {}
    tent = mlp(1, [([[2], [2]], [0, -1]), ([[1, -2]], [0])])  # a tent on [0, 1]
    out["tent-1d"] = lattice_certificate(lattice_form(tent, box([-1], [2])))
    absx = mlp(2, [([[1, 0], [-1, 0], [0, 1], [0, -1]], [0, 0, 0, 0]), ([[1, 1, -1, -1]], [0])])  # |x| - |y|
    out["abs-difference-2d"] = lattice_certificate(lattice_form(absx, box([-1, -1], [1, 1])))
    out["random-mlp-2x3x3"] = lattice_certificate(lattice_form(random_network([3, 3], seed=2), box([-1, -1], [1, 1])))
    out["random-resnet-2x3x3x3"] = lattice_certificate(
        lattice_form(random_network([3, 3, 3], seed=5, residual=True), box([-1, -1], [1, 1])))
    tri = polytope([[1, 0], [0, 1], [-1, -1]], [1, 1, 1])
    out["random-mlp-triangle-combination"] = lattice_certificate(
        lattice_form(random_network([2, 2], seed=3), tri), always_combination=True)
    out["two-outputs-output-1"] = lattice_certificate(
        lattice_form(random_network([3, 2], seed=4, n_out=2), box([-1, -1], [1, 1]), output=1))
    # a network whose textbook lattice form is wrong: one region is cut into sub-cells
    out["refined-cover-2x2x5x2x3"] = lattice_certificate(
        lattice_form(random_network([2, 5, 2, 3], seed=144), box([-1, -1], [1, 1])))
    return out


def mutations(base: dict) -> list[tuple[str, str, dict]]:
    """(rule, name, certificate) single mutations of a valid lattice certificate."""
    out = []

    def mut(rule: str, name: str, f) -> None:
        c = copy.deepcopy(base)
        if f(c) is not False:
            out.append((rule, name, c))

    lat = base["lattice"]
    mut("lattice-complete", "marked-incomplete", lambda c: c.update(complete=False))
    mut("lattice-terms", "empty-term", lambda c: c["lattice"]["terms"].append([]))
    mut("lattice-terms", "piece-out-of-range", lambda c: c["lattice"]["terms"][0].append(len(lat["pieces"])))
    mut("lattice-terms", "repeated-piece", lambda c: c["lattice"]["terms"][0].append(c["lattice"]["terms"][0][0]))
    mut("lattice-terms", "no-such-output", lambda c: c["lattice"].update(output=99))
    mut("lattice-terms", "no-terms", lambda c: c["lattice"].update(terms=[]))
    mut("lattice-leaves", "leaf-without-entry", lambda c: c["lattice"]["leaves"].pop())
    mut("lattice-leaves", "entry-for-internal-node", lambda c: c["lattice"]["leaves"].append(
        dict(c["lattice"]["leaves"][0], leaf=0)))
    mut("lattice-leaves", "two-entries-for-a-leaf", lambda c: c["lattice"]["leaves"].append(c["lattice"]["leaves"][0]))

    def bump_piece(c):
        used = sorted({j for t in c["lattice"]["terms"] for j in t})
        p = c["lattice"]["pieces"][used[0]]
        p[-1] = fmt(Fraction(p[-1]) + Fraction(1, 64))

    out_rule = None
    c = copy.deepcopy(base)
    bump_piece(c)
    try:
        check_certificate(c)
    except CertificateInvalid as exc:
        out_rule = exc.rule
    if out_rule in ("lattice-lower", "lattice-upper"):
        out.append((out_rule, "piece-constant-changed", c))

    def lower_multiplier(c):
        for e in c["lattice"]["leaves"]:
            for y in e["cover"]["farkas"]:
                if y:
                    y[0][1] = fmt(Fraction(y[0][1]) * 2)
                    return
        return False
    mut("lattice-lower", "farkas-multiplier-doubled", lower_multiplier)
    mut("lattice-lower", "cover-term-missing", lambda c: c["lattice"]["leaves"][0]["cover"].update(term=len(lat["terms"])))

    def wrong_cover(c):
        # a cover term that is not >= f on the leaf: swap in another term, keeping the vectors' count
        terms = c["lattice"]["terms"]
        for e in c["lattice"]["leaves"]:
            t = e["cover"]["term"]
            for s in range(len(terms)):
                if s != t and len(terms[s]) == len(terms[t]):
                    e["cover"]["term"] = s
                    return
        return False
    mut("lattice-lower", "cover-term-swapped", wrong_cover)

    def negative(c):
        for e in c["lattice"]["leaves"]:
            for y in e["cover"]["farkas"]:
                if y:
                    y[0][1] = "-" + y[0][1]
                    return
        return False
    mut("lattice-lower", "negative-multiplier", negative)
    mut("lattice-upper", "weights-do-not-sum-to-one", lambda c: c["lattice"]["leaves"][0]["upper"][0].__setitem__(
        0, [[c["lattice"]["leaves"][0]["upper"][0][0][0][0], "1/2"]]))
    mut("lattice-upper", "one-term-missing", lambda c: c["lattice"]["leaves"][0]["upper"].pop())

    def foreign_piece(c):
        e = c["lattice"]["leaves"][0]
        for t, item in enumerate(e["upper"]):
            others = [j for j in range(len(c["lattice"]["pieces"])) if j not in c["lattice"]["terms"][t]]
            if others:
                item[0] = [[others[0], "1"]]
                return
        return False
    mut("lattice-upper", "piece-not-in-term", foreign_piece)

    def zero_farkas(c):
        for e in c["lattice"]["leaves"]:
            for item in e["upper"]:
                if item[1]:
                    item[1][0][1] = "0"
                    return
        return False
    mut("lattice-upper", "farkas-multiplier-zeroed", zero_farkas)
    def flip_split(c):
        for e in c["lattice"]["leaves"]:
            if "split" in e["cover"]:
                e["cover"]["split"] = [fmt(-Fraction(v)) for v in e["cover"]["split"]]
                return
        return False
    mut("lattice-lower", "sub-cell-cut-flipped", flip_split)
    mut("region-map", "region-map-changed", lambda c: c["regions"][0]["d"].__setitem__(
        0, fmt(Fraction(c["regions"][0]["d"][0]) + 1)))
    return out


def malformed(base: dict) -> list[tuple[str, dict]]:
    out = []
    for name, f in (("no-lattice-field", lambda c: c.pop("lattice")),
                    ("float-in-piece", lambda c: c["lattice"]["pieces"][0].__setitem__(0, 0.5)),
                    ("output-not-an-integer", lambda c: c["lattice"].update(output="0")),
                    ("with-adjacency", lambda c: c.update(adjacency=[{"a": 1, "b": 2}])),
                    ("upper-entry-not-a-pair", lambda c: c["lattice"]["leaves"][0]["upper"].__setitem__(0, "x"))):
        c = copy.deepcopy(base)
        f(c)
        out.append((name, c))
    return out


def main() -> None:
    for old in list(HERE.glob("valid/lattice-*")) + list(HERE.glob("malformed/lattice-*")) + \
            list(HERE.glob("invalid/*/lattice-*")):
        old.unlink()
    written = 0
    bs = bases()
    for name, cert in bs.items():
        p = HERE / "valid" / f"lattice-{name}.json"
        write(p, cert)
        expect(p, None)
        written += 1
    # every mutation on the small bases; on the larger ones only what they alone exercise
    plan = {"abs-difference-2d": None, "tent-1d": None, "refined-cover-2x2x5x2x3": {"sub-cell-cut-flipped"},
            "random-mlp-triangle-combination": {"weights-do-not-sum-to-one", "farkas-multiplier-zeroed"}}
    for bname, only in plan.items():
        for rule, name, cert in mutations(bs[bname]):
            if only is not None and name not in only:
                continue
            p = HERE / "invalid" / rule / f"lattice-{bname}-{name}.json"
            write(p, cert)
            expect(p, rule)
            written += 1
        if only is None:
            for name, cert in malformed(bs[bname]):
                p = HERE / "malformed" / f"lattice-{bname}-{name}.json"
                write(p, cert)
                expect(p, "malformed")
                written += 1
    print(f"wrote and checked {written} lattice corpus files under {HERE}")


if __name__ == "__main__":
    main()
