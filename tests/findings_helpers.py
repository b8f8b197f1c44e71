"""A findings file over real layers (the sample city's zones and incidents, a hot-spot run),
shared by the findings and HTML tests."""
import json

import numpy as np


def make_findings_data(real_data, folder, run_alg):
    """Write into ``folder`` two zone layers (a gap now and after), an incident hot-spot
    layer, four districts (the zones grouped by quadrant, for the atlas section) and
    ``findings.json`` with four findings and an atlas. Returns ``(findings, now, after)``."""
    import geopandas as gpd

    zones = gpd.read_file(real_data / "sample_city.gpkg", layer="zones")
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    now = zones.assign(gap_now=np.round(zones["population"] * rng.uniform(0, 0.4, len(zones))))
    after = now.assign(gap_now=np.where(np.arange(len(zones)) % 3 == 0, 0.0, now["gap_now"]))
    now.to_file(folder / "now.gpkg", layer="now")
    after.to_file(folder / "after.gpkg", layer="after")
    make_districts(zones, gpd.read_file(real_data / "sample_city.gpkg", layer="incidents"), folder)
    run_alg("joinedup:hotspots", {"INPUT": str(real_data / "sample_city.gpkg") + "|layername=incidents",
                                  "WEIGHTS": 0, "OUTPUT": str(folder / "incident_hotspots.gpkg")})
    findings = {"format": "joinedup-findings", "version": 1,
                "labels": {"population": {"label": "Residents", "units": "people"}, "name": "Zone",
                           "gap_now": {"label": "Residents without a clinic nearby", "units": "people"},
                           "type": "Incident type", "district": "District",
                           "residents": {"label": "Residents", "units": "people", "count": True},
                           "incidents": {"label": "Incidents", "count": True},
                           "incident_rate": {"label": "Incidents per 1,000 residents"}},
                "findings": [
                    {"kind": "ranking", "title": "Where most people live", "layer": "now.gpkg",
                     "field": "population", "name_field": "name", "top_n": 5,
                     "note": "Zones are the city's census output areas."},
                    {"kind": "before_after", "title": "Gaps now and after", "layer": "now.gpkg",
                     "after_layer": "after.gpkg", "field": "gap_now", "total_field": "population",
                     "name_field": "name"},
                    {"kind": "hotspots", "title": "Where incidents concentrate",
                     "layer": "incident_hotspots.gpkg", "what": "incidents"},
                    {"kind": "counts_table", "title": "Incidents per zone",
                     "layer": str(real_data / "sample_city.gpkg") + "|layername=incidents",
                     "areas": "now.gpkg", "area_name_field": "name", "category_field": "type",
                     "what": "incidents"}],
                "atlas": {"title": "District profiles", "layer": "districts.gpkg", "name_field": "district",
                          "indicators": ["residents", "incidents",
                                         {"field": "incident_rate", "count_field": "incidents"}]}}
    (folder / "findings.json").write_text(json.dumps(findings))
    return findings, now, after


def make_districts(zones, incidents, folder):
    """Four districts: the zones grouped by the quadrant (about the median centroid) they lie
    in, with their residents, the incidents inside and the rate per 1,000 residents."""
    import geopandas as gpd

    centre = zones.geometry.centroid
    north = centre.y >= centre.y.median()
    east = centre.x >= centre.x.median()
    name = np.where(north, "North", "South").astype(object) + "-" + np.where(east, "East", "West").astype(object)
    districts = zones.assign(district=name).dissolve("district", aggfunc={"population": "sum"}).reset_index()
    districts = districts.rename(columns={"population": "residents"})
    inside = gpd.sjoin(incidents, districts[["district", "geometry"]], predicate="within")
    districts["incidents"] = inside.groupby("district").size().reindex(districts["district"], fill_value=0).to_numpy()
    districts["incident_rate"] = districts["incidents"] / districts["residents"] * 1000
    districts.to_file(folder / "districts.gpkg", layer="districts")
    return districts
