"""The evidence pack's findings: the findings file, human labels, each kind's numbers against
a computation by hand or with geopandas, disclosure control of every printed count, and the
pack made of findings through processing.run."""
import json
import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from findings_helpers import make_findings_data

from joinedup.engine import findings as fd
from joinedup.engine.errors import InputError


def _spec(kind, **options):
    return fd.FindingSpec(kind=kind, title=options.pop("title", "A finding"), layer="x.gpkg",
                          note=options.pop("note", ""), options=options)


def _printed_counts(rows, skip_columns=(0,)):
    """Every whole number printed in a table's count cells."""
    found = []
    for row in rows:
        for i, cell in enumerate(row):
            if i not in skip_columns and re.fullmatch(r"\d[\d,]*", cell):
                found.append(int(cell.replace(",", "")))
    return found


# --- the file and the labels --------------------------------------------------------------

def test_findings_file_is_checked_and_paths_are_relative_to_it(tmp_path):
    good = {"format": "joinedup-findings", "version": 1, "labels": {"v": {"label": "Value"}},
            "findings": [{"kind": "ranking", "title": "T", "layer": "a.gpkg|layername=z", "field": "v"},
                         {"kind": "counts_table", "title": "C", "layer": "/abs/p.gpkg",
                          "areas": "areas.gpkg", "area_name_field": "name"}]}
    path = tmp_path / "f.json"
    path.write_text(json.dumps(good))
    labels, specs = fd.read_findings(str(path))
    assert labels == {"v": {"label": "Value"}}
    assert specs[0].layer == f"{tmp_path}/a.gpkg|layername=z"
    assert specs[1].layer == "/abs/p.gpkg" and specs[1].get("areas") == f"{tmp_path}/areas.gpkg"
    for broken, message in (
            ("not json", "could not be read as JSON"),
            (json.dumps({"format": "other"}), "not a JoinedUp findings file"),
            (json.dumps({**good, "findings": [{"kind": "pie", "title": "T", "layer": "a"}]}), "unknown kind"),
            (json.dumps({**good, "findings": [{"kind": "ranking", "title": "T", "layer": "a"}]}), "needs field"),
            (json.dumps({**good, "findings": [{"kind": "ranking", "title": "T", "layer": "a", "field": "v",
                                               "colour": "red"}]}), "unknown keys: colour"),
            (json.dumps({**good, "findings": []}), "lists no findings")):
        path.write_text(broken)
        with pytest.raises(InputError, match=message):
            fd.read_findings(str(path))


def test_a_field_without_a_label_stops_instead_of_printing_its_name():
    labels = fd.Labels({"pi_score": {"label": "Priority score", "units": "points"}})
    assert labels.heading("pi_score") == "Priority score (points)"
    assert labels.with_aliases({"pop": "Residents"}).label("pop") == "Residents"
    # the file's table wins over an alias
    assert labels.with_aliases({"pi_score": "alias"}).label("pi_score") == "Priority score"
    with pytest.raises(InputError, match="no human label"):
        labels.label("uncovered_share")


# --- each kind, by hand -------------------------------------------------------------------

def test_ranking_by_hand():
    frame = pd.DataFrame({"nm": ["North", "East", "South", "West", "Centre"],
                          "s": [0.5, 0.9, None, 0.7, 0.1], "lo": [2, 1, None, 2, 4], "hi": [3, 1, None, 4, 4]})
    labels = fd.Labels({"s": "Need score", "lo": "Best rank", "hi": "Worst rank"})
    r = fd.ranking(frame, _spec("ranking", field="s", name_field="nm", rank_low="lo", rank_high="hi",
                                top_n=2), labels)
    # by hand: East 0.9 (rank 1), West 0.7 (rank 2); West's range 2-4 leaves the top 2
    assert [row[1] for row in r.rows] == ["East", "West"]
    assert r.rows[1][3] == "2–4"
    assert r.facts == {"ranked": 4, "top_name": "East", "top_value": 0.9, "steady": 1,
                       "widest_name": "West", "widest_low": 2, "widest_high": 4, "missing": 1}
    assert r.paragraph.startswith("4 areas are ranked by need score. The highest is East (0.900).")
    assert "1 areas have no value" in r.paragraph
    assert r.headers == ["Rank", "Area", "Need score", "Rank range"]


