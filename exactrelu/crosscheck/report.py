"""Readable reports of a float cross-check: text and HTML tables, and a plot for 2-D inputs.

* :func:`format_table` — the summary as plain text (what ``exactrelu crosscheck`` prints);
* :func:`plot_report` — for networks with two (free) inputs: the domain, the exact linear
  regions, and the points where float disagrees (a matplotlib ``Figure``; Agg canvas,
  nothing is shown);
* :func:`report_html` / :func:`write_report` — a self-contained HTML page (tables and the
  plot embedded as base64 PNG), or a PNG of the plot.

matplotlib is optional (``pip install exactrelu[plot]``); without it the plotting
functions raise :class:`~exactrelu.errors.BackendUnavailableError`. Text and HTML for
networks with other than two inputs need no plotting.

Examples
--------
>>> from exactrelu.crosscheck.crosscheck import crosscheck, sliver_network
>>> from exactrelu.domain.polytope import box
>>> rep = crosscheck(sliver_network(), box([-1, -1], [1, 1]), points=120, seed=0)
>>> print(format_table(rep).splitlines()[0])
cross-check of sliver_3_1000 against numpy32 (float32), decision argmax
"""

from __future__ import annotations

import base64
import html
import io
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import BackendUnavailableError, UsageError
from ..numbers.rationals import format_rational

__all__ = ["format_table", "plot_report", "report_html", "write_report"]

_PLOT_HINT = "plots need matplotlib, which is not installed: pip install exactrelu[plot]"


def _short(q: Fraction | None) -> str:
    if q is None:
        return "-"
    return f"{float(q):.6g}"


def _exact_short(q: Fraction | None, limit: int = 60) -> str:
    if q is None:
        return "-"
    s = format_rational(q)
    return s if len(s) <= limit else s[:limit - 3] + "..."


def _summary_rows(rep) -> list[tuple[str, str]]:
    rows = [
        ("network", f"{rep.network or '(unnamed)'}: {rep.n_inputs} inputs, {rep.n_outputs} outputs, "
                    f"{rep.n_relu} ReLU units"),
        ("float implementation", rep.backend_description or rep.backend),
        ("decision", rep.decision),
        ("points tried", f"{rep.points_tried} of {rep.points_budget} (seed {rep.seed})"),
        ("time", f"{rep.seconds:.2f} s" + (f" (stopped by {rep.stopped_by})" if rep.stopped_by else "")),
        ("max |exact - float| output error", f"{_short(rep.max_abs_error)}  = {_exact_short(rep.max_abs_error)}"),
        ("max relative output error", f"{_short(rep.max_rel_error)}  = {_exact_short(rep.max_rel_error)}"),
        ("pattern flips", str(rep.n_pattern_flips) if rep.patterns_compared else "not compared (backend "
                                                                                  "gives no pre-activations)"),
        ("decision flips", str(rep.n_decision_flips)),
    ]
    if rep.decision == "property":
        rows.append(("counterexample-verdict flips", str(rep.n_verdict_flips)))
    if rep.n_nonfinite:
        rows.append(("non-finite float outputs", str(rep.n_nonfinite)))
    if rep.weight_change is not None:
        rows.append(("largest weight rounding", f"{_short(rep.weight_change)}  = {_exact_short(rep.weight_change)}"))
    if rep.regions is not None:
        rows.append(("exact regions used", f"{rep.regions['found']} "
                                           f"({'complete' if rep.regions['complete'] else 'incomplete'}, "
                                           f"{rep.regions['seconds']} s)"))
    if rep.fixed_inputs:
        rows.append(("fixed inputs", ", ".join(f"x{i} = {format_rational(v)}" for i, v in rep.fixed_inputs.items())))
    return rows


def _strategy_rows(rep) -> list[list[str]]:
    out = []
    for name, st in rep.strategies.items():
        out.append([name, str(st.tried), str(st.anchors), str(st.pattern_flips), str(st.decision_flips),
                    str(st.points_with_flips), "yes" if st.exhausted else ""])
    return out


_STRAT_HEAD = ["strategy", "tried", "anchors", "pattern flips", "decision flips", "points with flips", "exhausted"]


