"""Disclosure control: a hand-made table where naive suppression leaks, audits, the algorithm."""
import itertools

import numpy as np
import pandas as pd
import pytest

from joinedup.engine import disclosure as eng
from joinedup.engine.errors import InputError

# Row r1 has one small count (3). Published with row and column totals, hiding only the 3
# leaks it: 38 - 20 - 15 = 3.
TABLE = pd.DataFrame([[3, 20, 15], [12, 14, 11], [25, 30, 18]],
                     index=["r1", "r2", "r3"], columns=["a", "b", "c"])


def _recover_by_lines(published):
    """An attacker: repeatedly solve any row or column (with its total) that has exactly one
    hidden entry. Returns the entries recovered, with values."""
    table = published.copy()
    found = {}
    progress = True
    while progress:
        progress = False
        body_rows = [r for r in table.index if r != eng.TOTAL_ROW]
        body_cols = [c for c in table.columns if c != eng.TOTAL_ROW]
        lines = []
        if eng.TOTAL_ROW in table.columns:
            lines += [[(r, c) for c in body_cols] + [(r, eng.TOTAL_ROW)] for r in table.index]
        if eng.TOTAL_ROW in table.index:
            lines += [[(r, c) for r in body_rows] + [(eng.TOTAL_ROW, c)] for c in table.columns]
        for line in lines:
            hidden = [e for e in line if pd.isna(table.loc[e])]
            if len(hidden) == 1:
                cells, total = line[:-1], line[-1]
                e = hidden[0]
                if e == total:
                    value = sum(table.loc[x] for x in cells)
                else:
                    value = table.loc[total] - sum(table.loc[x] for x in cells if x != e)
                table.loc[e] = value
                found[e] = value
                progress = True
    return found


def test_naive_primary_suppression_leaks():
    naive = eng.protect_counts(TABLE, secondary=False)
    assert _recover_by_lines(naive.published) == {("r1", "a"): 3}


def test_secondary_suppression_protects_hand_made_table():
    res = eng.protect_counts(TABLE)
    pub = res.published
    assert pd.isna(pub.loc["r1", "a"])
    assert _recover_by_lines(pub) == {}
    # by hand: hide r1/c (15, smallest other in r1), r2/a (12, smallest other in column a),
    # then r2/c (11) for column c
    hidden = {(r, c) for r, c in itertools.product(pub.index, pub.columns) if pd.isna(pub.loc[r, c])}
    assert hidden == {("r1", "a"), ("r1", "c"), ("r2", "a"), ("r2", "c")}
    assert res.suppressed_primary == 1 and res.suppressed_secondary == 3 and res.audited
    # totals are the true ones and published
    assert pub.loc["r1", eng.TOTAL_ROW] == 38 and pub.loc[eng.TOTAL_ROW, eng.TOTAL_ROW] == 148
    # the report says why, never the value
    assert all("3" not in item["reason"].split(":")[0] for item in res.report)
    assert {(i["row"], i["column"]) for i in res.report} == hidden


def test_exact_audit_on_random_tables():
    rng = np.random.default_rng(5)
    for _ in range(30):
        t = pd.DataFrame(rng.poisson(rng.uniform(2, 40), size=(6, 5)))
        res = eng.protect_counts(t, threshold=10)
        hidden = res.status.to_numpy() != ""
        assert _recover_by_lines(res.published) == {}
        # exact linear-algebra audit: no hidden entry is fixed by the equations
        assert eng._recoverable(np.asarray(_augmented(t)), res.status.to_numpy(),
                                eng._lines(6, 5, True, True)) == []
        small = (t.to_numpy() > 0) & (t.to_numpy() < 10)
        assert hidden[:6, :5][small].all()


def _augmented(t):
    a = t.to_numpy(dtype=float)
    a = np.column_stack([a, a.sum(1)])
    return np.vstack([a, a.sum(0)])


