"""A findings file over real layers (the sample city's zones and incidents, a hot-spot run),
shared by the findings and HTML tests."""
import json

import numpy as np


def make_findings_data(real_data, folder, run_alg):
    """Write into ``folder`` two zone layers (a gap now and after), an incident hot-spot
    layer and ``findings.json`` with four findings. Returns ``(findings, now, after)``."""
    import geopandas as gpd

    zones = gpd.read_file(real_data / "sample_city.gpkg", layer="zones")
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(4)
    now = zones.assign(gap_now=np.round(zones["population"] * rng.uniform(0, 0.4, len(zones))))
    after = now.assign(gap_now=np.where(np.arange(len(zones)) % 3 == 0, 0.0, now["gap_now"]))
    now.to_file(folder / "now.gpkg", layer="now")
    after.to_file(folder / "after.gpkg", layer="after")
    run_alg("joinedup:hotspots", {"INPUT": str(real_data / "sample_city.gpkg") + "|layername=incidents",
                                  "WEIGHTS": 0, "OUTPUT": str(folder / "incident_hotspots.gpkg")})
    findings = {"format": "joinedup-findings", "version": 1,
                "labels": {"population": {"label": "Residents", "units": "people"}, "name": "Zone",
                           "gap_now": {"label": "Residents without a clinic nearby", "units": "people"},
                           "type": "Incident type"},
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
                     "what": "incidents"}]}
    (folder / "findings.json").write_text(json.dumps(findings))
    return findings, now, after
