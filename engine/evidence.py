"""Findings for an evidence pack, QGIS-free: summary statistics, the top N areas, a short
plain-language summary, and charts (matplotlib, drawn without pyplot so no global backend
is touched inside QGIS)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .classify import Classification, auto_decimals, format_number
from .errors import DependencyError, InputError


@dataclass
class Summary:
    n: int
    n_null: int
    minimum: float
    q1: float
    median: float
    mean: float
    q3: float
    maximum: float
    total: float


def summarise(values) -> Summary:
    """Statistics of the finite values; nulls, NaN and ±inf are counted in ``n_null``."""
    import pandas as pd

    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(v)
    if not ok.any():
        raise InputError("There are no numeric values to summarise.")
    x = v[ok]
    q1, median, q3 = np.percentile(x, [25, 50, 75])
    return Summary(n=int(ok.sum()), n_null=int((~ok).sum()), minimum=float(x.min()), q1=float(q1),
                   median=float(median), mean=float(x.mean()), q3=float(q3),
                   maximum=float(x.max()), total=float(x.sum()))


def top_areas(values, names, *, n: int = 10, highest: bool = True):
    """The ``n`` areas with the highest (or lowest) values, nulls left out; ties keep the
    input order. Returns a DataFrame with rank, name, value and position (input row)."""
    import pandas as pd

    v = pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan)
    names = pd.Series(names).reset_index(drop=True)
    ok = np.flatnonzero(np.isfinite(v))
    if ok.size == 0:
        raise InputError("There are no numeric values to rank.")
    key = -v[ok] if highest else v[ok]
    order = ok[np.argsort(key, kind="stable")][: max(1, int(n))]
    labels = names.iloc[order].astype(object)
    labels = [str(name) if name is not None and name == name and str(name).strip() else f"Feature {i + 1}"
              for name, i in zip(labels, order)]
    return pd.DataFrame({"rank": np.arange(1, len(order) + 1), "name": labels,
                         "value": v[order], "position": order})


def findings_text(summary: Summary, top, *, field: str, units: str = "", highest: bool = True,
                  decimals: int | None = None) -> str:
    """Two or three plain sentences a decision-maker can read."""
    if decimals is None or decimals < 0:
        d = auto_decimals([summary.minimum, summary.median, summary.maximum])
    else:
        d = decimals
    unit = f" {units}" if units else ""
    first = top.iloc[0]
    word = "highest" if highest else "lowest"
    text = (f"{summary.n:,} areas have a value of {field}. It ranges from "
            f"{format_number(summary.minimum, d)} to {format_number(summary.maximum, d)}{unit}, "
            f"with a median of {format_number(summary.median, d)}{unit}. ")
    text += f"The {word} is {first['name']} ({format_number(first['value'], d)}{unit})"
    if len(top) > 1:
        share = top["value"].sum() / summary.total if summary.total else float("nan")
        text += (f"; the {len(top)} {word} areas hold {share:.0%} of the total."
                 if highest and np.isfinite(share) and summary.minimum >= 0 else ".")
    else:
        text += "."
    if summary.n_null:
        text += f" {summary.n_null:,} areas have no value and are not ranked."
    return text


def _figure(width_mm: float, height_mm: float):
    import warnings

    try:
        with warnings.catch_warnings():
            # a Debian mpl_toolkits beside a pip matplotlib: 3D axes, unused here, are unavailable
            warnings.filterwarnings("ignore", message="Unable to import Axes3D")
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
    except ImportError as exc:
        raise DependencyError(f"Charts need matplotlib, which is not importable here ({exc}).") from exc
    fig = Figure(figsize=(width_mm / 25.4, height_mm / 25.4))
    FigureCanvasAgg(fig)
    return fig


def histogram_chart(values, cls: Classification, colours, path: str, *, field: str, units: str = "",
                    width_mm: float = 180, height_mm: float = 110, dpi: int = 200) -> str:
    """Distribution of the values: a histogram whose bars take the colour of their class,
    with the class breaks as dashed lines. Written as PNG to ``path``."""
    import pandas as pd

    v = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    fig = _figure(width_mm, height_mm)
    ax = fig.add_subplot(1, 1, 1)
    bins = min(40, max(5, int(np.sqrt(len(v)))))
    counts, edges = np.histogram(v, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    idx = cls.classify(centres)
    ax.bar(centres, counts, width=np.diff(edges), color=[colours[i] for i in idx],
           edgecolor="#333333", linewidth=0.3)
    for b in cls.breaks[:-1]:
        ax.axvline(b, color="#333333", linestyle="--", linewidth=0.7)
    ax.set_xlabel(field + (f" ({units})" if units else ""))
    ax.set_ylabel("Number of areas")
    ax.set_title(f"Distribution of {field} with the map's class breaks", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    return path


def ranked_bar_chart(top, cls: Classification, colours, path: str, *, field: str, units: str = "",
                     width_mm: float = 180, height_mm: float = 120, dpi: int = 200) -> str:
    """The top areas as horizontal bars, largest at the top, coloured by class."""
    fig = _figure(width_mm, height_mm)
    ax = fig.add_subplot(1, 1, 1)
    names = [str(n)[:40] for n in top["name"]][::-1]
    values = top["value"].to_numpy()[::-1]
    idx = cls.classify(values)
    ax.barh(range(len(values)), values, color=[colours[i] for i in idx], edgecolor="#333333",
            linewidth=0.3)
    ax.set_yticks(range(len(values)))
    ax.set_yticklabels(names, fontsize=7)
    ax.set_xlabel(field + (f" ({units})" if units else ""))
    ax.set_title(f"Top {len(values)} areas by {field}", fontsize=10)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    return path
