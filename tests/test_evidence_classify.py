"""Class breaks (engine/classify.py) against mapclassify on a real field, against a brute-force
dynamic programme on small random data, and by hand; plus the unhappy paths."""
import warnings

import numpy as np
import pytest

from joinedup.engine.classify import class_breaks, fisher_jenks, pretty_breaks
from joinedup.engine.errors import EngineCancelled, Feedback, InputError


@pytest.fixture(scope="module")
def building_areas(real_data):
    """Areas (m², EPSG:3067) of the OSM buildings of the real Helsinki extract."""
    import pyogrio

    df = pyogrio.read_dataframe(real_data / "helsinki.osm.pbf", layer="multipolygons",
                                on_invalid="ignore")
    buildings = df[df["building"].notna() & df.geometry.notna()].to_crs(3067)
    areas = buildings.area.to_numpy()
    assert len(areas) > 400
    return areas


def _mapclassify():
    warnings.filterwarnings("ignore", message="Numba not installed")
    import mapclassify
    return mapclassify


@pytest.mark.parametrize("k", [3, 5, 7])
def test_natural_breaks_equal_mapclassify_fisher_jenks_on_real_areas(building_areas, k):
    mc = _mapclassify()
    ours = class_breaks(building_areas, method="jenks", n_classes=k)
    theirs = mc.FisherJenks(building_areas, k=k)
    np.testing.assert_allclose(ours.breaks, theirs.bins, rtol=0, atol=1e-9)
    assert ours.counts.tolist() == theirs.counts.tolist()


@pytest.mark.parametrize("k", [4, 5, 9])
def test_quantiles_equal_mapclassify_on_real_areas(building_areas, k):
    mc = _mapclassify()
    ours = class_breaks(building_areas, method="quantile", n_classes=k)
    theirs = mc.Quantiles(building_areas, k=k)
    np.testing.assert_allclose(ours.breaks, theirs.bins)
    assert ours.counts.tolist() == theirs.counts.tolist()


def test_equal_interval_equals_mapclassify(building_areas):
    mc = _mapclassify()
    ours = class_breaks(building_areas, method="equal", n_classes=6)
    np.testing.assert_allclose(ours.breaks, mc.EqualInterval(building_areas, k=6).bins)


def _brute_force_ssd(x, w, k):
    """O(k n²) textbook DP: the minimal total within-class sum of squares."""
    n = len(x)
    best = np.full((k + 1, n + 1), np.inf)
    best[0, 0] = 0.0

    def ssd(j, i):
        xs, ws = x[j:i], w[j:i]
        mean = np.average(xs, weights=ws)
        return float((ws * (xs - mean) ** 2).sum())

    for c in range(1, k + 1):
        for i in range(c, n + 1):
            best[c, i] = min(best[c - 1, j] + ssd(j, i) for j in range(c - 1, i))
    return best[k, n]


def _ssd_of(values, breaks):
    idx = np.minimum(np.searchsorted(breaks, values, side="left"), len(breaks) - 1)
    return sum(float(((values[idx == c] - values[idx == c].mean()) ** 2).sum())
               for c in range(len(breaks)) if (idx == c).any())


@pytest.mark.parametrize("seed", range(6))
def test_exact_jenks_is_optimal_against_brute_force(seed):
    rng = np.random.default_rng(seed)
    values = np.round(rng.lognormal(size=60) * 10, 1 if seed % 2 else 0)  # ties on even seeds
    k = 2 + seed % 4
    x, w = np.unique(values, return_counts=True)
    breaks = fisher_jenks(x, k, weights=w)
    assert len(breaks) == k and breaks[-1] == values.max()
    assert _ssd_of(values, breaks) == pytest.approx(_brute_force_ssd(x, w.astype(float), k), rel=1e-9, abs=1e-9)


