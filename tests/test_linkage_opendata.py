"""joinedup:linkaddresses through processing.run on the open-data bench (benchmarks/
gen_opendata_bench.py, written by a helper who never read the matcher) at small size, against its
kept truth: records as EPC certificates, Price Paid, food hygiene, the rating list, Companies
House, patient registers and police locations write addresses, against a gazetteer of a Welsh
town (street types first, English aliases), a London borough (converted houses, ranges, towers)
and a university town."""
import pandas as pd
import pytest
from bench_helpers import link_bench


@pytest.fixture(scope="module")
def linked(run_alg, tmp_path_factory):
    import gen_opendata_bench as g

    gaz = g.make_gazetteer(90, seed=25)
    return link_bench(run_alg, tmp_path_factory.mktemp("opendata_bench"), g, gaz, g.make_records(gaz, 1500, seed=26))


def test_open_data_bench_quality(linked, record_property):
    import gen_opendata_bench as g

    records, out = linked
    assert out["record_id"].tolist() == records["record_id"].tolist()  # every record, in order
    by_class = g.quality(out["matched_uprn"], records).set_index("error_class")
    by_source = g.quality(out["matched_uprn"], records, by="agency").set_index("agency")
    print("\n" + by_class.to_string() + "\n" + by_source.to_string())
    record_property("by_class", by_class.reset_index().to_dict("records"))
    recoverable = ~records["unrecoverable"].to_numpy()
    rest = g.quality(out["matched_uprn"][recoverable], records[recoverable]).set_index("error_class").loc["all"]
    assert rest["precision"] >= 0.99 and rest["recall"] >= 0.93, rest
    for cls in ("flat_format", "unit_format", "subunit_missing"):
        assert by_class.loc[cls, "recall"] >= 0.85, by_class.loc[cls]
    absent = records["true_uprn"].isna().to_numpy()
    false_links = int(out.loc[absent, "matched_uprn"].notna().sum())
    assert false_links < 0.02 * absent.sum(), false_links


def test_police_locations_outside_or_near_are_not_the_address(linked):
    """'O/S 47 QUEX ROAD', 'NR 24 HOLSTEIN ROAD', 'OUTSIDE 3 ...': beside an address, never linked
    to it; placed on the street instead."""
    records, out = linked
    outside = (records["error_class"] == "outside_property").to_numpy()
    assert outside.sum() >= 5
    assert out.loc[outside, "matched_uprn"].isna().all(), records.loc[outside & out["matched_uprn"].notna().to_numpy(),
                                                                     "address"].tolist()
    # (a street's name typed with a slip as well may leave one unplaced: 'O/S 30 GRAFTON STRREET')
    assert (out.loc[outside, "match_level"] == "street").mean() >= 0.75
    assert pd.Series(out.loc[outside, "unmatched_reason"]).str.startswith("land, garage or plot").all()