def _flip_rows(flips, limit: int) -> list[list[str]]:
    out = []
    for f in flips[:limit]:
        units = ", ".join(f"u{u} (L{k}[{j}]: exact {float(e):.3g}, float {fl:.3g})" for u, k, j, e, fl in f.units)
        out.append([f.strategy,
                    ", ".join(format_rational(v) for v in f.input),
                    ", ".join(f"{float(v):.9g}" for v in f.exact_output),
                    ", ".join(f"{float(v):.9g}" for v in f.float_output),
                    f"{float(f.abs_error):.3g}",
                    f"{_dec(f.exact_decision)} / {_dec(f.float_decision)}",
                    units])
    return out


_FLIP_HEAD = ["strategy", "input (exact)", "exact output", "float output", "|error|", "decision exact / float",
              "flipped units"]


def _dec(d: Any) -> str:
    if isinstance(d, tuple) and len(d) == 2 and isinstance(d[0], tuple):
        return ("cex " if d[1] else "ok ") + "".join("T" if v else "F" for v in d[0])
    return str(d)


def format_table(rep, flips: int = 5) -> str:
    """The report as plain text: summary, per-strategy table, first ``flips`` flips of each kind."""
    lines = [f"cross-check of {rep.network or 'network'} against {rep.backend} ({rep.dtype}), "
             f"decision {rep.decision}"]
    w = max(len(k) for k, _ in _summary_rows(rep))
    for k, v in _summary_rows(rep):
        lines.append(f"  {k.ljust(w)}  {v}")
    lines.append("")
    table = [_STRAT_HEAD] + _strategy_rows(rep)
    widths = [max(len(r[i]) for r in table) for i in range(len(_STRAT_HEAD))]
    for r in table:
        lines.append("  " + "  ".join(c.rjust(wd) if i else c.ljust(wd) for i, (c, wd) in enumerate(zip(r, widths))))
    for title, lst, n in (("pattern flips", rep.pattern_flips, rep.n_pattern_flips),
                          ("decision flips", rep.decision_flips, rep.n_decision_flips)):
        if not lst or flips <= 0:
            continue
        lines.append("")
        lines.append(f"{title} (first {min(flips, len(lst))} of {n}; inputs exact, outputs rounded for display):")
        for f in lst[:flips]:
            lines.append(f"  [{f.strategy}] x = ({', '.join(format_rational(v) for v in f.input)})")
            lines.append(f"      exact {', '.join(f'{float(v):.9g}' for v in f.exact_output)}   "
                         f"float {', '.join(f'{float(v):.9g}' for v in f.float_output)}   "
                         f"decision {_dec(f.exact_decision)} / {_dec(f.float_decision)}")
            for u, k, j, e, fl in f.units:
                lines.append(f"      unit {u} (layer {k}, #{j}): exact pre-activation {format_rational(e)} "
                             f"(~{float(e):.3g}), float {fl!r}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------
# plotting
# --------------------------------------------------------------------------------------
def _matplotlib():
    try:
        import matplotlib  # noqa: F401
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise BackendUnavailableError(_PLOT_HINT) from None
    return Figure, FigureCanvasAgg


def _polygon(region) -> list[tuple[float, float]]:
    import math

    verts = [(float(v[0]), float(v[1])) for v in region.vertices]
    cx = sum(v[0] for v in verts) / len(verts)
    cy = sum(v[1] for v in verts) / len(verts)
    return sorted(verts, key=lambda v: math.atan2(v[1] - cy, v[0] - cx))


def _clip(poly: list[tuple[float, float]], w: tuple[float, float], c: float) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of ``poly`` where ``w.x + c >= 0`` (display only)."""
    out = []
    n = len(poly)
    for i in range(n):
        p, q = poly[i], poly[(i + 1) % n]
        gp = w[0] * p[0] + w[1] * p[1] + c
        gq = w[0] * q[0] + w[1] * q[1] + c
        if gp >= 0:
            out.append(p)
        if (gp >= 0) != (gq >= 0):
            t = gp / (gp - gq)
            out.append((p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])))
    return out


def _decision_pieces(rep, region, poly):
    """(label, polygon) pieces of a region by exact-map decision (floats for drawing only)."""
    C, d = region.affine_map
    Cf = [[float(v) for v in row] for row in C]
    df = [float(v) for v in d]
    if rep.decision in ("argmax", "argmin"):
        s = 1.0 if rep.decision == "argmax" else -1.0
        pieces = []
        for k in range(len(df)):
            pk = poly
            for l in range(len(df)):
                if l == k or not pk:
                    continue
                w = (s * (Cf[k][0] - Cf[l][0]), s * (Cf[k][1] - Cf[l][1]))
                pk = _clip(pk, w, s * (df[k] - df[l]))
            if len(pk) >= 3:
                pieces.append((f"decision {k}", pk))
        return pieces
    return [("region", poly)]


def plot_report(rep, partition=None, zoom: bool = True):
    """A matplotlib ``Figure`` of a 2-input cross-check: regions and disagreement points.

    ``partition`` defaults to the regions the cross-check enumerated. With ``zoom`` a
    second panel magnifies the neighbourhood of the first decision (or pattern) flip, where
    the sliver of float disagreement is visible. Raises BackendUnavailableError without
    matplotlib and ExactReluError unless the network has exactly two free inputs.
    """
    Figure, FigureCanvasAgg = _matplotlib()
    if len(rep.free_inputs) != 2:
        raise UsageError(f"the plot needs exactly two (free) inputs, this run has {len(rep.free_inputs)}")
    parts = [partition] if partition is not None else list(rep.partitions)
    fi = rep.free_inputs
    flips_any = rep.decision_flips or rep.pattern_flips
    ncols = 2 if (zoom and flips_any) else 1
    fig = Figure(figsize=(6.2 * ncols, 5.6))
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, ncols, i + 1) for i in range(ncols)]
    cmap = None
    try:
        from matplotlib import colormaps

        cmap = colormaps["tab20"]
    except Exception:  # pragma: no cover - very old matplotlib
        cmap = None
    labels: dict[str, Any] = {}
    for ax in axes:
        for part in parts:
            for k, reg in enumerate(part.regions):
                poly = _polygon(reg)
                for label, piece in _decision_pieces(rep, reg, poly):
                    if label == "region":
                        color = cmap(k % 20) if cmap is not None else "0.9"
                        lab = None
                    else:
                        idx = int(label.split()[-1])
                        color = cmap((2 * idx) % 20) if cmap is not None else "0.9"
                        lab = None if label in labels else label
                        labels[label] = True
                    ax.fill([p[0] for p in piece], [p[1] for p in piece], color=color, alpha=0.3, linewidth=0,
                            label=lab if ax is axes[0] else None)
                xs = [p[0] for p in poly] + [poly[0][0]]
                ys = [p[1] for p in poly] + [poly[0][1]]
                ax.plot(xs, ys, color="0.35", linewidth=0.6)
        for D in rep.domains:
            verts = [(float(v[0]), float(v[1])) for v in D.vertices]
            cx = sum(v[0] for v in verts) / len(verts)
            cy = sum(v[1] for v in verts) / len(verts)
            import math

            verts.sort(key=lambda v: math.atan2(v[1] - cy, v[0] - cx))
            ax.plot([v[0] for v in verts] + [verts[0][0]], [v[1] for v in verts] + [verts[0][1]], color="black",
                    linewidth=1.2)
        if rep.pattern_flips:
            ax.scatter([float(f.input[fi[0]]) for f in rep.pattern_flips],
                       [float(f.input[fi[1]]) for f in rep.pattern_flips],
                       marker="x", s=22, color="tab:orange", label=f"pattern flips ({rep.n_pattern_flips})", zorder=3)
        if rep.decision_flips:
            ax.scatter([float(f.input[fi[0]]) for f in rep.decision_flips],
                       [float(f.input[fi[1]]) for f in rep.decision_flips],
                       marker="o", s=18, facecolors="none", edgecolors="tab:red",
                       label=f"decision flips ({rep.n_decision_flips})", zorder=4)
        ax.set_xlabel(f"x{fi[0]}")
        ax.set_ylabel(f"x{fi[1]}")
    axes[0].set_title(f"{rep.network or 'network'}: exact regions and {rep.backend} disagreements", fontsize=9)
    if rep.pattern_flips or rep.decision_flips or labels:
        axes[0].legend(loc="upper right", fontsize=7)
    if ncols == 2:
        f0 = flips_any[0]
        cx, cy = float(f0.input[fi[0]]), float(f0.input[fi[1]])
        pts = [f for f in rep.decision_flips + rep.pattern_flips]
        dists = sorted(max(abs(float(f.input[fi[0]]) - cx), abs(float(f.input[fi[1]]) - cy)) for f in pts)
        near = [v for v in dists if v > 0]
        span = float(max(h - l for D in rep.domains for l, h in zip(D.lower, D.upper)))
        r = max(3 * near[0] if near else 0.0, span * 2.0 ** -20)
        axes[1].set_xlim(cx - r, cx + r)
        axes[1].set_ylim(cy - r, cy + r)
        axes[1].set_title(f"zoom: +/- {r:.2g} around a flip", fontsize=9)
        axes[1].ticklabel_format(useOffset=False)
        axes[1].tick_params(labelsize=6)
    fig.tight_layout()
    return fig


def _fig_png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    return buf.getvalue()


# --------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------
def _table_html(head: list[str], rows: list[list[str]]) -> str:
    h = "".join(f"<th>{html.escape(c)}</th>" for c in head)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{h}</tr></thead><tbody>{body}</tbody></table>"


def report_html(rep, partition=None, flips: int = 50, baseline=None) -> str:
    """A self-contained HTML page: summary, strategies, flips; the plot for 2 inputs.

    ``baseline`` (another report, e.g. random sampling only with the same budget) adds a
    comparison row.
    """
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>exactrelu cross-check</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:80em}table{border-collapse:collapse;"
        "margin:0.5em 0 1.5em}td,th{border:1px solid #bbb;padding:3px 7px;font-size:13px;text-align:left;"
        "vertical-align:top}th{background:#eee}td{font-family:monospace;word-break:break-all}</style></head><body>",
        f"<h1>Cross-check: {html.escape(rep.network or 'network')} vs {html.escape(rep.backend)}</h1>",
        "<p>Inputs are float-representable and reported exactly; errors are exact rationals "
        "(shown rounded, with the exact value).</p>",
        _table_html(["", ""], [[k, v] for k, v in _summary_rows(rep)]),
        "<h2>Strategies</h2>",
        _table_html(_STRAT_HEAD, _strategy_rows(rep)),
    ]
    if baseline is not None:
        parts.append("<h2>Search vs random sampling (same budget)</h2>")
        parts.append(_table_html(
            ["run", "points tried", "pattern flips", "decision flips"],
            [["search (all strategies)", str(rep.points_tried), str(rep.n_pattern_flips), str(rep.n_decision_flips)],
             ["random only", str(baseline.points_tried), str(baseline.n_pattern_flips),
              str(baseline.n_decision_flips)]]))
    if len(rep.free_inputs) == 2:
        png = _fig_png(plot_report(rep, partition))
        parts.append("<h2>Domain, exact regions and disagreements</h2>")
        parts.append(f"<img alt='regions and flips' src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
    for title, lst, n in (("Decision flips", rep.decision_flips, rep.n_decision_flips),
                          ("Pattern flips", rep.pattern_flips, rep.n_pattern_flips)):
        parts.append(f"<h2>{title} ({n} found, {min(flips, len(lst))} shown)</h2>")
        if lst:
            parts.append(_table_html(_FLIP_HEAD, _flip_rows(lst, flips)))
    if rep.max_abs_error_at is not None:
        f = rep.max_abs_error_at
        parts.append("<h2>Largest absolute error</h2>")
        parts.append(_table_html(["", ""], [
            ["error (exact)", format_rational(rep.max_abs_error)],
            ["input (exact)", ", ".join(format_rational(v) for v in f.input)],
            ["exact output", ", ".join(format_rational(v) for v in f.exact_output)],
            ["float output (exact value)", ", ".join(format_rational(v) for v in f.float_output)],
            ["strategy", f.strategy]]))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(rep, path: "str | Path", partition=None, baseline=None) -> Path:
    """Write ``.html`` (tables, plot for 2 inputs) or ``.png`` (the plot) by extension."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".html", ".htm"):
        text = report_html(rep, partition, baseline=baseline)
        p.write_text(text, encoding="utf-8")
    elif suffix == ".png":
        p.write_bytes(_fig_png(plot_report(rep, partition)))
    else:
        raise UsageError(f"report file must end in .html or .png, got {p.name!r}")
    return p
