"""The evidence pack's atlas section: one profile per area, each indicator against the city
average with its rank and rank range, checked by hand (engine) and against pandas on the
sample city's zones (the pack made through processing.run, its PDF, project and HTML twin)."""
import json

import numpy as np
import pandas as pd
import pytest

from joinedup.engine import atlas as at
from joinedup.engine import findings as fd
from joinedup.engine.errors import InputError


def _atlas(tmp_path, entry):
    path = tmp_path / "findings.json"
    path.write_text(json.dumps({"format": "joinedup-findings", "version": 1, "atlas": entry,
                                "findings": [{"kind": "ranking", "title": "T", "layer": "a.gpkg", "field": "v"}]}))
    return at.read_atlas(str(path))


def test_atlas_entry_is_checked_and_its_layer_is_relative_to_the_file(tmp_path):
    spec = _atlas(tmp_path, {"title": "Zones", "layer": "z.gpkg|layername=zones", "name_field": "name",
                             "indicators": ["pop", {"field": "s", "rank_low": "lo", "rank_high": "hi"}]})
    assert spec.layer == f"{tmp_path}/z.gpkg|layername=zones"
    assert [i.field for i in spec.indicators] == ["pop", "s"] and spec.indicators[1].rank_high == "hi"
    for entry, message in (({"title": "Z", "layer": "z.gpkg", "name_field": "n"}, "needs indicators"),
                           ({"title": "Z", "layer": "z.gpkg", "name_field": "n", "indicators": ["a"], "map": 1},
                            "unknown keys: map"),
                           ({"title": "Z", "layer": "z.gpkg", "name_field": "n", "indicators": [{"units": "m"}]},
                            "a field name or an object")):
        with pytest.raises(InputError, match=message):
            _atlas(tmp_path, entry)


def test_competition_ranks_by_hand():
    best, worst = at.competition_ranks([5, 9, 5, np.nan, 1, 5])
    # 9 first; the three 5s share rank 2 and span 2-4; 1 is fifth
    assert best.tolist()[:3] == [2, 1, 2] and worst.tolist()[:3] == [4, 1, 4]
    assert np.isnan(best[3]) and best[4] == 5 and worst[4] == 5
    low, _ = at.competition_ranks([5, 9, 1], lowest_first=True)
    assert low.tolist() == [2, 3, 1]


def test_profiles_by_hand_with_rank_ranges_and_hidden_counts():
    frame = pd.DataFrame({"nm": ["North", "East", "South", "West"],
                          "s": [0.5, 0.9, None, 0.5], "lo": [2, 1, None, 1], "hi": [3, 1, None, 4],
                          "events": [12, 3, 40, 0], "people": [1000, 100, 2000, 500]})
    frame["rate"] = frame["events"] / frame["people"] * 1000
    labels = fd.Labels({"s": "Need score", "events": {"label": "Incidents", "count": True},
                        "rate": {"label": "Incidents per 1,000 residents"}, "nm": "Area", "lo": "a", "hi": "b"})
    spec = at.AtlasSpec("Profiles", "x.gpkg", "nm", [
        at.IndicatorSpec("s", rank_low="lo", rank_high="hi"), at.IndicatorSpec("events"),
        at.IndicatorSpec("rate", count_field="events")])
    atlas = at.profiles(frame, spec, labels)
    north, east, south, west = atlas.areas
    # score: mean of 0.5, 0.9, 0.5 = 0.633; North 0.5 is 21 % below; rank 2 of 3 (tie with West), range 2-3
    assert north.rows[0] == ["Need score", "0.500", "0.633", "21 % below", "2 of 3", "2–3"]
    assert south.rows[0][1:] == ["no value", "0.633", "—", "—", "—"]
    assert east.sentence.startswith("East ranks 1 of 3 areas by need score")
    # incidents: East's 3 is hidden, its rank too; the average (mean of 12, 3, 40, 0 = 13.75) is published
    assert east.rows[1] == ["Incidents", fd.HIDDEN, "13.8", "—", "—", "3"]
    assert south.rows[1][1:5] == ["40", "13.8", "191 % above", "1 of 4"]
    assert west.rows[1][1] == "0" and west.rows[1][4] == "4 of 4"
    # the rate from East's hidden count is hidden too (3 / 100 * 1000 would give it back)
    assert east.rows[2][1] == fd.HIDDEN and north.rows[2][1] == "12"
    assert "2 indicator values" in atlas.suppressed
    assert north.facts["s"]["average"] == pytest.approx(np.mean([0.5, 0.9, 0.5]))


# --- the pack's atlas section, through processing.run --------------------------------------

