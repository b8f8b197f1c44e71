"""Write the address-linkage sample beside the sample city (resources/sample/):

- ``addresses.gpkg``, layer ``gazetteer``: a synthetic UK-style address gazetteer (UPRNs,
  flats within buildings, postcodes) on the sample city's real buildings and street names;
- ``council_tax.csv`` (UTF-8) and ``electoral.csv`` (Windows-1252, as Excel saves it): two
  agency extracts of those addresses, typed with the recording errors agencies make.

Everything comes from the seeded generator in ``benchmarks/gen_addresses.py``, so the same
OpenStreetMap extract gives the same files; the truth (true UPRN, error type) is left out of
the CSVs and can be made again with the same seeds (``extracts()``).

    .venv/bin/python scripts/make_address_sample.py
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "resources" / "sample"
# the generator lives with the benchmarks, which also use it (their folder, not the repo root)
sys.path.insert(0, str(REPO / "benchmarks"))

GAZETTEER_SEED, COUNCIL_TAX_SEED, ELECTORAL_SEED = 11, 21, 22
COUNCIL_TAX_RECORDS, ELECTORAL_RECORDS = 2000, 2500
GAZETTEER_FIELDS = ["uprn", "parent_uprn", "kind", "address", "postcode", "town"]


# Share of the homes council tax bills as occupied that have no elector: England's long-term
# empty homes are about 1 % of dwellings (MHCLG live tables on dwelling stock, table 615).
NO_ELECTOR_SHARE = 0.01


def extracts(osm_path=None):
    """``(gazetteer, council_tax, electoral)`` as the generator makes them, truth included.

    Both extracts cover the same homes: the electoral register holds electors at the homes
    the council-tax extract bills as occupied (latest record), except a random 1 % of them
    (``NO_ELECTOR_SHARE``), so the demo's 'possible empty home' list is short, as in a real
    area; an extract that covered only part of the other's area flagged a third of the homes."""
    import gen_addresses as g
    import numpy as np

    gazetteer = g.make_gazetteer(1, seed=GAZETTEER_SEED, osm_path=osm_path)
    council_tax = g.make_agency_extract(gazetteer, COUNCIL_TAX_RECORDS, seed=COUNCIL_TAX_SEED,
                                        agency="council_tax", uprn_share=0.05)
    billed = council_tax.dropna(subset=["true_uprn"]).sort_values("last_updated", kind="stable")
    latest = billed.groupby("true_uprn").tail(1)
    occupied = np.sort(latest.loc[latest["occupancy"] == "occupied", "true_uprn"].astype("int64").to_numpy())
    rng = np.random.default_rng(ELECTORAL_SEED)
    no_elector = rng.choice(occupied, size=round(NO_ELECTOR_SHARE * len(occupied)), replace=False)
    homes = np.setdiff1d(occupied, no_elector)
    # electoral registration officers address electors from the council's own gazetteer, so the
    # register has few addresses the gazetteer lacks or flats without their number
    mix = dict(g.DEFAULT_ERROR_MIX, not_in_gazetteer=0.01, missing_flat=0.01)
    electoral = g.make_agency_extract(gazetteer, ELECTORAL_RECORDS, seed=ELECTORAL_SEED, agency="electoral",
                                      uprns=homes, error_mix=mix)
    return gazetteer, council_tax, electoral


def main() -> int:
    import gen_addresses as g
    import pyogrio

    osm = g.default_osm_path()
    if not osm.exists():
        print(f"make_address_sample: the OpenStreetMap extract {osm} is missing", file=sys.stderr)
        return 1
    gazetteer, council_tax, electoral = extracts(osm)
    truth = ["true_uprn", "error_type"]
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": "2026-01-01T00:00:00Z"})
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        path = Path(tmp) / "addresses.gpkg"
        pyogrio.write_dataframe(gazetteer[GAZETTEER_FIELDS + ["geometry"]], path, layer="gazetteer",
                                driver="GPKG", layer_options={"SPATIAL_INDEX": "YES"},
                                dataset_options={"VERSION": "1.2"})
        os.replace(path, OUT / "addresses.gpkg")
    council_tax.drop(columns=truth).to_csv(OUT / "council_tax.csv", index=False, encoding="utf-8")
    electoral.drop(columns=truth).to_csv(OUT / "electoral.csv", index=False, encoding="cp1252")
    print(f"  gazetteer    {len(gazetteer):6d} addresses -> addresses.gpkg")
    print(f"  council_tax  {len(council_tax):6d} records   -> council_tax.csv (UTF-8)")
    print(f"  electoral    {len(electoral):6d} records   -> electoral.csv (Windows-1252)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