def test_small_total_is_hidden_and_protected():
    t = pd.DataFrame([[2, 3], [40, 50]], index=["x", "y"], columns=["m", "f"])
    res = eng.protect_counts(t)
    assert pd.isna(res.published.loc["x", eng.TOTAL_ROW])  # 5 < 10
    assert _recover_by_lines(res.published) == {}


def test_rounding_and_zeros_and_single_column():
    res = eng.protect_counts(TABLE, round_base=5)
    vals = res.published.to_numpy()
    assert np.all(np.isnan(vals) | (vals % 5 == 0))
    assert res.published.loc["r3", "c"] == 20  # 18 -> 20
    z = pd.DataFrame({"n": [0, 4, 25, 12]})
    res = eng.protect_counts(z)
    # one column, so no row totals; the column total (41) is published, so the smallest
    # other positive count (12) is hidden too, or 41 - 0 - 25 - 12 would give the 4 away
    assert res.published["n"].isna().tolist() == [False, True, False, True, False]
    assert _recover_by_lines(res.published) == {}
    res = eng.protect_counts(z, suppress_zeros=True, totals=False)
    assert res.published["n"].isna().tolist() == [True, True, False, False]


def test_bad_input():
    with pytest.raises(InputError, match="whole numbers"):
        eng.protect_counts(pd.DataFrame({"a": [1.5, 2]}))
    with pytest.raises(InputError, match="whole numbers"):
        eng.protect_counts(pd.DataFrame({"a": [-1, 2]}))
    with pytest.raises(InputError, match="missing"):
        eng.protect_counts(pd.DataFrame({"a": [np.nan, 2]}))
    with pytest.raises(InputError, match="threshold"):
        eng.protect_counts(TABLE, threshold=0)
    res = eng.protect_counts(pd.DataFrame({"a": []}, dtype=float))
    assert res.report == []


def test_algorithm(plugin, run_alg, tmp_path):
    import geopandas as gpd
    from qgis.core import QgsFeature, QgsProcessingException, QgsVectorLayer

    layer = QgsVectorLayer("None?field=area:string&field=a:integer&field=b:integer&field=c:integer",
                           "counts", "memory")
    feats = []
    for name, row in TABLE.iterrows():
        f = QgsFeature(layer.fields())
        f.setAttributes([name] + [int(v) for v in row])
        feats.append(f)
    layer.dataProvider().addFeatures(feats)
    out = run_alg("joinedup:disclosurecontrol", {
        "INPUT": layer, "FIELDS": ["a", "b", "c"], "ROW_ID": "area",
        "OUTPUT": str(tmp_path / "safe.gpkg"), "REPORT": str(tmp_path / "report.csv")})
    got = gpd.read_file(out["OUTPUT"])
    assert got["a"].isna().tolist() == [True, True, False]
    assert got["a_flag"].tolist() == ["primary", "secondary", ""]
    assert got["row_total"].tolist() == [38, 37, 73]
    report = pd.read_csv(out["REPORT"])
    assert len(report) == 4 and set(report["row"]) == {"r1", "r2"}
    assert out["HIDDEN_PRIMARY"] == 1 and out["HIDDEN_SECONDARY"] == 3
    with pytest.raises(QgsProcessingException, match="whole numbers"):
        bad = QgsVectorLayer("None?field=a:double", "bad", "memory")
        f = QgsFeature(bad.fields())
        f.setAttributes([-2.0])
        bad.dataProvider().addFeatures([f])
        run_alg("joinedup:disclosurecontrol", {"INPUT": bad, "FIELDS": ["a"],
                                               "OUTPUT": str(tmp_path / "x.gpkg")})


