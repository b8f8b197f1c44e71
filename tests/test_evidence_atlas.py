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
