"""joinedup:linkaddresses through processing.run on the commercial premises bench
(benchmarks/gen_commercial_bench.py, written by a helper who never read the matcher) at small
size, against its kept truth: shopping centres and their units and kiosks, office floors and
suites, railway arches, markets, business parks, flats over shops, as business rates, food
hygiene, fire safety audits, premises licences, Companies House, trading standards, planning
enforcement and a BID levy write them. Gazetteer seed 65 was not used while the matcher was
changed for this bench (61 and 63 were)."""
import pytest
from bench_helpers import bench_quality, linked_bench


@pytest.fixture(scope="module")
def linked(run_alg, tmp_path_factory):
    import gen_commercial_bench

    return linked_bench(run_alg, tmp_path_factory, gen_commercial_bench, 65, 1500)


def test_commercial_bench_quality(linked, record_property):
    import gen_commercial_bench

    by_class, rest = bench_quality(gen_commercial_bench, *linked, record_property)
    assert rest["precision"] >= 0.98 and rest["recall"] >= 0.88, rest
    # a unit, suite or floor written another way, a business's name before the address
    written = by_class.loc[["unit_format", "floor_words", "business_name_prefix"]].sum()
    assert written["right"] / written["records"] >= 0.85, written


def test_land_signs_and_masts_are_not_linked(linked):
    """'Land at rear of ...', advertising hoardings, masts and car-park spaces rated by the nearest
    address: never linked to it."""
    records, out = linked
    beside = records["error_class"].isin(["land_at", "non_addressable_hereditament"]).to_numpy()
    assert beside.sum() >= 20
    assert out.loc[beside, "matched_uprn"].isna().all(), records.loc[beside & out["matched_uprn"].notna().to_numpy(),
                                                                    "address"].tolist()
