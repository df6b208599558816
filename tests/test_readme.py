"""Every ```bash and ```python block of README.md runs (cwd = the repository root).

Generic over the README's content:

* fenced blocks whose info string starts with ``bash``/``sh``/``shell`` run with ``bash -e``,
  blocks starting with ``python``/``py`` are ``exec``-ed in a fresh namespace; any other
  block (``text``, ``console``, no language, ...) is documentation and is not run;
* set-up is done already (by ``.ci/setup`` before the tests), so in bash blocks every
  ``&&``-separated command that runs ``.ci/setup``, ``apt-get`` or ``pip install`` is
  dropped (a line left empty is skipped); commands that run ``pytest`` are dropped too
  (the README's test command *is* this test run; running it here would recurse);
* a ``.venv/bin/`` at the start of a command becomes the bin directory of the Python
  running the tests, so the blocks use this environment.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from contextlib import redirect_stdout
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
#: Every Markdown document whose examples must keep working: the README and the user guide
#: it links to (vnncomp/README.md and benchmarks/RESULTS.md hold no runnable blocks of their own).
DOCUMENTS = [README, REPO / "docs" / "guide.md"]
BIN = Path(sys.executable).parent  # not resolved: a venv's python is a symlink
BASH_LANGS = {"bash", "sh", "shell"}
PYTHON_LANGS = {"python", "py", "python3"}
TIMEOUT = 600

_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n`]*)$")


def readme_blocks(text: str) -> list[tuple[int, str, str]]:
    """``[(first line number, language, code)]`` of the fenced blocks of a Markdown text.

    >>> readme_blocks("x\\n```bash\\necho 1\\n```\\n\\n  ```python title\\n  print(2)\\n  ```\\n")
    [(2, 'bash', 'echo 1\\n'), (6, 'python', 'print(2)\\n')]
    """
    out = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = m.group("indent"), m.group("fence")
        lang = (m.group("info").split() or [""])[0].lower()
        body = []
        j = i + 1
        while j < len(lines):
            close = lines[j].strip()
            if close.startswith(fence[0] * len(fence)) and not close.strip(fence[0]):
                break
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        out.append((i + 1, lang, "\n".join(body) + "\n"))
        i = j + 1
    return out


_SETUP = re.compile(r"(^|[\s/])\.ci/setup\b|(^|\s)apt-get(\s|$)|(^|\s)pip3?\s+install\b|-m\s+pip\s+install\b")
_PYTEST = re.compile(r"(^|[\s/])pytest(\s|$)|-m\s+pytest\b")
_VENV = re.compile(r"(?<![\w./-])\.venv/bin/")


def _strip_comment(line: str) -> str:
    """The line without a trailing ``# comment`` (a ``#`` after whitespace, outside quotes).

    >>> _strip_comment("echo '# not' a#b x  # comment")
    "echo '# not' a#b x"
    """
    in_s = in_d = False
    prev = " "
    for k, ch in enumerate(line):
        if ch == "'" and not in_d:
            in_s = not in_s
        elif ch == '"' and not in_s:
            in_d = not in_d
        elif ch == "#" and not in_s and not in_d and prev.isspace():
            return line[:k].rstrip()
        prev = ch
    return line


def prepare_bash(code: str, bindir: Path = BIN) -> tuple[str, list[str]]:
    """``(script, skipped commands)``: the block with set-up/pytest commands dropped and
    ``.venv/bin/`` pointed at ``bindir``.

    >>> s, skipped = prepare_bash("bash .ci/setup && .venv/bin/exactrelu demo   # go\\n"
    ...                           "sudo apt-get install -y x\\n.venv/bin/python -m pytest -q\\n", Path("/B"))
    >>> s
    '/B/exactrelu demo\\n'
    >>> skipped
    ['bash .ci/setup', 'sudo apt-get install -y x', '.venv/bin/python -m pytest -q']
    """
    joined = re.sub(r"\\\n", " ", code)  # line continuations
    out, skipped = [], []
    for line in joined.splitlines():
        bare = _strip_comment(line)
        if not bare.strip():
            continue
        keep = []
        for cmd in re.split(r"\s*&&\s*", bare.strip()):
            if _SETUP.search(cmd) or _PYTEST.search(cmd):
                skipped.append(cmd)
            else:
                keep.append(cmd)
        if keep:
            out.append(_VENV.sub(str(bindir) + "/", " && ".join(keep)))
    return "".join(s + "\n" for s in out), skipped


def _blocks() -> list:
    params = []
    for doc in DOCUMENTS:
        if not doc.exists():
            continue
        name = doc.relative_to(REPO).as_posix()
        for line, lang, code in readme_blocks(doc.read_text()):
            if lang in BASH_LANGS or lang in PYTHON_LANGS:
                params.append(pytest.param(lang, code, id=f"{name}:{line}-{lang}"))
    return params


BLOCKS = _blocks()


def test_readme_has_runnable_blocks():
    if not README.exists():
        pytest.skip("no README.md")
    for doc in DOCUMENTS:
        assert doc.exists(), f"{doc} is linked from the README but missing"
        assert any(lang in BASH_LANGS | PYTHON_LANGS for _, lang, _ in readme_blocks(doc.read_text())), \
            f"{doc.name} has no ```bash or ```python block"


def test_readme_links_resolve():
    """Every relative link of the documents points to a file or folder of the repository."""
    for doc in DOCUMENTS + [REPO / "benchmarks" / "RESULTS.md"]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", doc.read_text()):
            if "://" in target:
                continue
            assert (doc.parent / target).exists(), f"{doc.name}: broken link {target}"


@pytest.mark.parametrize("lang,code", BLOCKS)
def test_readme_block(lang, code, monkeypatch, tmp_path):
    monkeypatch.chdir(REPO)
    if lang in PYTHON_LANGS:
        ns = {"__name__": "__readme__"}
        buf = io.StringIO()
        with redirect_stdout(buf):
            exec(compile(code, "README.md", "exec"), ns)  # noqa: S102 - the README is ours
        return
    script, skipped = prepare_bash(code)
    if not script.strip():
        pytest.skip(f"only set-up commands in this block: {skipped}")
    env = dict(os.environ)
    env["PATH"] = str(BIN) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT)
    assert proc.returncode == 0, (f"README bash block failed (exit {proc.returncode})\n--- script:\n{script}"
                                  f"--- stdout:\n{proc.stdout[-4000:]}\n--- stderr:\n{proc.stderr[-4000:]}")