def test_small_case_by_hand():
    cls = class_breaks([1, 2, 3, 10, 11, 12, 100, None, float("nan")], method="jenks", n_classes=3)
    assert cls.breaks.tolist() == [3, 12, 100]
    assert cls.counts.tolist() == [3, 3, 1]
    assert cls.n_null == 2
    assert cls.labels(units="people") == ["1 – 3 people", "3 – 12 people", "12 – 100 people"]


def test_a_class_of_one_value_is_labelled_with_that_value_alone():
    """Two rounds of 6.94 and 10.12 km in two classes (the demo's rounds): the first class
    holds one value; by hand its label is '6.9 km', not '6.9 – 6.9 km'."""
    cls = class_breaks([6.94, 10.12], method="jenks", n_classes=2)
    assert cls.labels(units="km") == ["6.9 km", "6.9 – 10.1 km"]
    assert len(set(cls.labels())) == cls.k  # every label distinct


def test_labels_decimals_and_thousands():
    cls = class_breaks([0.25, 1250.5, 2500.75, 4000.0], method="manual", manual_breaks="1000.5, 2000")
    assert cls.labels(units="m²", decimals=1) == ["0.2 – 1,000.5 m²", "1,000.5 – 2,000.0 m²",
                                                   "2,000.0 – 4,000.0 m²"]


def test_pretty_and_stddev_and_manual():
    assert pretty_breaks(3.0, 97.0, 5).tolist() == [20, 40, 60, 80, 97]
    v = np.arange(1, 101, dtype=float)
    sd = class_breaks(v, method="stddev", n_classes=4)
    mean, s = v.mean(), v.std(ddof=1)
    np.testing.assert_allclose(sd.breaks, [mean - s, mean, mean + s, 100])
    manual = class_breaks(v, method="manual", manual_breaks=[10, 50, 200])
    assert manual.breaks.tolist() == [10, 50, 200]
    assert manual.counts.tolist() == [10, 40, 50]


def test_sampling_above_the_exact_limit_is_seeded_and_says_so():
    rng = np.random.default_rng(3)
    values = rng.normal(size=5000)
    a = class_breaks(values, method="jenks", n_classes=4, exact_limit=1000)
    b = class_breaks(values, method="jenks", n_classes=4, exact_limit=1000)
    assert a.sampled == 1002 and a.breaks.tolist() == b.breaks.tolist()
    assert any("sample" in note for note in a.notes)
    assert "sample" in a.describe()
    assert a.breaks[-1] == values.max()


def test_all_null_field_is_a_clear_error():
    with pytest.raises(InputError, match="no numeric values.*null"):
        class_breaks([None, None, float("nan")], what="The field 'rate' of wards")


def test_no_features_is_a_clear_error():
    with pytest.raises(InputError, match="has no features"):
        class_breaks([], what="The field 'rate' of wards")


def test_one_distinct_value_is_a_clear_error():
    with pytest.raises(InputError, match="same value \\(7\\) in all 3 features"):
        class_breaks([7, 7, 7], what="The field 'rate' of wards")


@pytest.mark.parametrize("method", ["jenks", "quantile", "equal"])
def test_fewer_distinct_values_than_classes_gives_fewer_classes_and_a_note(method):
    messages = []
    cls = class_breaks([1, 1, 2, 2, 3, 3, 3], method=method, n_classes=5,
                       feedback=Feedback(info=messages.append))
    assert cls.k == 3
    assert any("only 3 distinct values" in m for m in messages)


def test_bad_options():
    with pytest.raises(InputError, match="Unknown classification method"):
        class_breaks([1, 2, 3], method="magic")
    with pytest.raises(InputError, match="between 2 and"):
        class_breaks([1, 2, 3], n_classes=1)
    with pytest.raises(InputError, match="needs breaks"):
        class_breaks([1, 2, 3], method="manual")
    with pytest.raises(InputError, match="numbers separated by commas"):
        class_breaks([1, 2, 3], method="manual", manual_breaks="1, two")


def test_cancel_stops_natural_breaks():
    with pytest.raises(EngineCancelled):
        class_breaks(np.arange(1000.0), n_classes=5, feedback=Feedback(is_cancelled=lambda: True))