def _attacker_ranges(published):
    """An attacker with a linear-programming solver: the smallest and largest value each hidden
    entry can take, given every published number, the row and column totals and counts >= 0."""
    from scipy.optimize import linprog

    body_rows = [r for r in published.index if r != eng.TOTAL_ROW]
    body_cols = [c for c in published.columns if c != eng.TOTAL_ROW]
    unknown = [(r, c) for r in published.index for c in published.columns if pd.isna(published.loc[r, c])]
    col = {e: k for k, e in enumerate(unknown)}
    equations = [[(r, c) for c in body_cols] + [(r, eng.TOTAL_ROW)] for r in published.index] + \
                [[(r, c) for r in body_rows] + [(eng.TOTAL_ROW, c)] for c in published.columns]
    rows, rhs = [], []
    for line in equations:
        row, value = np.zeros(len(unknown)), 0.0
        for e in line:
            sign = -1.0 if e == line[-1] else 1.0
            if e in col:
                row[col[e]] += sign
            else:
                value -= sign * published.loc[e]
        rows.append(row)
        rhs.append(value)
    ranges = {}
    for e, k in col.items():
        c = np.zeros(len(unknown))
        c[k] = 1
        low = linprog(c, A_eq=rows, b_eq=rhs, bounds=(0, None), method="highs")
        high = linprog(-c, A_eq=rows, b_eq=rhs, bounds=(0, None), method="highs")
        ranges[e] = (low.fun, np.inf if high.status == 3 else -high.fun)
    return ranges


def test_interval_audit_stops_hidden_cells_being_narrowed():
    """Row r1 holds two small counts (3 and 3) next to 23, total 29. Hiding them with their
    column partners is enough against subtraction, but the row says they add up to 6: each is
    at most 6, plainly a small count. The interval audit hides one more cell of that row."""
    t = pd.DataFrame([[0, 14, 24], [3, 23, 3], [14, 24, 9]], index=["r0", "r1", "r2"],
                     columns=["a", "b", "c"])
    old = eng.protect_counts(t, interval_limit=0)  # the audit switched off
    assert _recover_by_lines(old.published) == {}
    low, high = _attacker_ranges(old.published)[("r1", "a")]
    assert (low, high) == (pytest.approx(0), pytest.approx(6))  # leaked: below the threshold

    res = eng.protect_counts(t)
    assert pd.isna(res.published.loc["r1", "b"])  # the 23 beside them is hidden too
    ranges = _attacker_ranges(res.published)
    primary = res.status.to_numpy() == eng.PRIMARY
    for (r, c), (low, high) in ranges.items():
        if res.status.loc[r, c] == eng.PRIMARY:
            assert high - low >= 10, ((r, c), low, high)
    assert primary.sum() == 3
    assert any("narrowed to a range" in item["reason"] for item in res.report)
    assert _recover_by_lines(res.published) == {}


def test_interval_audit_on_random_tables():
    rng = np.random.default_rng(11)
    for _ in range(25):
        t = pd.DataFrame(rng.poisson(rng.uniform(2, 25), size=(rng.integers(2, 6), rng.integers(2, 6))))
        res = eng.protect_counts(t, threshold=10)
        for (r, c), (low, high) in _attacker_ranges(res.published).items():
            if res.status.loc[r, c] == eng.PRIMARY:
                assert high - low >= 10 - 1e-6, (t.values.tolist(), (r, c), low, high)


def test_protect_table_without_qgis_by_hand():
    """One count field, threshold 10: the 3 is hidden (primary), 12 and 0 are published, every
    row is kept; the report names the hidden cell by its label; counts stored as text are read."""
    table = pd.DataFrame({"ward": ["North", "South", "East"], "n": ["3", "12", "0"]})
    out, res, totals_text, report = eng.protect_table(table, ["n"], name="wards", row_labels=table["ward"],
                                                      threshold=10)
    assert list(out["ward"]) == ["North", "South", "East"]
    assert out["n"].isna().tolist() == [True, False, False] and out["n"].iloc[1] == 12
    assert res.suppressed_primary == 1 and totals_text == ""
    assert report[["row", "field"]].values.tolist() == [["North", "n"]]
    with pytest.raises(InputError, match="Null counts in n"):
        eng.protect_table(pd.DataFrame({"n": [1.0, None]}), ["n"], threshold=10)
    with pytest.raises(InputError, match="nothing to protect"):
        eng.protect_table(table.iloc[:0], ["n"], name="wards")
