"""`make demo` end to end, as a new user runs it: in a fresh clone (made here, with no workshop folder
beside it), through scripts/demo.sh, qgis_process and the shipped model, on the shipped sample
city, checked against values computed here from the sample itself."""
import os
import shutil
import subprocess

import pytest
from conftest import REPO


def fresh_clone(folder):
    """A `git clone` of this checkout into ``folder``, with the working tree's uncommitted
    changes and new files laid over it (so a developer tests what they are about to commit;
    in CI the two are the same). The clone shares this checkout's .venv and axe-core: the cold
    set-up of both is what CI's own run proves (.ci/run, pip's cache off)."""
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(REPO), str(folder)], check=True)
    diff = subprocess.run(["git", "diff", "--binary", "HEAD"], cwd=REPO, capture_output=True, check=True).stdout
    if diff:
        subprocess.run(["git", "apply", "--whitespace=nowarn"], cwd=folder, input=diff, check=True)
    untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "-z"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, untracked):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, folder / name)
    (folder / ".venv").symlink_to(REPO / ".venv", target_is_directory=True)
    modules = REPO / "tests" / "a11y" / "node_modules"  # axe-core, installed by the set-up
    if modules.is_dir():
        (folder / "tests" / "a11y" / "node_modules").symlink_to(modules, target_is_directory=True)
    return folder


@pytest.fixture(scope="module")
def demo_out(tmp_path_factory):
    clone = fresh_clone(tmp_path_factory.mktemp("clone") / "joinedup")
    assert not (clone.parent / "shared").exists()
    env = {k: v for k, v in os.environ.items() if k not in ("JOINEDUP_OUT", "PYTHONPATH")}
    done = subprocess.run(["make", "demo"], cwd=clone, capture_output=True, text=True, env=env, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    out = clone / "out"
    assert (out / "evidence_pack.pdf").is_file()
    return out


@pytest.mark.slow
def test_recipe_outputs_account_for_every_zone_and_person(demo_out):
    import pyogrio

    zones = pyogrio.read_dataframe(REPO / "resources" / "sample" / "sample_city.gpkg", layer="zones")
    incidents = pyogrio.read_dataframe(REPO / "resources" / "sample" / "sample_city.gpkg", layer="incidents")
    priority = pyogrio.read_dataframe(demo_out / "priority_index.gpkg")
    assert len(priority) == len(zones)
    assert sorted(priority["zone_id"]) == sorted(zones["zone_id"])
    assert sorted(priority["pi_rank"].dropna().astype(int))[0] == 1
    gaps = pyogrio.read_dataframe(demo_out / "coverage_gaps.gpkg")
    # covered + uncovered demand = the population of the zones (nothing lost)
    assert (gaps["covered_demand"] + gaps["uncovered_demand"]).sum() == pytest.approx(zones["population"].sum())
    profile = pyogrio.read_dataframe(demo_out / "area_profile.gpkg")
    joined = zones.sjoin(incidents, predicate="intersects")  # independent count per zone
    expected = joined.groupby("zone_id").size().reindex(zones["zone_id"], fill_value=0)
    got = profile.set_index("zone_id")["incidents_count"].reindex(zones["zone_id"])
    assert (got.to_numpy() == expected.to_numpy()).all()
    sites = pyogrio.read_dataframe(demo_out / "new_clinic_sites.gpkg")
    # P = 2 new sites, and every existing clinic kept open (12 in the sample)
    assert (sites["site_kind"] == "new").sum() == 2
    assert (sites["site_kind"] == "existing").sum() == pyogrio.read_info(
        REPO / "resources" / "sample" / "sample_city.gpkg", layer="clinics")["features"]
    shared = pyogrio.read_dataframe(demo_out / "shared_streets.gpkg")
    assert len(shared) and (shared["passages_hgv"] > 0).any() and (shared["passages_cycle"] > 0).any()


@pytest.mark.slow
def test_recipe_prints_a_pack_whose_provenance_counts_every_input(demo_out):
    import json

    import pyogrio

    pack = demo_out / "evidence_pack.pdf"
    assert pack.stat().st_size > 10_000
    info = subprocess.run(["pdfinfo", str(pack)], capture_output=True, text=True, check=True).stdout
    assert int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:"))) >= 5
    steps = json.loads((demo_out / "provenance.json").read_text())["steps"]
    inputs = {i["name"]: i["features"] for i in steps[0]["inputs"]}
    sample = REPO / "resources" / "sample" / "sample_city.gpkg"
    for name in ("zones", "incidents", "inspections", "amenities", "roads", "clinics", "schools",
                 "gps_points", "collisions"):
        assert inputs[name] == pyogrio.read_info(sample, layer=name)["features"], name
    # the recipe's version: the model file's hash
    import hashlib

    model = REPO / "resources" / "models" / "devolution_evidence.model3"
    assert steps[0]["parameters"]["MODEL_SHA256"] == hashlib.sha256(model.read_bytes()).hexdigest()[:16]


@pytest.mark.slow
def test_recipe_links_both_extracts_and_ranks_properties(demo_out, real_data):
    """The demo's property targeting: both extracts linked (every record kept, precision
    against the generator's truth), and the 'possible empty home' rule fired for exactly the
    properties computed here from the linked tables."""
    import importlib.util

    import gen_addresses as g
    import pandas as pd
    import pyogrio

    spec = importlib.util.spec_from_file_location("make_address_sample",
                                                  REPO / "scripts" / "make_address_sample.py")
    sample = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sample)
    _, council_tax, electoral = sample.extracts(real_data / "helsinki.osm.pbf")
    linked = {}
    for name, truth in (("council_tax", council_tax), ("electoral", electoral)):
        out = pyogrio.read_dataframe(demo_out / f"{name}.gpkg", read_geometry=False)
        assert out["record_id"].tolist() == truth["record_id"].tolist()  # every record, in order
        quality = g.precision_recall(out["matched_uprn"], truth["true_uprn"],
                                     truth["error_type"]).set_index("error_type")
        assert quality.loc["all", "precision"] >= 0.99 and quality.loc["all", "recall"] >= 0.95, quality
        linked[name] = out[out["match_status"] == "matched"]
    # independently: each council-tax UPRN's latest record says occupied, and no elector there
    tax = linked["council_tax"].sort_values("last_updated").groupby("matched_uprn").tail(1)
    occupied = set(tax.loc[tax["occupancy"] == "occupied", "matched_uprn"].astype("int64"))
    expected = occupied - set(linked["electoral"]["matched_uprn"].astype("int64"))
    targets = pyogrio.read_dataframe(demo_out / "property_targets.gpkg", read_geometry=False)
    fired = targets[targets["rules"].str.contains("possible empty home", regex=False)]
    assert set(pd.to_numeric(fired["uprn"]).astype("int64")) == expected
    assert targets["rank"].tolist() == list(range(1, len(targets) + 1))
    assert targets["score"].is_monotonic_decreasing
    profiles = pyogrio.read_dataframe(demo_out / "property_profiles.gpkg", read_geometry=False)
    assert "rule_possible_empty_home" in profiles.columns
    # and the pack's provenance has the linkage steps
    import json

    steps = json.loads((demo_out / "provenance.json").read_text())["steps"]
    assert [s["algorithm"] for s in steps][1:4] == ["joinedup:linkaddresses", "joinedup:linkaddresses",
                                                    "joinedup:propertyprofile"]


