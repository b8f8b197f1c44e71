"""joinedup:publishopendata on an extract brought in through joinedup:importrecords (Windows-1252
with semicolons, dd/mm dates, postcodes in mixed case without spaces, a terminated postcode,
blank rows). The package is validated by the frictionless tool itself; counts per area, hidden
counts, the geomask's displacements and its k-anonymity are checked against independent counts
(by hand, and a brute-force distance count in numpy)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

ALG = "joinedup:publishopendata"

# Four 1 km squares in British National Grid (Leeds): A and B in the south row, C and D above.
SQUARES = {"E01000001": (429000, 433000), "E01000002": (430000, 433000),
           "E01000003": (429000, 434000), "E01000004": (430000, 434000)}
# Rows placed in each square by hand: A 25 (published), B 3 (below 10: hidden), C 12, D 0.
PLACED = {"E01000001": 25, "E01000002": 3, "E01000003": 12}
ONSPD = ("pcds,oseast1m,osnrth1m,doterm,osgrdind\n"
         "LS1 4AP,429500,433500,,1\n"          # inside A
         "LS2 7XX,430000,434500,201905,1\n")   # terminated


def extract_rows():
    """Council tax arrears as typed at a counter: BNG references for most rows, postcodes for a
    few (one terminated), two rows outside every square, two blank rows."""
    rows = ["case_ref;Tenant Name;Received Date;Age Band;Ward Code;postcode;easting;northing"]
    n = 0
    for code, count in PLACED.items():
        x0, y0 = SQUARES[code]
        for i in range(count):
            n += 1
            band = "65+" if n == 1 else ("18-64" if n % 2 else "0-17")  # row 1 alone in its band
            ward = "E05000001" if n % 3 else "e05000999"  # every third ward code not in the lookup
            if n in (5, 6):  # placed by postcode (inside A, at 429500, 433500)
                rows.append(f"{n:06d};Name {n};0{1 + n % 9}/04/2025;{band};{ward};ls14Ap;;")
                continue
            rows.append(f"{n:06d};Name {n};{1 + n % 28:02d}/03/2025;{band};{ward};;"
                        f"{x0 + 100 + 20 * i};{y0 + 500}")
        rows.append(";;;;;;;")  # blank
    rows.append("000900;Zed;01/01/2025;18-64;E05000001;;500000;500000")  # outside every square
    rows.append("000901;Zoe;2025-01-02;18-64;E05000001;;500010;500010")  # outside every square
    rows.append("000902;Yan;31/02/2025;18-64;E05000001;ls27xx;;")        # terminated: no location
    return rows


def write_inputs(folder):
    import geopandas as gpd
    import shapely

    extract = folder / "council_tax_arrears.csv"
    extract.write_bytes(("\r\n".join(extract_rows()) + "\r\n").encode("cp1252"))
    onspd = folder / "onspd.csv"
    onspd.write_text(ONSPD, encoding="utf-8")
    squares = gpd.GeoDataFrame({"lsoa_code": list(SQUARES)},
                               geometry=[shapely.box(x, y, x + 1000, y + 1000) for x, y in SQUARES.values()],
                               crs="EPSG:27700")
    squares.to_file(folder / "lsoa.gpkg", layer="lsoa")
    wards = gpd.GeoDataFrame({"ward": ["E05000001", "E05000002"]}, geometry=[None, None], crs="EPSG:27700")
    wards.to_file(folder / "wards.gpkg", layer="wards")
    return extract, onspd


def import_extract(run_alg, folder):
    extract, onspd = write_inputs(folder)
    out = str(folder / "placed.gpkg")
    results = run_alg("joinedup:importrecords", {
        "INPUT": str(extract), "POSTCODE_DIRECTORY": str(onspd), "CACHE_FOLDER": str(folder / "cache"),
        "IDENTIFIER_ACTION": 2, "OUTPUT": out})
    assert results["PLACED"] == 42 and results["NOT_PLACED"] == 1 and results["BLANK_ROWS"] == 3
    return out


def validate_with_frictionless(datapackage):
    """The frictionless command-line tool's own verdict on the package."""
    done = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json", str(datapackage)],
                          capture_output=True, text=True, timeout=300)
    report = json.loads(done.stdout)
    assert report["valid"], json.dumps(report, indent=1)[:3000]
    return report


