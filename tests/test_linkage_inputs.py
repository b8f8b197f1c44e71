"""Agency tables that are not text: a MapInfo .TAB table is read through OGR as a table with its
own fields (issue 15: it was read as text, its header lines taken for records)."""
import geopandas as gpd
import pyogrio
import pytest
from osgeo import ogr
from shapely.geometry import Point

ALG = "joinedup:linkaddresses"


@pytest.fixture(scope="module")
def street(tmp_path_factory):
    """Three houses of one street and a lane, as a gazetteer GeoPackage."""
    folder = tmp_path_factory.mktemp("linkage_inputs")
    rows = [(3100, "31 HIGH STREET, LINDWORTH", "LW1 2AB"), (3300, "33 HIGH STREET, LINDWORTH", "LW1 2AB"),
            (3500, "35 HIGH STREET, LINDWORTH", "LW1 2AB"), (200, "2 MILL LANE, LINDWORTH", "LW1 3CD")]
    gaz = gpd.GeoDataFrame({"uprn": [r[0] for r in rows], "address": [r[1] for r in rows],
                            "postcode": [r[2] for r in rows]},
                           geometry=[Point(400000 + 10 * i, 300000) for i in range(len(rows))], crs="EPSG:27700")
    path = folder / "gazetteer.gpkg"
    pyogrio.write_dataframe(gaz, path, layer="gazetteer")
    return folder, path


def _write_mapinfo_table(path, rows):
    """A MapInfo .TAB table without geometry, written by GDAL's own 'MapInfo File' driver."""
    driver = ogr.GetDriverByName("MapInfo File")
    dataset = driver.CreateDataSource(str(path))
    layer = dataset.CreateLayer(path.stem, geom_type=ogr.wkbNone)
    for name, kind in (("account", ogr.OFTInteger), ("address", ogr.OFTString), ("postcode", ogr.OFTString)):
        definition = ogr.FieldDefn(name, kind)
        if kind == ogr.OFTString:
            definition.SetWidth(80)
        layer.CreateField(definition)
    for account, address, postcode in rows:
        feature = ogr.Feature(layer.GetLayerDefn())
        feature.SetField("account", account)
        feature.SetField("address", address)
        feature.SetField("postcode", postcode)
        layer.CreateFeature(feature)
    dataset = None  # closes and writes the .TAB, .DAT, .ID and .MAP files


def test_mapinfo_tab_read_as_a_table(run_alg, street, tmp_path):
    """Each of the three records of the .TAB comes back once, with its own integer field
    intact and linked to the UPRN its address names (worked out by hand), not the .TAB's header
    lines ('!table', '!version 300' ...) read as text."""
    folder, gaz_path = street
    tab = tmp_path / "council_tax.tab"
    _write_mapinfo_table(tab, [(101, "33 High St, Lindworth", "LW1 2AB"), (102, "2 Mill Lane", "LW1 3CD"),
                               (103, "35 HIGH STREET", "")])
    assert ogr.Open(str(tab)).GetDriver().GetName() == "MapInfo File"
    out = tmp_path / "linked.gpkg"
    run_alg(ALG, {"INPUT": str(tab), "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
                  "REFERENCE": str(gaz_path), "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": ["address"],
                  "REF_POSTCODE_FIELD": "postcode", "CACHE_FOLDER": str(tmp_path / "cache"), "OUTPUT": str(out)})
    linked = pyogrio.read_dataframe(out, read_geometry=False).sort_values("SOURCE_ROW")
    assert linked["account"].tolist() == [101, 102, 103]
    assert linked["matched_uprn"].astype("Int64").tolist() == [3300, 200, 3500]


# AddressBase/LLPG-style split fields: secondary (SAO) text, number, suffix; primary (PAO) text,
# number, suffix, end number; street; locality; town. uprn, parent, class, then those fields
SPLIT_FIELDS = ["sao_text", "sao_start_number", "sao_start_suffix", "pao_text", "pao_start_number",
                "pao_start_suffix", "pao_end_number", "street_description", "locality", "town_name"]
