"""One error hierarchy and one exit-code table (issue 16).

Every exception class of the product is defined in ``exactrelu/errors.py``; errors are raised
as a specific subclass, never as the bare base class; the CLI's exit codes come from
:class:`exactrelu.errors.ExitCode`, and the independent checker's own copy (0, 1, 2) agrees.
"""

from __future__ import annotations

import ast
import copy
import json
from pathlib import Path

import pytest

import exactrelu
from exactrelu import errors
from exactrelu.errors import EXIT_CODES, ExactReluError, ExitCode

PACKAGE = Path(exactrelu.__file__).resolve().parent
PRODUCT = [p for p in sorted(PACKAGE.rglob("*.py"))
           if "checker" not in p.relative_to(PACKAGE).parts and p.name != "errors.py"]
_BUILTIN_EXCEPTIONS = {n for n in dir(__builtins__ if isinstance(__builtins__, dict) else __builtins__)
                       if n.endswith(("Error", "Exception"))} | {"Exception", "BaseException"}


def _classes_raised_from(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
            yield node, bases


def test_every_product_exception_class_is_in_errors_py():
    """Private control-flow exceptions (``_Stop``, never leaving their module) are allowed."""
    ours = {n for n in errors.__all__ if isinstance(getattr(errors, n), type)
            and issubclass(getattr(errors, n), BaseException)}
    bad = []
    for path in PRODUCT:
        for node, bases in _classes_raised_from(path):
            if node.name.startswith("_"):
                continue
            if bases & (ours | _BUILTIN_EXCEPTIONS):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: class {node.name}")
    assert not bad, "exception classes outside exactrelu/errors.py:\n" + "\n".join(bad)


def test_no_bare_base_class_raised():
    bad = []
    for path in PRODUCT:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                f = node.exc.func
                if isinstance(f, ast.Name) and f.id == "ExactReluError":
                    bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    assert not bad, "raise a subclass of ExactReluError (exactrelu/errors.py), not the base class:\n" + "\n".join(bad)


def test_moved_classes_keep_their_old_homes():
    from exactrelu.domain.cex import CounterexampleFormatError
    from exactrelu.shallow import TooManyTerms
    from exactrelu.shallow.certificates import RepresentationMismatch
    from exactrelu.shallow.lazy import TooManyTerms as T2

    assert CounterexampleFormatError is errors.CounterexampleFormatError
    assert TooManyTerms is T2 is errors.TooManyTerms
    assert RepresentationMismatch is errors.RepresentationMismatch


def test_hierarchy_and_exit_codes():
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, BaseException):
            assert issubclass(obj, ExactReluError), name
            assert isinstance(obj.exit_code, ExitCode), name
    assert errors.LPError.exit_code == ExitCode.BACKEND
    assert errors.LimitReached.exit_code == errors.TooManyTerms.exit_code == ExitCode.INCOMPLETE
    assert errors.RepresentationMismatch.exit_code == ExitCode.INVALID
    assert errors.InternalError.exit_code == ExitCode.INTERNAL
    for cls in (errors.UsageError, errors.CheckpointError, errors.ClusterError, errors.NoCertificateError,
                errors.CounterexampleFormatError):
        assert cls.exit_code == ExitCode.UNUSABLE
    # the library's former ValueErrors are still ValueErrors
    assert issubclass(errors.UsageError, ValueError) and issubclass(errors.CheckpointError, ValueError)
    assert EXIT_CODES == {"ok": 0, "invalid": 1, "unusable": 2, "backend": 3, "violated": 10, "incomplete": 20,
                          "internal": 70, "interrupted": 130}


def test_verdict_exit_codes_are_the_table():
    from exactrelu.verify.property import EXIT_CODES as VERDICTS

    assert VERDICTS == {"holds": ExitCode.OK, "violated": ExitCode.VIOLATED, "unknown": ExitCode.INCOMPLETE}


def _write(tmp_path: Path, name: str, cert: dict) -> str:
    p = tmp_path / name
    p.write_text(json.dumps(cert))
    return str(p)


def test_checker_exit_codes_equal_the_products(tmp_path):
    """The checker keeps its own 0/1/2 (it imports nothing from exactrelu): valid, invalid
    and unusable certificates give ExitCode.OK, INVALID and UNUSABLE."""
    from exactrelu.checker import run

    net = exactrelu.mlp(1, [([[1], [-1]], [0, 0]), ([[1, 1]], [0])])
    cert = exactrelu.partition_certificate(exactrelu.enumerate_regions(net, exactrelu.box([-1], [1])))
    bad = copy.deepcopy(cert)
    split = next(n["split"] for n in bad["nodes"] if n.get("split"))
    split["witness_pos"] = split["witness_neg"]
    assert run([_write(tmp_path, "ok.json", cert), "--quiet"]) == ExitCode.OK
    assert run([_write(tmp_path, "bad.json", bad), "--quiet"]) == ExitCode.INVALID
    (tmp_path / "junk.json").write_text("{not json")
    assert run([str(tmp_path / "junk.json"), "--quiet"]) == ExitCode.UNUSABLE
    assert run([str(tmp_path / "missing.json"), "--quiet"]) == ExitCode.UNUSABLE


@pytest.mark.parametrize("argv, code", [
    (["info", "/nonexistent/model.json"], ExitCode.UNUSABLE),
    (["regions", "x.json", "--workers", "0"], ExitCode.UNUSABLE),
])
def test_cli_exit_codes_come_from_the_table(argv, code, capsys):
    from exactrelu.cli.app import main

    try:
        rc = main(argv)
    except SystemExit as exc:
        rc = exc.code
    assert rc == code
    err = capsys.readouterr().err
    assert err.startswith("exactrelu: error: ") and err.count("\n") == 1