def test_aggregate_package_valid_counts_by_hand(run_alg, tmp_path):
    import geopandas as gpd

    placed = import_extract(run_alg, tmp_path)
    folder = tmp_path / "package"
    results = run_alg(ALG, {
        "INPUT": placed, "TITLE": "Council tax arrears by LSOA", "DESCRIPTION": "Test extract.",
        "PUBLISHER": "Office of Data Analytics", "METHOD": 0, "AREAS": str(tmp_path / "lsoa.gpkg"),
        "AREA_ID_FIELD": "lsoa_code", "AREA_CODE_FIELD": "Ward Code", "AREA_LOOKUP": str(tmp_path / "wards.gpkg"),
        "AREA_LOOKUP_FIELD": "ward", "OUTPUT": str(folder)})
    validate_with_frictionless(results["DATAPACKAGE"])
    name = "council-tax-arrears-by-lsoa"
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{name}.csv", f"{name}.geojson", f"{name}.gpkg", "datapackage.json", "data_quality.json"])
    table = pd.read_csv(folder / f"{name}.csv", dtype={"lsoa_code": str}).set_index("lsoa_code")
    # By hand: A has 25 + the 2 postcode rows already among them; B 3 is hidden; C 12; D 0.
    assert table.loc["E01000001", "count"] == 25 and table.loc["E01000003", "count"] == 12
    assert pd.isna(table.loc["E01000002", "count"]) and table.loc["E01000002", "count_flag"] == "primary"
    assert table.loc["E01000004", "count"] == 0
    # Coordinates of square A's representative point, by pyproj independently of the engine.
    from pyproj import Transformer

    lon, lat = Transformer.from_crs(27700, 4326, always_xy=True).transform(table.loc["E01000001", "easting"],
                                                                            table.loc["E01000001", "northing"])
    assert abs(lon - table.loc["E01000001", "longitude"]) < 1e-5
    assert abs(lat - table.loc["E01000001", "latitude"]) < 1e-5
    assert gpd.read_file(folder / f"{name}.geojson").crs.to_epsg() == 4326
    assert gpd.read_file(folder / f"{name}.gpkg").crs.to_epsg() == 27700
    package = json.loads((folder / "datapackage.json").read_text(encoding="utf-8"))
    assert package["title"] == "Council tax arrears by LSOA" and package["licenses"][0]["name"] == "OGL-UK-3.0"
    assert package["publisher"] == "Office of Data Analytics" and package["accrualPeriodicity"] == "irregular"
    # By hand: 1 January (case 000900) to 7 April (case 000006).
    assert package["temporal"] == {"start": "2025-01-01", "end": "2025-04-07"}
    west, south, east, north = package["spatial"]["bbox"]
    assert -1.57 < west < east < -1.52 and 53.79 < south < north < 53.82  # the four squares in Leeds
    quality = json.loads((folder / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["rows_in"] == 43 and quality["identifiers_dropped"] == ["Tenant Name"]
    # Ward codes: rows 3, 6, ... 39 (13 of rows 1-40) typed e05000999, not in the lookup.
    assert quality["standardised"]["area_codes_not_in_lookup"] == 13
    assert results["ROWS_IN"] == 43 and results["ROWS_PUBLISHED"] == 4


def test_geomask_displacement_and_k_against_brute_force(run_alg, tmp_path):
    import geopandas as gpd
    import shapely

    placed = import_extract(run_alg, tmp_path)
    rng = np.random.default_rng(7)
    addresses = gpd.GeoDataFrame(geometry=shapely.points(rng.uniform(428500, 431500, 400),
                                                        rng.uniform(432500, 435500, 400)), crs="EPSG:27700")
    addresses.to_file(tmp_path / "addresses.gpkg", layer="addresses")
    folder = tmp_path / "masked"
    results = run_alg(ALG, {
        "INPUT": placed, "TITLE": "Council tax arrears (masked)", "METHOD": 1,
        "ADDRESSES": str(tmp_path / "addresses.gpkg"), "MIN_DISPLACEMENT": 100, "MAX_DISPLACEMENT": 300,
        "K_TARGET": 5, "SEED": 3, "QUASI_IDENTIFIERS": ["Age Band"], "OUTPUT": str(folder)})
    validate_with_frictionless(results["DATAPACKAGE"])
    original = gpd.read_file(placed).set_index("case_ref")
    masked = pd.read_csv(folder / "council-tax-arrears-masked.csv", dtype={"case_ref": str}).set_index("case_ref")
    assert "tenant_name" not in masked.columns and "Tenant Name" not in masked.columns
    assert len(masked) == 43  # every record published; the terminated one without a location
    located = original[original.geometry.notna()]
    mx = masked.loc[located.index, "easting"].to_numpy(float)
    my = masked.loc[located.index, "northing"].to_numpy(float)
    ox, oy = located.geometry.x.to_numpy(), located.geometry.y.to_numpy()
    moved = np.hypot(mx - ox, my - oy)
    assert (moved >= 100).all() and (moved <= 300).all()
    # k by brute force: addresses within the displacement of the true place.
    ax, ay = addresses.geometry.x.to_numpy(), addresses.geometry.y.to_numpy()
    expected_k = ((np.hypot(ax[None, :] - ox[:, None], ay[None, :] - oy[:, None]) <= moved[:, None]).sum(axis=1))
    assert masked.loc[located.index, "spatial_k"].astype(int).tolist() == expected_k.tolist()
    assert results["K_MIN"] == expected_k.min()
    quality = json.loads((folder / "data_quality.json").read_text(encoding="utf-8"))
    assert quality["geomask"]["below_target"] == int((expected_k < 5).sum())
    # Row 1 is the only '65+' (by construction): one unique row on the quasi-identifier.
    assert quality["quasi_identifiers"]["unique_rows"] == 1
    assert masked.loc["000001", "received_date"] == "2025-03-02"  # '02/03/2025' read day-first
    assert masked.loc["000005", "postcode"] == "LS1 4AP"


def test_refuses_a_folder_that_is_not_empty_and_missing_areas(run_alg, tmp_path):
    from qgis.core import QgsProcessingException

    placed = import_extract(run_alg, tmp_path)
    with pytest.raises(QgsProcessingException, match="not empty"):
        run_alg(ALG, {"INPUT": placed, "TITLE": "x", "METHOD": 2, "OUTPUT": str(tmp_path)})
    with pytest.raises(QgsProcessingException, match="needs the areas layer"):
        run_alg(ALG, {"INPUT": placed, "TITLE": "x", "METHOD": 0, "OUTPUT": str(tmp_path / "new")})
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


def test_through_qgis_process(run_alg, tmp_path):
    from qgis_process_helpers import qgis_process_run

    placed = import_extract(run_alg, tmp_path)
    answer = qgis_process_run(ALG, {"INPUT": placed, "TITLE": "Arrears", "METHOD": 0,
                                    "AREAS": str(tmp_path / "lsoa.gpkg"), "AREA_ID_FIELD": "lsoa_code",
                                    "OUTPUT": str(tmp_path / "qp")})
    assert answer["results"]["ROWS_PUBLISHED"] == 4
    validate_with_frictionless(tmp_path / "qp" / "datapackage.json")
    assert "Name 1" not in answer["stdout"]


def test_engine_refuses_polygons_to_geomask_and_an_empty_title(tmp_path):
    import geopandas as gpd
    import shapely

    from joinedup.engine.errors import InputError
    from joinedup.engine.publish import PackageMetadata, publish

    areas = gpd.GeoDataFrame({"code": ["A"]}, geometry=[shapely.box(0, 0, 10, 10)], crs="EPSG:27700")
    with pytest.raises(InputError, match="needs single points; the layer has Polygon"):
        publish(areas, str(tmp_path / "p"), PackageMetadata(name="x", title="x"), method="geomask")
    with pytest.raises(InputError, match="needs a title"):
        publish(areas, str(tmp_path / "p"), PackageMetadata(name="", title=" "), method="none")
    assert not (tmp_path / "p").exists()
