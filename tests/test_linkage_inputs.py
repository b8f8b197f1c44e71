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