def test_before_after_by_hand():
    before = pd.DataFrame({"nm": ["A", "B", "C"], "gap": [100.0, 50.0, 0.0], "pop": [400.0, 500.0, 100.0]})
    after = before.assign(gap=[20.0, 50.0, 0.0])
    labels = fd.Labels({"gap": {"label": "Residents beyond 800 m", "units": "residents"}, "pop": "Residents"})
    r = fd.before_after(before, after, _spec("before_after", field="gap", total_field="pop", name_field="nm"),
                        labels)
    # by hand: 150 of 1,000 (15.0 %) now, 70 (7.0 %) after, 80 fewer; only A gains
    assert r.paragraph.startswith("Residents beyond 800 m: 150 residents now (15.0 % of 1,000 residents), "
                                  "70 residents after (7.0 %), 80 fewer.")
    assert r.facts["areas_gaining"] == 1 and r.rows == [["A", "100", "20", "-80"]]
    with pytest.raises(InputError, match="different numbers of areas"):
        fd.before_after(before, after.iloc[:2], _spec("before_after", field="gap", total_field="pop"), labels)


def test_first_site_share_of_the_gain_by_hand():
    """The first new site's share of what the proposed sites buy, from the options table:
    existing 850 covered, 1 site 906 (+56), 2 sites 930 (+24 more): 56 / 80 = 70 %."""
    before = pd.DataFrame({"nm": ["A", "B", "C"], "gap": [100.0, 50.0, 0.0], "pop": [400.0, 500.0, 100.0]})
    after = before.assign(gap=[20.0, 50.0, 0.0])
    labels = fd.Labels({"gap": {"label": "Residents beyond 800 m", "units": "residents"}, "pop": "Residents"})
    options = pd.DataFrame({"option": ["Existing", "1 new site", "2 new sites", "3 new sites"],
                            "kind": ["existing", "best", "best", "best"], "new_sites": [0, 1, 2, 3],
                            "sites": ["", "7", "7, 9", "7, 9, 4"], "covered_demand": [850.0, 906.0, 930.0, 990.0]})
    spec = _spec("before_after", field="gap", total_field="pop", name_field="nm")
    r = fd.before_after(before, after, spec, labels, options=options)
    assert r.facts["first_site_share"] == pytest.approx(56 / 80)
    assert r.paragraph.endswith("The first site accounts for 70 % of that gain.")
    # not nested (the best single site is not one of the pair), no option with this gain, or a
    # part below 10 (the share would give it away): no sentence
    for changed in (options.assign(sites=["", "5", "7, 9", "7, 9, 4"]),
                    options.assign(covered_demand=[850.0, 906.0, 931.0, 990.0]),
                    options.assign(covered_demand=[850.0, 924.0, 930.0, 990.0])):
        r = fd.before_after(before, after, spec, labels, options=changed)
        assert "first_site_share" not in r.facts and "first site" not in r.paragraph