@pytest.mark.slow
def test_recipe_pack_has_a_finding_for_every_step(demo_out):
    """The demo's pack: one finding per recipe step (resources/models/devolution_findings.json),
    its numbers as computed here from the recipe's layers, no raw field name in the readable
    pages, and no count below the disclosure threshold in the property table."""
    import json
    import re
    import unicodedata

    import pyogrio

    findings = json.loads((REPO / "resources" / "models" / "devolution_findings.json").read_text())["findings"]
    assert [f["kind"] for f in findings] == ["ranking", "before_after", "options", "hotspots",
                                             "network_segments", "counts_table", "rounds"]
    text = subprocess.run(["pdftotext", "-layout", str(demo_out / "evidence_pack.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    text = unicodedata.normalize("NFKC", text)  # the PDF's ligatures (ﬁ) as letters
    flat = " ".join(text.split())
    for number, finding in enumerate(findings, start=1):
        assert f"Finding {number}. {finding['title']}" in flat
    # service gaps now and with the proposed sites, from the two coverage layers
    now = pyogrio.read_dataframe(demo_out / "coverage_gaps.gpkg", read_geometry=False)
    after = pyogrio.read_dataframe(demo_out / "coverage_gaps_after.gpkg", read_geometry=False)
    total = now["demand"].sum()
    b, a = now["uncovered_demand"].sum(), after["uncovered_demand"].sum()
    assert a < b
    assert (f"{b:,.0f} residents now ({100 * b / total:.1f} % of {total:,.0f} residents), {a:,.0f} residents "
            f"after ({100 * a / total:.1f} %), {b - a:,.0f} fewer") in flat
    # options: the two-site option's coverage is what coveragegaps measured with the sites open
    options = pyogrio.read_dataframe(demo_out / "clinic_options.gpkg", read_geometry=False)
    two = options.set_index("option").loc["2 new sites"]
    assert two["covered_demand"] == pytest.approx(total - a)
    gains = options.loc[options["kind"] == "best", "covered_demand"].diff().dropna()
    assert f"the second {gains.iloc[0]:,.0f}" in flat
    # the first site's share of what the two proposed clinics buy: its option over the existing sites'
    one = options.set_index("option").loc["1 new site"]
    base = options.set_index("option").loc["Existing sites only", "covered_demand"]
    assert one["sites"] in two["sites"].split(", ")
    assert f"The first site accounts for {100 * (one['covered_demand'] - base) / (b - a):.0f} % of that gain." in flat
    # where incidents concentrate: hot cells and the incidents published in them
    cells = pyogrio.read_dataframe(demo_out / "incident_hotspots.gpkg", read_geometry=False)
    hot = cells["gi_class"].str.startswith("Hot spot")
    assert f"{hot.sum()} of {len(cells)} grid cells are hot spots" in flat
    assert f"at least {cells.loc[hot, 'point_count'].sum():,.0f} incidents" in flat
    # the priority zones: the top zone and its rank range
    priority = pyogrio.read_dataframe(demo_out / "priority_index.gpkg", read_geometry=False)
    first = priority.sort_values("pi_score", ascending=False, kind="stable").iloc[0]
    assert f"The highest is {first['name']} ({first['pi_score']:.3f})" in flat
    readable = re.split(r"\n\s*Provenance\n", text)[0]
    for raw in ("pi_score", "pi_rank_min", "uncovered_demand", "gi_class", "point_count", "passages_hgv",
                "collisions_per_million", "council_tax_occupancy", "electoral_present", "uprn"):
        assert raw not in readable, raw
    assert "Disclosure control: none applied" not in flat
    # properties to visit: counts per zone only, none below 10
    part = readable.split("Finding 6.")[1].split("Finding 7.")[0]
    assert "100090" not in part  # no UPRN, no address
    # the finding's counts: its text and table, up to the table's total (the rounds' map page that
    # follows carries distances and legend values, which are no counts of properties)
    assert "All areas" in part
    table = part.split("All areas")[0] + "All areas" + part.split("All areas")[1].split("\n")[0]
    counts = [int(t.replace(",", "")) for line in table.splitlines()
              for t in re.findall(r"(?<![\w-])(\d[\d,]*)(?![\w%-])", line)
              if not re.search(r"Page \d+ of", line) and not t.startswith("0") or t == "0"]
    assert counts and all(c == 0 or c >= 10 for c in counts), sorted(set(counts))[:20]


@pytest.mark.slow
def test_recipe_pack_has_a_page_per_zone_and_reopens_elsewhere(demo_out, tmp_path):
    """The pack's atlas section: one profile page per zone, the priority line of the top zone as
    computed here with pandas (mean of the zones, rank among them, the sensitivity runs' range);
    then the whole out/ folder moved (the original out of reach), its .qgz reopened: every layer
    valid, every page, every map with its layers, every style."""
    import shutil
    import unicodedata

    import pyogrio
    from qgis.core import QgsLayoutItemMap, QgsProject

    priority = pyogrio.read_dataframe(demo_out / "priority_index.gpkg", read_geometry=False)
    text = subprocess.run(["pdftotext", "-layout", str(demo_out / "evidence_pack.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    flat = " ".join(unicodedata.normalize("NFKC", text).split())
    assert flat.count("Area profile: ") == len(priority)
    scores = priority["pi_score"].dropna()
    top = priority.loc[scores.idxmax()]
    mean = scores.mean()
    rank_range = (f"{int(top['pi_rank_min'])}" if top["pi_rank_min"] == top["pi_rank_max"]
                  else f"{int(top['pi_rank_min'])}–{int(top['pi_rank_max'])}")
    page = flat.split(f"Area profile: {top['name']}")[1].split("Area profile:")[0]
    assert (f"Priority score (0 to 1) {top['pi_score']:.3f} {mean:.3f} "
            f"{100 * (top['pi_score'] - mean) / mean:,.0f} % above 1 of {len(scores)} {rank_range}") in page
    moved = tmp_path / "another_machine" / "out"
    shutil.copytree(demo_out, moved)
    away = demo_out.with_name("out-away")
    demo_out.rename(away)
    try:
        project = QgsProject()
        assert project.read(str(moved / "evidence_pack.qgz"))
        layers = list(project.mapLayers().values())
        assert [lyr.name() for lyr in layers if not lyr.isValid()] == []
        assert all(str(moved) in lyr.source() for lyr in layers)
        layout = project.layoutManager().printLayouts()[0]
        pages = int(next(line.split()[-1] for line in subprocess.run(
            ["pdfinfo", str(moved / "evidence_pack.pdf")], capture_output=True, text=True,
            check=True).stdout.splitlines() if line.startswith("Pages:")))
        assert layout.pageCollection().pageCount() == pages
        maps = [i for i in layout.items() if isinstance(i, QgsLayoutItemMap)]
        assert sum(m.id().startswith("atlas_map_") for m in maps) == len(priority)
        assert all(m.layers() and all(lyr.isValid() for lyr in m.layers()) for m in maps)
        assert {type(lyr.renderer()).__name__ for lyr in layers} >= {"QgsGraduatedSymbolRenderer",
                                                                        "QgsRuleBasedRenderer"}
        project.clear()
    finally:
        away.rename(demo_out)


@pytest.mark.slow
def test_recipe_routes_every_targeted_visit_and_prints_the_saving(demo_out):
    """The demo's inspectors' rounds: every targeted property is a stop of a round or unassigned
    with a reason; the pack's finding (visits a day, km saved against the list order) is what the
    output layers give when summed here, with the list order priced independently (network
    shortest paths with networkx over the same street network, leg by leg); no address printed."""
    import json
    import re
    import unicodedata

    import networkx as nx
    import numpy as np
    import pyogrio
    import shapely

    targets = pyogrio.read_dataframe(demo_out / "property_targets.gpkg")
    stops = pyogrio.read_dataframe(demo_out / "visit_stops.gpkg")
    unassigned = pyogrio.read_dataframe(demo_out / "visits_unassigned.gpkg")
    routes = pyogrio.read_dataframe(demo_out / "visit_routes.gpkg")
    summary = pyogrio.read_dataframe(demo_out / "visit_summary.gpkg", read_geometry=False).set_index("plan")
    visited = stops.loc[stops["kind"] == "job", "job_id"].astype(int)
    assert visited.is_unique
    assert sorted(visited.tolist() + unassigned["job_id"].astype(int).tolist()) == sorted(targets["rank"])
    assert unassigned["reason"].str.len().gt(0).all()
    # two inspectors within their shift
    assert len(routes) == 2 and (routes["start"] >= "08:30").all() and (routes["end"] <= "16:30").all()
    # the summary's plan is the sum of its rounds and of its stops' legs
    optimised, current = summary.loc["optimised"], summary.loc["current"]
    assert optimised["jobs_served"] == len(visited) == routes["stops"].sum()
    assert optimised["distance_km"] == pytest.approx(routes["distance_km"].sum(), rel=1e-6)
    assert optimised["distance_km"] == pytest.approx(stops["leg_km"].sum(), rel=1e-6)
    # the route lines along the streets are as long as the rounds' network distances
    assert routes.geometry.length.sum() / 1000 == pytest.approx(routes["distance_km"].sum(), rel=0.02)
    # the list order, priced here: first half of the list (by rank) to inspector A, the rest to B,
    # each from the office through its reachable properties in rank order and back, on a graph of
    # the drivable streets' segments (one-way streets honoured), points snapped to the nearest vertex
    roads = pyogrio.read_dataframe(demo_out / "sample_city.gpkg", layer="roads")
    drivable = ~roads["highway"].isin(["footway", "path", "pedestrian", "steps", "cycleway", "bridleway",
                                       "corridor", "platform", "elevator", "track", "proposed", "construction"])
    graph = nx.DiGraph()
    for line, oneway in zip(roads.geometry[drivable], roads["oneway"][drivable]):
        xy = [tuple(np.round(c, 3)) for c in shapely.get_coordinates(line)]
        for a, b in zip(xy[:-1], xy[1:]):
            d = float(np.hypot(a[0] - b[0], a[1] - b[1]))
            if oneway in ("yes", "true", "1"):
                graph.add_edge(a, b, length=d)
            elif oneway == "-1":
                graph.add_edge(b, a, length=d)
            else:
                graph.add_edge(a, b, length=d)
                graph.add_edge(b, a, length=d)
    nodes = np.array(list(graph.nodes))
    tree = shapely.STRtree(shapely.points(nodes))

    def node(point):
        return tuple(nodes[tree.nearest(point)])

    office = node(pyogrio.read_dataframe(REPO / "resources" / "sample" / "inspectors.gpkg").geometry.iloc[0])
    reachable = targets[~targets["rank"].isin(unassigned["job_id"].astype(int))].sort_values("rank")
    half = targets["rank"] * 2 <= targets["rank"].max()
    list_km = 0.0
    for mine in (half, ~half):
        legs = [office] + [node(p) for p in reachable.geometry[mine.reindex(reachable.index)]] + [office]
        list_km += sum(nx.shortest_path_length(graph, a, b, weight="length") for a, b in zip(legs[:-1], legs[1:]))
    list_km /= 1000
    assert current["distance_km"] == pytest.approx(list_km, rel=0.05)
    assert current["jobs_served"] == optimised["jobs_served"]  # the same visits: a like-for-like saving
    saved = current["distance_km"] - optimised["distance_km"]
    assert saved > 0
    # the pack prints these numbers, and counts and distances only
    text = subprocess.run(["pdftotext", "-layout", str(demo_out / "evidence_pack.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    flat = " ".join(unicodedata.normalize("NFKC", text).split())
    assert (f"The optimised rounds make {int(optimised['jobs_served'])} visits in a day with 2 of 2 inspectors, "
            f"over {optimised['distance_km']:.1f} km") in flat
    assert (f"Visiting in list order makes {int(current['jobs_served'])} visits over "
            f"{current['distance_km']:.1f} km") in flat
    assert f"save {saved:.1f} km" in flat
    part = re.split(r"\n\s*Provenance\n", text)[0].split("Finding 7.")[1]
    assert "100090" not in part and not any(a in part for a in targets["address"])
    steps = json.loads((demo_out / "provenance.json").read_text())["steps"]
    assert "joinedup:routeoptimisation" in [s["algorithm"] for s in steps]


@pytest.mark.slow
def test_workbench_imports_the_extract_and_publishes_a_valid_package(demo_out, real_data):
    """The demo's workbench step: the fire service's extract (written by the demo from the sample
    city's incidents) brought in with every row placed or counted, and published per zone as a
    package the frictionless tool itself finds valid, with counts equal to a spatial join done
    here by geopandas; both runs in the demo's catalogue, the package's lineage back to the CSV."""
    import json
    import sys

    import geopandas as gpd
    import pyogrio

    from joinedup.engine.catalogue import Catalogue

    incidents = gpd.read_file(real_data / "sample_city.gpkg", layer="incidents")
    zones = gpd.read_file(real_data / "sample_city.gpkg", layer="zones")
    placed = pyogrio.read_dataframe(demo_out / "fire_incidents.gpkg", read_geometry=False)
    assert len(placed) == len(incidents) and set(placed["place_status"]) <= {"placed", "outside the area"}
    done = subprocess.run([sys.executable, "-m", "frictionless", "validate", "--json",
                           str(demo_out / "open_data" / "datapackage.json")], capture_output=True, text=True)
    assert json.loads(done.stdout)["valid"], done.stdout[-2000:]
    published = gpd.pd.read_csv(demo_out / "open_data" / "fire-incidents-by-zone.csv").set_index("zone_id")
    expected = gpd.sjoin(incidents, zones[["zone_id", "geometry"]], predicate="within").groupby("zone_id").size()
    expected = expected.reindex(zones["zone_id"], fill_value=0)
    shown = published["count"].dropna()
    assert len(published) == len(zones)
    assert (shown.astype(int) == expected[shown.index]).all()
    hidden = published.index[published["count"].isna()]
    assert ((expected[hidden] > 0) & (expected[hidden] < 10)).all()  # one count column: primary only
    steps = Catalogue(str(demo_out / "catalogue.gpkg")).lineage(str(demo_out / "open_data" / "datapackage.json"))
    assert [s["algorithm"] for s in steps] == ["joinedup:publishopendata", "joinedup:importrecords"]
    assert any(d["path"].endswith("fire_incidents.csv") for d in steps[1]["inputs"])