@pytest.fixture(scope="module")
def atlas_pack(plugin, real_data, tmp_path_factory):
    """A pack made of findings with an atlas of four districts; the pack, its project and the
    layers it draws are all in one folder (as ``make demo``'s out/)."""
    import shutil

    from findings_helpers import make_findings_data
    from qgis import processing

    folder = tmp_path_factory.mktemp("atlas") / "out"
    make_findings_data(real_data, folder, lambda alg, params, **kw: processing.run(alg, params, **kw))
    shutil.copy(real_data / "sample_city.gpkg", folder / "city.gpkg")
    results = processing.run("joinedup:evidencepack", {
        "INPUT": str(folder / "now.gpkg"), "FIELD": "population", "NAME_FIELD": "name", "DPI": 60,
        "TITLE": "Where people live", "ORGANISATION": "City data office",
        "CONTEXT": [str(folder / "city.gpkg") + "|layername=roads"],
        "FINDINGS_FILE": str(folder / "findings.json"), "OUTPUT": str(folder / "pack.pdf"),
        "OUTPUT_PROJECT": str(folder / "pack.qgz")})
    return folder, results


def _expected_profiles(folder):
    """Each district's line per indicator, computed here with pandas from the layer: the mean of
    the districts, rank 1 = highest with ties sharing the best rank, and the span of a tie."""
    import geopandas as gpd

    frame = gpd.read_file(folder / "districts.gpkg")
    expected = {}
    for column in ("residents", "incidents", "incident_rate"):
        values = frame[column].astype(float)
        best = values.rank(method="min", ascending=False)
        worst = values.rank(method="max", ascending=False)
        for name, v, b, w in zip(frame["district"], values, best, worst, strict=True):
            expected.setdefault(name, {})[column] = (v, values.mean(), int(b), int(w))
    return expected


def test_atlas_pages_print_each_district_against_the_city(atlas_pack):
    from evidence_helpers import pdf_text

    folder, results = atlas_pack
    text = " ".join(pdf_text(folder / "pack.pdf").split())
    expected = _expected_profiles(folder)
    assert len(expected) == 4
    for name, lines in expected.items():
        page = text.split(f"Area profile: {name}")[1].split("Area profile:")[0]
        residents, mean, best, worst = lines["residents"]
        difference = abs(residents - mean) / mean * 100
        word = "above" if residents > mean else "below"
        assert (f"Residents (people) {residents:,.0f} {mean:,.0f} {difference:,.0f} % {word} "
                f"{best} of 4 {best if best == worst else f'{best}–{worst}'}") in page, page[:600]
        incidents, mean, best, worst = lines["incidents"]
        assert f"Incidents {incidents:,.0f} {mean:,.0f}" in page  # whole counts, all above 10 here
        rate, mean, best, _ = lines["incident_rate"]
        assert f"Incidents per 1,000 residents {rate:,.1f} {mean:,.1f}" in page and f"{best} of 4" in page
        assert "incident_rate" not in page  # labels, never raw field names


def test_atlas_reopens_elsewhere_with_every_layer_page_and_style(atlas_pack, tmp_path):
    """The pack's folder moved to another place (the original gone, as on another machine):
    the project reopens with every layer valid, every page and item there, and the styles."""
    import shutil

    from qgis.core import (
        QgsGraduatedSymbolRenderer,
        QgsLayoutItemLabel,
        QgsLayoutItemMap,
        QgsLayoutItemScaleBar,
        QgsProject,
        QgsRuleBasedRenderer,
    )

    folder, results = atlas_pack
    moved = tmp_path / "elsewhere" / "pack"
    shutil.copytree(folder, moved)
    hidden = folder.with_name("out-away")
    folder.rename(hidden)  # nothing may be read from the old place
    try:
        project = QgsProject()
        assert project.read(str(moved / "pack.qgz"))
        layers = list(project.mapLayers().values())
        assert layers and [lyr.name() for lyr in layers if not lyr.isValid()] == []
        assert all(str(moved) in lyr.source() for lyr in layers), [lyr.source() for lyr in layers]
        layout = project.layoutManager().printLayouts()[0]
        assert layout.pageCollection().pageCount() == results["PAGES"]
        maps = [i for i in layout.items() if isinstance(i, QgsLayoutItemMap)]
        atlas_maps = [m for m in maps if m.id().startswith("atlas_map_")]
        assert len(atlas_maps) == 4
        for map_item in maps:  # every map keeps its layers, each valid
            assert map_item.layers() and all(lyr.isValid() for lyr in map_item.layers()), map_item.id()
        assert sum(isinstance(i, QgsLayoutItemScaleBar) for i in layout.items()) >= len(maps)
        titles = {i.currentText() for i in layout.items() if isinstance(i, QgsLayoutItemLabel)}
        assert {f"Area profile: {name}" for name in _expected_profiles(moved)} <= titles
        renderers = {type(lyr.renderer()) for lyr in layers}
        assert QgsGraduatedSymbolRenderer in renderers and QgsRuleBasedRenderer in renderers
        project.clear()
    finally:
        hidden.rename(folder)


def test_atlas_in_the_web_page_one_section_per_district(atlas_pack):
    import re

    folder, _ = atlas_pack
    page = (folder / "pack.html").read_text(encoding="utf-8")
    for name in _expected_profiles(folder):
        section = page.split(f"Area profile: {name}</h2>")[1].split("</section>")[0]
        assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="Map of ' + re.escape(name), section)
        assert f"<caption>{name} against the city</caption>" in section
        assert '<th scope="row">Residents (people)</th>' in section