def test_network_segments_publish_no_small_count_and_no_rate_from_one():
    frame = pd.DataFrame({"exp": [90.0, 80.0, 70.0, 5.0], "hgv": [30, 4, 25, 1], "cyc": [3, 20, 28, 1],
                          "col": [0, 1, 2, 0], "all": [400, 300, 500, 10], "length_m": [10.0, 20, 30, 40]})
    labels = fd.Labels({"exp": "Exposure", "hgv": "Lorry passages", "cyc": "Cycle passages",
                        "col": "Collisions", "all": "Passages"})
    r = fd.network_segments(frame, _spec("network_segments", field="exp", top_n=3,
                                         count_fields=["hgv", "cyc", "col"], rate_count="col",
                                         rate_base="all"), labels)
    printed = _printed_counts([row[3:] for row in r.rows], skip_columns=())
    assert all(c == 0 or c >= fd.THRESHOLD for c in printed), r.rows
    assert r.facts["rate_count"] == 3 and r.facts["rate_base"] == 1200  # by hand, top 3
    assert "rate_per_million" not in r.facts and "fewer than 10 collisions" in r.paragraph
    assert "3 collisions" not in r.paragraph
    assert r.suppressed


# --- on the sample city -------------------------------------------------------------------

@pytest.fixture(scope="module")
def city(real_data):
    import geopandas as gpd

    gpkg = real_data / "sample_city.gpkg"
    return gpd.read_file(gpkg, layer="zones"), gpd.read_file(gpkg, layer="incidents")


def test_counts_per_area_match_a_spatial_join_and_hide_small_ones(city):
    zones, incidents = city
    where = np.full(len(incidents), -1)
    joined = incidents.sjoin(zones[["geometry"]], predicate="within", how="left")
    first = joined[~joined.index.duplicated()]["index_right"]
    where[first.notna().to_numpy()] = first.dropna().astype(int).to_numpy()
    labels = fd.Labels({"name": "Zone"})
    r = fd.counts_table(incidents, zones, _spec("counts_table", area_name_field="name",
                                                category_field="type", what="incidents"),
                        labels, area_of_point=where)
    truth = pd.crosstab(zones["name"].to_numpy()[where[where >= 0]],
                        incidents["type"].str.replace("_", " ").to_numpy()[where >= 0])
    assert r.facts["total"] == (where >= 0).sum() and r.facts["outside"] == (where < 0).sum()
    categories = r.headers[1:-1]
    for row in r.rows[:-1]:
        for category, cell in zip(categories, row[1:-1], strict=True):
            true = truth.loc[row[0], category] if row[0] in truth.index else 0
            if cell == fd.HIDDEN:
                continue
            assert int(cell.replace(",", "")) == true  # a published count is the true count
    printed = _printed_counts(r.rows)
    assert printed and all(c == 0 or c >= fd.THRESHOLD for c in printed)
    assert r.facts["hidden"] > 0 and "cannot be worked out" in r.suppressed
    assert r.paragraph.startswith(f"{(where >= 0).sum():,} incidents in ")


def test_hotspots_finding_counts_only_published_incidents(plugin, run_alg, real_data, tmp_path, city):
    import geopandas as gpd
    import shapely

    out = run_alg("joinedup:hotspots", {"INPUT": str(real_data / "sample_city.gpkg") + "|layername=incidents",
                                        "WEIGHTS": 0, "OUTPUT": str(tmp_path / "hot.gpkg")})["OUTPUT"]
    cells = gpd.read_file(out)
    r = fd.hotspots(cells, _spec("hotspots", what="incidents"), fd.Labels())
    hot = cells["gi_class"].str.startswith("Hot spot")
    assert r.facts["hot_cells"] == hot.sum() > 0
    assert r.facts["hot_published"] == cells.loc[hot, "point_count"].sum()  # NaN (hidden) skipped
    # independently, from the raw incidents: the hot cells hold at least what is printed
    _, incidents = city
    in_hot = shapely.STRtree(cells.geometry[hot].values).query(incidents.geometry.values, predicate="within")[0]
    assert len(np.unique(in_hot)) >= r.facts["hot_published"]
    assert f"{int(r.facts['hot_published']):,} incidents" in r.paragraph
    printed = _printed_counts([row[2:3] for row in r.rows], skip_columns=())
    assert all(c == 0 or c >= fd.THRESHOLD for c in printed)