SPLIT_ROWS = [
    (100, None, "PP", None, None, None, "KESTREL COURT", 12, None, None, "HIGH STREET", None, "LINDWORTH"),
    (101, 100, "RD06", "FLAT", 1, None, "KESTREL COURT", 12, None, None, "HIGH STREET", None, "LINDWORTH"),
    # a flat with its number and no secondary text, as such fields often hold it
    (103, 100, "RD06", None, 3, None, "KESTREL COURT", 12, None, None, "HIGH STREET", None, "LINDWORTH"),
    (110, None, "RD04", None, None, None, None, 14, None, None, "HIGH STREET", None, "LINDWORTH"),
    (111, None, "RD04", None, None, None, None, 14, "A", None, "HIGH STREET", None, "LINDWORTH"),
    (120, None, "PP", None, None, None, None, 20, None, 22, "HIGH STREET", None, "LINDWORTH"),
    (121, 120, "RD06", "GROUND FLOOR FLAT", None, None, None, 20, None, 22, "HIGH STREET", None, "LINDWORTH"),
    (130, None, "RD04", None, None, None, "ROSE COTTAGE", None, None, None, "CHURCH LANE", "FENNY BRIDGE",
     "LINDWORTH"),
    (140, None, "PP", None, None, None, "THE OLD SCHOOL", None, None, None, "QUEENS ROAD", None, "LINDWORTH"),
    (142, 140, "RD06", None, 2, None, "THE OLD SCHOOL", None, None, None, "QUEENS ROAD", None, "LINDWORTH"),
    # a house of a private road under its estate's record: its number is a house's
    (150, None, "PP", None, None, None, "ORCHARD ESTATE", None, None, None, "ORCHARD CLOSE", None, "LINDWORTH"),
    (152, 150, "RD04", None, None, None, None, 2, None, None, "ORCHARD CLOSE", None, "LINDWORTH"),
]
SPLIT_CASES = [  # record, postcode, the UPRN worked out by hand
    ("Flat 1, Kestrel Court, 12 High Street, Lindworth", "LW1 1AA", 101),
    ("Flat 3, 12 High Street", "LW1 1AA", 103),      # the block's name left out
    ("3 Kestrel Court, High St", "LW1 1AA", 103),
    ("14 High Street", "LW1 1AA", 110),
    ("14A High Street", "LW1 1AA", 111),
    ("GFF 20 High Street", "LW1 1AB", 121),          # one number of the range
    ("Rose Cottage, Church Lane, Fenny Bridge", "", 130),
    ("Kestrel Court, 12 High Street", "LW1 1AA", 100),
    ("Flat 2, The Old School, Queens Road", "", 142),
    ("Flat 2 Old School Queens Road", "", 142),
    ("2 Orchard Close, Lindworth", "", 152),
]


def test_gazetteer_in_split_fields(run_alg, tmp_path):
    """A gazetteer whose address is in AddressBase-style fields (REF_ADDRESS_FIELDS, several),
    numbers as whole-number fields, empty where a part is missing; a flat held as a secondary
    number without secondary text is still flat 3 of its block."""
    import pandas as pd

    cols = ["uprn", "parent_uprn", "class_code", *SPLIT_FIELDS]
    frame = pd.DataFrame(SPLIT_ROWS, columns=cols).astype(
        {"parent_uprn": "Int64", "sao_start_number": "Int64", "pao_start_number": "Int64", "pao_end_number": "Int64"})
    frame["postcode"] = ["LW1 1AB" if r[7] == 20 else "LW2 2BB" if r[0] == 130 else "LW1 1AA" for r in SPLIT_ROWS]
    gaz = gpd.GeoDataFrame(frame, geometry=[Point(400000 + 10 * i, 300000) for i in range(len(frame))],
                           crs="EPSG:27700")
    gaz_path = tmp_path / "split_fields.gpkg"
    pyogrio.write_dataframe(gaz, gaz_path, layer="gazetteer")
    csv = tmp_path / "records.csv"
    pd.DataFrame({"address": [c[0] for c in SPLIT_CASES], "postcode": [c[1] for c in SPLIT_CASES]}).to_csv(
        csv, index=False)
    result = run_alg(ALG, {"INPUT": str(csv), "ADDRESS_FIELDS": ["address"], "POSTCODE_FIELD": "postcode",
                           "REFERENCE": str(gaz_path), "REF_UPRN_FIELD": "uprn", "REF_ADDRESS_FIELDS": SPLIT_FIELDS,
                           "REF_POSTCODE_FIELD": "postcode", "REF_PARENT_FIELD": "parent_uprn",
                           "REF_CLASS_FIELD": "class_code", "OUTPUT": str(tmp_path / "linked.gpkg")})
    out = pyogrio.read_dataframe(result["OUTPUT"])
    assert len(out) == len(SPLIT_CASES)
    for (text, _, want), got, why in zip(SPLIT_CASES, out["matched_uprn"], out["unmatched_reason"], strict=True):
        assert got == want, (text, got, why)
