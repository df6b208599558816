"""The stream form of a ``partition`` certificate (JSON Lines), for the checker.

Standard library only; uses only public names of :mod:`.checker`. A stream certificate
is a header line, one line per node in preorder and an end line
(``proofs/certificate-format.md``, "Stream form"; ``proofs/stream.md``). The nodes are
read one at a time while :func:`~.checker.walk` checks them, so memory stays bounded by
the current root-to-cell path. :func:`prepare_stream` is the ``stream`` argument of
:func:`~.checker.check_certificate`; the walk calls the reader through four methods
(:meth:`StreamReader.node_entry`, :meth:`~StreamReader.end`,
:meth:`~StreamReader.region_entry`, :meth:`~StreamReader.finish`).
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any, Iterator

from .checker import (MAX_BYTES, STREAM_FORMAT, CertificateMalformed, Context, Leaf, as_int, fields, invalid,
                      no_duplicate_keys, prepare, require, too_big)

__all__ = ["SCHEMA", "StreamReader", "open_text_lines", "prepare_stream"]

#: The fields of the stream form's lines (``proofs/certificate-format.md``, "Stream form").
SCHEMA: dict[str, frozenset] = {k: frozenset(v) for k, v in {
    "stream header": ("format", "version", "claim", "network", "network_ref", "domain", "root_witness", "regions"),
    "stream node": ("side", "decisions", "split", "open", "region"),
    "stream split": ("unit", "witness_pos", "witness_neg"),
    "stream region": ("pattern", "C", "d"),
    "stream end line": ("end", "complete", "nodes", "leaves"),
}.items()}


def open_text_lines(path: Path, max_bytes: int = MAX_BYTES) -> Iterator[str]:
    """The text lines of a (possibly gzip-compressed) file, read lazily; more than
    ``max_bytes`` bytes in all (after decompression) are refused, without reading further."""
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    total = 0
    with (gzip.open(path, "rb") if gz else open(path, "rb")) as fh2:
        while True:
            line = fh2.readline(max_bytes - total + 1)
            if not line:
                return
            total += len(line)
            if total > max_bytes:
                raise too_big(path, max_bytes)
            yield line.decode("utf-8")


class StreamReader:
    """The node lines of a stream certificate, read one at a time."""

    def __init__(self, lines: Iterator[str], name: str) -> None:
        self.lines, self.name, self.lineno = lines, name, 1

    def next_line(self) -> Any:
        """The next line as JSON (a missing end line or a cut line is a truncated stream)."""
        try:
            raw = next(self.lines)
        except StopIteration:
            raise CertificateMalformed(f"{self.name}: the stream is truncated (no end line): the run did not "
                                       "finish writing it") from None
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            raise CertificateMalformed(f"{self.name}: unreadable at line {self.lineno + 1} ({exc})") from None
        self.lineno += 1
        if not raw.endswith("\n"):
            raise CertificateMalformed(f"{self.name}: line {self.lineno} is cut short (no newline): truncated stream")
        try:
            return json.loads(raw, object_pairs_hook=no_duplicate_keys)
        except (json.JSONDecodeError, RecursionError, ValueError) as exc:
            raise CertificateMalformed(f"{self.name}: line {self.lineno}: malformed JSON ({str(exc)[:200]})") from None

    def node(self, expected: int) -> dict:
        """The next node line (the end line here means the tree is cut short)."""
        obj = self.next_line()
        if not isinstance(obj, dict):
            raise CertificateMalformed(f"{self.name}: line {self.lineno} is not a JSON object")
        if obj.get("end") is True:
            raise invalid("tree-structure", f"the stream ends after {expected} nodes, but the tree needs more",
                          node=expected)
        return obj

    def node_entry(self, ctx: Context, expected: int, side: str | None) -> tuple:
        """Rule ``tree-structure`` for the next node line (ids and children are implied by
        the preorder): ``(node, decisions, split, is_open)`` as the walk reads them."""
        node = self.node(expected)
        where = f"node {expected}"
        fields(node, "stream node", where, SCHEMA)
        s = node.get("side")
        if s != side:
            raise invalid("tree-structure", f"node {expected}: side is {str(s)[:20]!r}, the tree says {side!r}",
                          node=expected)
        decisions = require(node, "decisions", list, where)
        split = require(node, "split", (dict, type(None)), where)
        if split is not None:
            fields(split, "stream split", f"{where}: split", SCHEMA)
        is_open = node.get("open", False)
        if not isinstance(is_open, bool):
            raise CertificateMalformed(f"{where}: 'open' must be a boolean")
        if is_open and split is not None:
            raise invalid("tree-structure", f"node {expected} is open but has a split", node=expected)
        if "region" in node and (is_open or split is not None):
            raise invalid("region-list", f"node {expected} is not a leaf but has a region entry", node=expected)
        return node, decisions, split, is_open

    def end(self, nodes: int) -> dict:
        """The end line after the last node; the file must end there."""
        obj = self.next_line()
        if not isinstance(obj, dict) or obj.get("end") is not True:
            raise invalid("tree-structure", f"node lines after the end of the tree (line {self.lineno})",
                          node=nodes)
        fields(obj, "stream end line", "end line", SCHEMA)
        complete = require(obj, "complete", bool, "end line")
        n = as_int(require(obj, "nodes", int, "end line"), "end line 'nodes'")
        as_int(require(obj, "leaves", int, "end line"), "end line 'leaves'")
        if n != nodes:
            raise invalid("tree-structure", f"the end line counts {n} nodes, the tree has {nodes}", node=nodes)
        for extra in self.lines:
            if extra.strip():
                raise CertificateMalformed(f"{self.name}: data after the end line")
        return {"complete": complete, "nodes": n, "leaves": obj["leaves"]}

    @staticmethod
    def region_entry(ctx: Context, leaf: Leaf) -> dict | None:
        """Rule ``region-list`` in a stream: a leaf's region entry is on its node line (required
        when the header says ``"regions": true``)."""
        entry = leaf.node.get("region")
        if entry is None and ctx.stream_regions:
            raise invalid("region-list", f"leaf {leaf.id} has no region entry", node=leaf.id)
        if entry is not None:
            fields(entry, "stream region", f"region of node {leaf.id}", SCHEMA)
        return entry

    @staticmethod
    def finish(ctx: Context) -> None:
        """After the walk: the end line's leaf count and ``complete`` (which it sets)."""
        end, counts = ctx.trailer or {}, ctx.counts
        ctx.complete = end["complete"]
        if end["leaves"] != counts["leaves"]:
            raise invalid("tree-structure", f"the end line counts {end['leaves']} leaves, the tree has "
                          f"{counts['leaves']}")
        if ctx.complete and counts["open_nodes"]:
            raise invalid("tree-structure", f"the stream claims to be complete but has {counts['open_nodes']} "
                          "open nodes")


def prepare_stream(path: Path, base_dir: Path, max_bytes: int = MAX_BYTES, claims: "dict | None" = None) -> Context:
    """Parse a stream certificate's header line; the nodes are read by the walk."""
    lines = open_text_lines(path, max_bytes)
    reader = StreamReader(lines, path.name)
    reader.lineno = 0
    head = reader.next_line()
    if not isinstance(head, dict) or head.get("format") != STREAM_FORMAT:
        raise CertificateMalformed(f"'format' must be {STREAM_FORMAT!r} on the first line of a stream")
    ctx = prepare(head, base_dir, max_bytes, stream=True, claims=claims, schema=SCHEMA)
    ctx.stream = reader
    return ctx