def test_pack_made_of_findings(plugin, run_alg, real_data, tmp_path, city):
    """A pack from a findings file through processing.run: a map page and a text page per
    finding, the numbers of the text as computed here, no raw field name anywhere."""
    import subprocess

    import geopandas as gpd

    zones, incidents = city
    folder = tmp_path / "data"
    findings, now, after = make_findings_data(real_data, folder, run_alg)
    pdf = tmp_path / "pack.pdf"
    results = run_alg("joinedup:evidencepack", {
        "INPUT": str(folder / "now.gpkg"), "FIELD": "population", "NAME_FIELD": "name", "DPI": 60,
        "FINDINGS_FILE": str(folder / "findings.json"), "OUTPUT": str(pdf),
        "OUTPUT_PROJECT": str(tmp_path / "pack.qgz")})
    assert results["FINDINGS"] == 4
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = unicodedata.normalize("NFKC", text)  # the PDF's ligatures (ﬁ) as letters
    flat = " ".join(text.split())
    for number, finding in enumerate(findings["findings"], start=1):
        assert f"Finding {number}. {finding['title']}" in flat
    # the numbers in the text, computed here
    top = zones.sort_values("population", ascending=False, kind="stable").iloc[0]
    assert f"The highest is {top['name']} ({top['population']:,.0f} people)" in flat
    b, a, t = now["gap_now"].sum(), after["gap_now"].sum(), zones["population"].sum()
    assert (f"{b:,.0f} people now ({100 * b / t:.1f} % of {t:,.0f} residents), {a:,.0f} people after "
            f"({100 * a / t:.1f} %), {b - a:,.0f} fewer") in flat
    assert "Analyst's note: Zones are the city's census output areas." in flat
    assert f"{len(incidents):,} incidents in" in flat or "incidents in" in flat
    # no raw field name, and the disclosure statement says what was hidden
    # (the provenance pages, the run's technical record, list the parameters as given)
    readable = re.split(r"\n\s*Provenance\n", text)[0]
    assert "Every step that produced this evidence" not in readable
    for raw in ("gap_now", "population", "point_count", "gi_class", "gi_bin", "incident_id"):
        assert raw not in readable, raw
    assert "Disclosure control: none applied" not in flat
    assert "hidden" in flat and "fewer than 10" in flat
    pages = int(re.search(r"Page 1 of (\d+)", flat).group(1))
    assert results["PAGES"] == pages >= 4 + 2 * 4 + 2
    gpd.read_file(folder / "now.gpkg")  # the inputs are untouched and readable


def test_options_say_what_each_extra_site_buys_by_hand():
    frame = pd.DataFrame({
        "option": ["Existing sites only", "1 new site", "2 new sites", "3 new sites", "west"],
        "kind": ["existing", "best", "best", "best", "named"], "new_sites": [0, 1, 2, 3, 2],
        "sites": ["", "7", "7, 9", "7, 9, 2", "1, 2"], "served_demand": [1000.0] * 5,
        "covered_demand": [600.0, 780.0, 850.0, 856.0, 700.0], "covered_pct": [60.0, 78.0, 85.0, 85.6, 70.0],
        "mean_cost": [900.0, 700.0, 640.0, 620.0, 800.0], "max_cost": [2000.0, 1800, 1500, 1500, 1900],
        "gain_demand": [None, 180.0, 70.0, 6.0, 100.0]})
    r = fd.options(frame, _spec("options", sites_layer="s.gpkg", what="residents", cost_units="m"), fd.Labels())
    assert r.paragraph.startswith("With the existing sites alone, 600 residents (60.0 %) are covered. What each "
                                  "extra site buys, in residents newly covered: the first 180, the second 70, "
                                  "the third fewer than 10. With 3 new sites, mean travel falls from 900 to 620 m.")
    assert "'west' (2 sites) covers 700 residents" in r.paragraph
    assert r.rows[3][-1] == fd.HIDDEN and "6" not in r.rows[3][-1]
    assert r.rows[1] == ["1 new site", "1", "780", "78.0", "700", "1,800", "180"]
    assert r.suppressed


