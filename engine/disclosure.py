"""Statistical disclosure control for tables of counts: the ONE function every JoinedUp
count output calls before it is published (:func:`protect_counts`).

1. Primary suppression: a cell with ``0 < count < threshold`` is hidden (zeros too when
   ``suppress_zeros``). Published totals below the threshold are hidden as well.
2. Secondary (complementary) suppression, when totals are published: a row or column
   (with its total) holding exactly one hidden entry would give it away by subtraction, so
   the smallest other positive cell of that line is hidden too, repeated until no line has
   exactly one hidden entry. Then an exact audit (linear algebra over every row and column
   equation) checks that no hidden cell is determined by the published numbers; any that
   is gets a further complementary cell. Then an interval audit: counts cannot be negative,
   so the published numbers confine each hidden count to a range (its minimum and maximum
   subject to every equation, two small linear programmes each, HiGHS); a cell hidden as
   below the threshold whose range is narrower than the threshold (``[0, 8]`` says "a small
   count" as plainly as the number) gets a further complementary cell, until none is.
3. Optional rounding of every published number to a base (5): totals are rounded
   independently, so rounded cells need not add up to rounded totals.

The report lists each hidden cell with its reason and never the hidden value.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import InputError, as_feedback

PRIMARY = "primary"
SECONDARY = "secondary"
TOTAL_ROW = "TOTAL"


@dataclass
class DisclosureResult:
    """``published``: the table (float, NaN = hidden), with a ``TOTAL`` column and row when
    totals are published; ``status``: same shape, '' / 'primary' / 'secondary';
    ``report``: one dict per hidden entry (row, column, reason)."""
    published: object
    status: object
    report: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    audited: bool = False

    @property
    def suppressed_primary(self) -> int:
        return sum(1 for r in self.report if r["reason"].startswith(PRIMARY))

    @property
    def suppressed_secondary(self) -> int:
        return sum(1 for r in self.report if r["reason"].startswith(SECONDARY))

    def describe(self) -> str:
        text = (f"{self.suppressed_primary} cells hidden as below the threshold (primary), "
                f"{self.suppressed_secondary} more so that they cannot be worked out from totals "
                "(secondary).")
        return " ".join([text] + self.notes)


def protect_counts(table, *, threshold: int = 10, secondary: bool = True, totals: bool = True,
                   round_base: int | None = None, suppress_zeros: bool = False,
                   audit_limit: int = 3000, interval_limit: int = 250,
                   feedback=None) -> DisclosureResult:
    """Make a table of counts safe to publish.

    Args:
        table: pandas DataFrame (rows x categories) or Series (one column) of non-negative
            counts; the index labels rows in the report. A one-column table has no
            row totals (they would equal the cells); a one-row table no column totals.
        threshold: counts ``0 < c < threshold`` are hidden (default 10).
        secondary: hide complementary cells so hidden cells cannot be recovered from totals.
        totals: publish row/column/grand totals (computed from the true counts).
        round_base: round published numbers to this base (e.g. 5); None = no rounding.
        suppress_zeros: hide zero counts too (a zero can itself disclose, e.g. "no one").
        audit_limit: the exact recoverability audit runs when at most this many cells are
            hidden (it is a dense SVD); above it only the line rule is guaranteed (noted).
        interval_limit: the interval audit (two linear programmes per cell below the
            threshold) runs when at most this many cells are below the threshold (noted if not).
        feedback: Cancel is checked between the interval audit's linear programmes.

    Returns:
        DisclosureResult.

    Raises:
        InputError: negative, fractional or missing counts, threshold < 1.
    """
    import pandas as pd

    fb = as_feedback(feedback)
    if isinstance(table, pd.Series):
        table = table.to_frame()
    frame = pd.DataFrame(table)
    if threshold is None or threshold < 1:
        raise InputError(f"The suppression threshold must be 1 or more (got {threshold}).")
    values = frame.to_numpy(dtype=float)
    if values.size and not np.isfinite(values).all():
        bad = int((~np.isfinite(values)).sum())
        raise InputError(f"{bad} counts are missing: fill them (0 if none) before disclosure control.")
    if values.size and ((values < 0).any() or (values != np.round(values)).any()):
        raise InputError("Counts must be whole numbers of zero or more; this table has negative or "
                         "fractional values.")
    R, C = values.shape
    row_tot = totals and C > 1
    col_tot = totals and R > 1
    # the augmented table: interior, then a total column and a total row when published
    A = values
    if row_tot:
        A = np.column_stack([A, A.sum(1)])
    if col_tot:
        A = np.vstack([A, A.sum(0)])
    RR, CC = A.shape
    status = np.full((RR, CC), "", dtype=object)
    small = (A > 0) & (A < threshold)
    if suppress_zeros:
        small |= A == 0
    status[small] = PRIMARY
    reasons = {}
    for r, c in zip(*np.nonzero(small)):
        reasons[(r, c)] = f"{PRIMARY}: below the threshold of {threshold}"
    notes = []
    lines = _lines(R, C, row_tot, col_tot)
    audited = False
    if secondary and lines:
        interior = np.zeros((RR, CC), dtype=bool)
        interior[:R, :C] = True
        for _ in range(10 * (RR + CC) + 10):
            narrow = None  # the interval audit's finding on this round's table, if it ran
            changed = _line_rule(A, status, lines, interior, reasons)
            hidden = int((status != "").sum())
            if hidden <= audit_limit:
                exposed = _recoverable(A, status, lines)
                audited = True
                for r, c in exposed:
                    line = next(ln for ln in lines if (r, c) in ln)
                    if _hide_partner(A, status, line, interior, reasons, (r, c)):
                        changed = True
                if not exposed:
                    narrow = _interval_exposed(A, status, lines, threshold, interval_limit, fb)
                    for e in narrow:
                        for line in (ln for ln in lines if e in ln):
                            if _hide_partner(A, status, line, interior, reasons, e, INTERVAL_WHY):
                                changed = True
                                break
            else:
                audited = False
            if not changed:
                break
        if audited:
            if narrow is None or changed:  # the last round's finding does not describe this table
                narrow = _interval_exposed(A, status, lines, threshold, interval_limit, fb)
            if narrow:
                notes.append(f"{len(narrow)} hidden cells below the threshold can still be narrowed to a "
                             "range smaller than the threshold: no cell was left to hide beside them.")
        if audited and int((status == PRIMARY).sum()) > interval_limit:
            notes.append(f"{int((status == PRIMARY).sum())} cells below the threshold: too many for the "
                         f"interval audit (limit {interval_limit}); none can be worked out exactly.")
        if not audited:
            notes.append(f"{int((status != '').sum())} cells hidden: too many for the exact audit "
                         f"(limit {audit_limit}); every row and column has 0 or at least 2 hidden cells.")
    pub = A.astype(float)
    pub[status != ""] = np.nan
    if round_base:
        if round_base < 1:
            raise InputError("The rounding base must be a whole number of 1 or more (e.g. 5).")
        pub = np.round(pub / round_base) * round_base
        notes.append(f"Published numbers rounded to base {round_base}; totals are rounded on their "
                     "own, so rounded cells need not add up to them.")
    rows = list(frame.index) + ([TOTAL_ROW] if col_tot else [])
    cols = list(frame.columns) + ([TOTAL_ROW] if row_tot else [])
    published = pd.DataFrame(pub, index=rows, columns=cols)
    status_df = pd.DataFrame(status, index=rows, columns=cols)
    report = [{"row": rows[r], "column": cols[c], "reason": reasons[(r, c)]}
              for r, c in sorted(reasons)]
    return DisclosureResult(published=published, status=status_df, report=report, notes=notes,
                            audited=audited)


def _lines(R, C, row_tot, col_tot):
    """Each additive equation as the list of its entries, the total last."""
    lines = []
    if row_tot:
        for r in range(R + (1 if col_tot else 0)):
            lines.append([(r, c) for c in range(C)] + [(r, C)])
    if col_tot:
        ncols = C + (1 if row_tot else 0)
        for c in range(ncols):
            lines.append([(r, c) for r in range(R)] + [(R, c)])
    return lines


def _line_rule(A, status, lines, interior, reasons) -> bool:
    changed = False
    progress = True
    while progress:
        progress = False
        for line in lines:
            hidden = [e for e in line if status[e] != ""]
            if len(hidden) == 1:
                if _hide_partner(A, status, line, interior, reasons, hidden[0]):
                    progress = changed = True
    return changed


SUBTRACTION_WHY = "from being worked out by subtraction"
INTERVAL_WHY = "from being narrowed to a range smaller than the threshold"


def _hide_partner(A, status, line, interior, reasons, exposed, why=SUBTRACTION_WHY) -> bool:
    """Hide the smallest positive visible interior cell of ``line`` (else a zero, else the
    total) to protect ``exposed``."""
    visible = [e for e in line if status[e] == "" and e != exposed]
    if not visible:
        return False
    cells = [e for e in visible if interior[e]]
    pos = [e for e in cells if A[e] > 0]
    pick = min(pos or cells or visible, key=lambda e: (A[e], e))
    status[pick] = SECONDARY
    what = "total" if not interior[exposed] else "cell"
    reasons[pick] = f"{SECONDARY}: protects a hidden {what} in the same row or column {why}"
    return True


def _equations(A, status, lines):
    """The published equations in the hidden entries: ``(hidden, M, b)`` with ``M @ x = b``
    for the hidden values ``x`` (each line: its cells minus its total is zero)."""
    hidden = list(zip(*np.nonzero(status != "")))
    index = {e: k for k, e in enumerate(hidden)}
    M = np.zeros((len(lines), len(hidden)))
    b = np.zeros(len(lines))
    for i, line in enumerate(lines):
        for j, e in enumerate(line):
            coefficient = -1.0 if j == len(line) - 1 else 1.0  # the total is last
            if e in index:
                M[i, index[e]] = coefficient
            else:
                b[i] -= coefficient * A[e]
    used = np.abs(M).sum(1) > 0
    return hidden, M[used], b[used]


def _interval_exposed(A, status, lines, threshold, limit, fb):
    """Entries hidden as below the threshold that the published equations and non-negative
    counts confine to a range narrower than the threshold."""
    from scipy.optimize import linprog

    hidden, M, b = _equations(A, status, lines)
    primary = [k for k, e in enumerate(hidden) if status[e] == PRIMARY]
    if not primary or len(primary) > limit or len(M) == 0:
        return []
    exposed = []
    for k in primary:
        fb.check()
        c = np.zeros(len(hidden))
        c[k] = 1.0
        low = linprog(c, A_eq=M, b_eq=b, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=M, b_eq=b, bounds=(0, None), method="highs")
        if low.status != 0 or high.status != 0:  # unbounded above (or no solution): safe
            continue
        if -high.fun - low.fun < threshold - 1e-9:
            exposed.append(hidden[k])
    return exposed


def _recoverable(A, status, lines):
    """Hidden entries whose value the published equations fix uniquely (exact rank test)."""
    hidden, M, _ = _equations(A, status, lines)
    if not hidden:
        return []
    if len(M) == 0:
        return []
    _, s, vt = np.linalg.svd(M, full_matrices=True)
    rank = int((s > 1e-9 * max(1.0, s.max(initial=0.0))).sum())
    null = vt[rank:]  # basis of the null space (rows)
    if null.shape[0] == 0:
        return hidden
    determined = np.abs(null).max(0) < 1e-9
    return [e for e, d in zip(hidden, determined) if d]


def apply_to_columns(frame, columns, *, threshold: int = 10, round_base: int | None = None,
                     suppress_zeros: bool = False, secondary: bool = True, feedback=None):
    """Protect count columns of an attribute table whose rows are areas: the shared entry
    point for algorithms' count outputs. With one count column only primary suppression
    applies (no totals); with several, row totals (``row_total``) and column totals over all
    rows are treated as published and secondary suppression protects against both.
    Returns ``(frame_copy, result)``; hidden counts become null, ``<col>_flag`` says why."""
    import pandas as pd

    sub = frame[list(columns)].astype(float).reset_index(drop=True)
    res = protect_counts(sub, threshold=threshold, totals=len(columns) > 1, secondary=secondary,
                         round_base=round_base, suppress_zeros=suppress_zeros, feedback=feedback)
    out = frame.copy()
    body = res.published.iloc[: len(frame)]
    flags = res.status.iloc[: len(frame)]
    for col in columns:
        integer = pd.api.types.is_integer_dtype(frame[col].dtype)
        out[col] = pd.array(body[col].to_numpy(), dtype="Int64" if integer else "Float64")
        out[f"{col}_flag"] = flags[col].to_numpy()
    if len(columns) > 1:
        out["row_total"] = pd.array(body[TOTAL_ROW].to_numpy(), dtype="Float64")
    return out, res


def protect_table(table, fields, *, name: str = "the table", row_labels=None, **options):
    """A layer's count ``fields`` made safe to publish (:func:`apply_to_columns`, whose
    ``options`` it takes), after the checks every input gets: rows present, fields present,
    counts stored as text read as numbers, no null count. Returns ``(frame, result,
    totals_text, report)``: ``totals_text`` the published column totals for the log ('' with one
    field), ``report`` a DataFrame of hidden cells (row label, field, reason); ``row_labels``
    name the rows in it (default: their positions)."""
    import pandas as pd

    from .values import numeric_fields_of

    table = numeric_fields_of(table, fields, layer=name, field_kind="count", nothing_to="protect")
    nulls = table[fields].isna().sum()
    if nulls.any():
        raise InputError("Null counts in " + ", ".join(f"{k} ({v})" for k, v in nulls.items() if v)
                         + ": fill them (0 if none) before disclosure control.")
    out, res = apply_to_columns(table, fields, **options)
    totals_text = ""
    if TOTAL_ROW in res.published.index:
        totals = res.published.loc[TOTAL_ROW]
        totals_text = "Column totals: " + ", ".join(
            f"{k} = {'hidden' if pd.isna(v) else f'{v:g}'}" for k, v in totals.items())
    labels = [str(v) for v in row_labels] if row_labels is not None else [str(i) for i in range(len(table))]
    report = pd.DataFrame([{"row": "TOTAL" if item["row"] == TOTAL_ROW else labels[int(item["row"])],
                            "field": str(item["column"]), "reason": item["reason"]} for item in res.report],
                          columns=["row", "field", "reason"])
    return out, res, totals_text, report