def test_rounds_against_the_list_order_by_hand():
    # two rounds of 3.5 and 4.0 km; the list order drove 12.0 km: 12.0 - 7.5 = 4.5 km saved
    routes = pd.DataFrame({"vehicle_id": ["A", "B"], "distance_km": [3.5, 4.0]})
    summary = pd.DataFrame({
        "plan": ["optimised", "current", "saving"], "vehicles_available": [2, 2, 0], "vehicles_used": [2, 2, 0],
        "jobs_served": [30, 30, 0], "jobs_unassigned": [3, 3, 0], "distance_km": [7.5, 12.0, 4.5],
        "vehicle_hours": [14.5, 15.0, 0.5]})
    spec = _spec("rounds", summary_layer="s.gpkg", what="visits", who="inspectors", current_name="list order")
    r = fd.rounds(routes, summary, spec)
    assert r.paragraph == (
        "The optimised rounds make 30 visits in a day with 2 of 2 inspectors, over 7.5 km and 14.5 "
        "inspector-hours. Visiting in list order makes 30 visits over 12.0 km and 15.0 inspector-hours: the "
        "optimised rounds save 4.5 km and 0.5 inspector-hours a day. 3 visits are not in an optimised round; "
        "the unassigned output gives each one's reason.")
    assert r.rows[-1] == ["Saved a day", "", "", "4.5", "0.5"]
    assert r.facts["saved_km"] == pytest.approx(4.5) and r.facts["visits_per_day"] == 30
    assert r.map_field == "distance_km"
    with pytest.raises(InputError, match="ROUTES and SUMMARY"):
        fd.rounds(routes, summary.drop(columns="jobs_served"), spec)


def test_counts_of_people_in_rankings_and_before_after_hide_small_values():
    frame = pd.DataFrame({"nm": ["A", "B", "C", "D"], "gap": [120.0, 7.0, 30.0, 0.0], "pop": [500.0] * 4})
    after = frame.assign(gap=[100.0, 0.0, 4.0, 0.0])
    labels = fd.Labels({"gap": {"label": "Residents beyond 800 m", "count": True}, "pop": "Residents"})
    r = fd.before_after(frame, after, _spec("before_after", field="gap", total_field="pop", name_field="nm"),
                        labels)
    by_area = {row[0]: row[1:] for row in r.rows}
    assert by_area["B"] == [fd.HIDDEN, "0", fd.HIDDEN]  # 7 -> 0: the change would give the 7 away
    assert by_area["C"] == ["30", fd.HIDDEN, fd.HIDDEN]
    assert by_area["A"] == ["120", "100", "-20"]
    ranked = fd.ranking(after, _spec("ranking", field="gap", name_field="nm", top_n=3), labels)
    assert [row[2] for row in ranked.rows] == ["100", fd.HIDDEN, "0"]


def test_pack_map_classes_and_site_order_by_hand():
    from joinedup.engine import pack as pk

    assert [pk.ordinal(k) for k in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st"]
    assert pk.site_classes([0, 0, 1, 2, None])[1:] == [(0.5, 1.5, "New site, chosen 1st"),
                                                       (1.5, 2.5, "New site, chosen 2nd")]
    # one published value: one class named by it; none: one class saying so; else natural breaks
    classes, labels, note = pk.finding_classes([0, 0, None], "Counts", "properties")
    assert labels == ["0 properties"] and note.startswith("One class: every area")
    classes, labels, note = pk.finding_classes([None, float("nan")], "Counts")
    assert labels == ["No value published"] and "all are hidden" in note
    cls, labels, note = pk.finding_classes([1, 2, 3, 10, 11, 12, 100], "Counts")
    assert note == "" and cls.k == 5 and len(labels) == 5  # min(5, distinct values) classes
