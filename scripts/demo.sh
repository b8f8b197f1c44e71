#!/usr/bin/env bash
# make demo: the devolution evidence recipe on the bundled sample city, headless, through
# QGIS's own qgis_process.bin (scripts/qgis_process.sh: the plugin from this checkout, the
# engine packages from .venv) and the shipped model resources/models/devolution_evidence.model3:
#   area profile of agency layers -> accessibility to clinics and schools -> clinic coverage
#   gaps -> location-allocation of new clinics -> incident hotspots -> streets shared by
#   lorries and cyclists -> priority index; then council tax and electoral register extracts
#   linked to the gazetteer's UPRNs -> property profiles and a targeting list -> the visits
#   routed for two inspectors (against visiting in list order); then the
#   evidence pack (out/evidence_pack.pdf) with the provenance of every step.
# Offline; prints progress; idempotent (each run replaces the previous outputs in out/).
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out="${JOINEDUP_OUT:-$repo/out}"
mkdir -p "$out"
qp=(bash "$repo/scripts/qgis_process.sh")
say() { printf '[demo] %s\n' "$*"; }
started=$SECONDS

sample="$repo/resources/sample/sample_city.gpkg"
if [ ! -f "$sample" ]; then
  say "sample city missing: building it from the OpenStreetMap extract (scripts/make_sample.py)"
  .venv/bin/python scripts/make_sample.py
fi
# Work on a copy: QGIS writes to a GeoPackage it opens, and the shipped sample must not change.
data="$out/sample_city.gpkg"
cp "$sample" "$data"
layer() { printf '%s|layername=%s' "$data" "$1"; }

model="$repo/resources/models/devolution_evidence.model3"
inputs=(zones incidents inspections amenities roads clinics schools gps_points collisions)
outputs=(area_profile access_clinics access_schools coverage_gaps uncovered_demand coverage_summary
         new_clinic_sites coverage_gaps_after clinic_allocation location_summary clinic_options incident_hotspots matched_routes
         flows shared_streets priority_index)
# JOINEDUP_DB (make demo DB="dbname=... host=... user=..."): the recipe reads the sample city from
# PostGIS tables in JOINEDUP_DB_SCHEMA and writes its layers back there as new tables; the later
# steps read copies of them in out/. Keep the password in ~/.pgpass or a service file.
db="${JOINEDUP_DB:-}"
schema="${JOINEDUP_DB_SCHEMA:-joinedup_demo}"
if [ -n "$db" ]; then
  say "loading the sample city into PostGIS (schema $schema)"
  .venv/bin/python scripts/demo_db.py load "$db" "$schema" "$sample" "${inputs[@]}" --outputs "${outputs[@]}" |
    sed 's/^/[demo]   /'
  layer() { printf 'postgres://%s table="%s"."%s" (geom)' "$db" "$schema" "$1"; }
fi
args=()
for name in "${inputs[@]}"; do args+=("${name^^}=$(layer "$name")"); done
for name in "${outputs[@]}"; do
  rm -f "$out/$name.gpkg"
  if [ -n "$db" ]; then args+=("$name=$(layer "$name")"); else args+=("$name=$out/$name.gpkg"); fi
done

say "running the devolution evidence recipe (${model#$repo/}) through qgis_process"
log="$out/recipe.log"
# qgis_process streams each step's log (what was read, skipped, chosen) and its progress dots;
# the parameter echo (NAME:<tab>path) is left to the log file.
set +e
# (a password typed into JOINEDUP_DB is never written to the log)
"${qp[@]}" run "$model" -- "${args[@]}" 2>&1 | sed -E "s/(password=)('[^']*'|[^ '\"]+)/\1***/g" | tee "$log" |
  grep --line-buffered -vE '^[A-Za-z_]+:'$'\t''|^-+$|^(Inputs|Results)$|^\s*$' | sed 's/^/[demo]   /'
status=${PIPESTATUS[0]}
set -e
if [ "$status" -ne 0 ]; then
  say "FAILED: see ${log#$repo/}"; tail -15 "$log" | sed 's/^/[demo]   /'; exit 1
fi
if [ -n "$db" ]; then
  say "recipe done: ${#outputs[@]} new tables in PostGIS schema $schema; copies in ${out#$repo/}/ for the next steps"
  .venv/bin/python scripts/demo_db.py export "$db" "$schema" "$out" "${outputs[@]}"
  layer() { printf '%s|layername=%s' "$data" "$1"; }  # provenance names the copy the tables came from
fi
for name in "${outputs[@]}"; do
  [ -s "$out/$name.gpkg" ] || { say "FAILED: the recipe wrote no $name (see ${log#$repo/})"; exit 1; }
done
say "recipe done: ${#outputs[@]} layers in ${out#$repo/}/"

# Provenance of the recipe (one step: the model, the inputs it read, the layers it wrote), which
# the evidence pack prints with feature counts and file hashes.
provenance="$out/provenance.json"
rm -f "$provenance"
# the model takes only layers (listed as inputs); its own settings (two new clinics, bands,
# thresholds) live in the model file, so the step names that file's version by its hash
record=(.venv/bin/python scripts/provenance.py record "$provenance"
        --algorithm "devolution_evidence (resources/models/devolution_evidence.model3)"
        --param "MODEL_SHA256=$(sha256sum "$model" | cut -c1-16)")
for name in "${inputs[@]}"; do
  record+=(--input "$(layer "$name")")
done
for name in "${outputs[@]}"; do record+=(--output "$out/$name.gpkg"); done
"${record[@]}" >/dev/null

# Property targeting: two agency extracts (council tax, electoral register) linked to the
# gazetteer's UPRNs, then one row per property, ranked by rules. Each step's provenance
# (from qgis_process's JSON answer) goes into the same provenance file as the recipe's.
cp "$repo/resources/sample/addresses.gpkg" "$out/addresses.gpkg"  # a copy, as for the city
gazetteer="$out/addresses.gpkg|layername=gazetteer"
run_step() {  # run_step NAME ALGORITHM PARAMETERS...: run one algorithm, record its provenance
  local name=$1 alg=$2
  shift 2
  if ! "${qp[@]}" run "$alg" --json -- "$@" >"$out/$name.json" 2>"$out/$name.log"; then
    say "FAILED: $alg (see ${out#$repo/}/$name.log)"; tail -15 "$out/$name.log" | sed 's/^/[demo]   /'; exit 1
  fi
  .venv/bin/python scripts/provenance.py append "$provenance" "$out/$name.json" >/dev/null
  .venv/bin/python - "$out/$name.json" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
print("[demo]   " + ", ".join(f"{k.lower()} {v}" for k, v in sorted(results.items()) if isinstance(v, (int, float))))
PY
}
for agency in council_tax electoral; do
  say "linking the $agency extract to the gazetteer's UPRNs (joinedup:linkaddresses)"
  rm -f "$out/$agency.gpkg"
  run_step "link_$agency" joinedup:linkaddresses "INPUT=$repo/resources/sample/$agency.csv" ENCODING=0 \
    ADDRESS_FIELDS=address POSTCODE_FIELD=postcode UPRN_FIELD=uprn "REFERENCE=$gazetteer" \
    REF_UPRN_FIELD=uprn REF_ADDRESS_FIELDS=address REF_POSTCODE_FIELD=postcode "OUTPUT=$out/$agency.gpkg"
done
say "one row per property and a targeting list (joinedup:propertyprofile)"
rm -f "$out/property_profiles.gpkg" "$out/property_targets.gpkg"
run_step property_profile joinedup:propertyprofile "SOURCES=$out/council_tax.gpkg" "SOURCES=$out/electoral.gpkg" \
  "RULES=possible empty home | 3 | \"council_tax_occupancy\" = 'occupied' AND \"electoral_present\" = 0
empty-home discount but electors registered | 2 | \"council_tax_occupancy\" = 'empty' AND \"electoral_present\" = 1" \
  "REFERENCE=$gazetteer" REF_UPRN_FIELD=uprn REF_ADDRESS_FIELDS=address \
  "OUTPUT=$out/property_profiles.gpkg" "TARGETS=$out/property_targets.gpkg"

say "routing the targeted visits for two inspectors, 08:30-16:30 (joinedup:routeoptimisation)"
# today's rounds for the comparison: the list as it stands, its first half (by rank) to the first
# inspector and the rest to the second, each visited in rank order
rm -f "$out/property_visits.gpkg" "$out/visit_routes.gpkg" "$out/visit_stops.gpkg" \
  "$out/visits_unassigned.gpkg" "$out/visit_summary.gpkg"
run_step visits_list_order native:fieldcalculator "INPUT=$out/property_targets.gpkg" FIELD_NAME=list_inspector \
  FIELD_TYPE=2 FIELD_LENGTH=20 \
  "FORMULA=if(\"rank\" * 2 <= maximum(\"rank\"), 'inspector A', 'inspector B')" \
  "OUTPUT=$out/property_visits.gpkg"
run_step visit_rounds joinedup:routeoptimisation "INPUT=$(layer roads)" PRESET=1 MODE=3 \
  "JOBS=$out/property_visits.gpkg" JOB_ID=rank DEFAULT_SERVICE=15 \
  "VEHICLES=$repo/resources/sample/inspectors.gpkg|layername=inspectors" VEHICLE_ID=inspector \
  SHIFT_FIELD=shift OBJECTIVE=0 TIME_LIMIT=5 QUALITY=1 \
  CURRENT_VEHICLE_FIELD=list_inspector CURRENT_ORDER_FIELD=rank \
  "ROUTES=$out/visit_routes.gpkg" "STOPS=$out/visit_stops.gpkg" \
  "UNASSIGNED=$out/visits_unassigned.gpkg" "SUMMARY=$out/visit_summary.gpkg"

say "printing the evidence pack (joinedup:evidencepack) -> out/evidence_pack.pdf"
rm -f "$out/evidence_pack.pdf" "$out/evidence_pack.qgz"
# the recipe's findings (one per step) and the human labels of their fields; the layer paths
# in it are relative to it, so it sits beside the outputs
cp "$repo/resources/models/devolution_findings.json" "$out/findings.json"
if ! "${qp[@]}" run joinedup:evidencepack -- \
    "INPUT=$out/priority_index.gpkg" FIELD=pi_score NAME_FIELD=name TOP_N=10 UNITS=score \
    "TITLE=Where to act first: the sample city's priority zones" "ORGANISATION=Office of Data Analytics (demo)" \
    "SOURCES=© OpenStreetMap contributors, ODbL 1.0; synthetic agency layers (incidents, inspections, population, GPS tracks, collisions)" \
    "CONTEXT=$(layer roads)" "PROVENANCE=$provenance" "FINDINGS_FILE=$out/findings.json" \
    "OUTPUT=$out/evidence_pack.pdf" "OUTPUT_PROJECT=$out/evidence_pack.qgz" >"$out/evidence_pack.log" 2>&1; then
  say "FAILED: see evidence_pack.log"; tail -15 "$out/evidence_pack.log" | sed 's/^/[demo]   /'; exit 1
fi
[ -s "$out/evidence_pack.pdf" ] || { say "FAILED: no evidence pack was written"; exit 1; }
say "evidence pack: out/evidence_pack.pdf ($(du -k "$out/evidence_pack.pdf" | cut -f1) KB)"

# The workbench: an agency extract as the fire service sends it (Windows-1252, semicolons, dd/mm
# dates, latitude/longitude; written here from the sample city's incidents) brought in with
# joinedup:importrecords, then published as an open-data package with counts per zone (disclosure
# control, threshold 10). Both runs are recorded in out/catalogue.gpkg with their lineage.
say "importing the fire service's incident extract (joinedup:importrecords)"
rm -rf "$out/fire_incidents.csv" "$out/fire_incidents.gpkg" "$out/open_data" "$out/catalogue.gpkg"
.venv/bin/python - "$sample" "$out/fire_incidents.csv" <<'PY'
import sys

import geopandas as gpd

incidents = gpd.read_file(sys.argv[1], layer="incidents").to_crs(4326)
lines = ["Incident Ref;Date Reported;Incident Type;Severity;Latitude;Longitude"]
for row in incidents.itertuples():
    lines.append(f"FI{row.incident_id:05d};{row.date:%d/%m/%Y %H:%M};{row.type};{row.severity};"
                 f"{row.geometry.y:.6f};{row.geometry.x:.6f}")
lines.insert(len(lines) // 2, ";;;;;")  # a blank row, as Excel leaves them
with open(sys.argv[2], "wb") as handle:
    handle.write(("\r\n".join(lines) + "\r\n").encode("cp1252"))
PY
JOINEDUP_CATALOGUE="$out/catalogue.gpkg" run_step import_fire_incidents joinedup:importrecords \
  "INPUT=$out/fire_incidents.csv" "AREA=$(layer zones)" OUTPUT_CRS=EPSG:3067 "OUTPUT=$out/fire_incidents.gpkg"
say "publishing incidents per zone as open data (joinedup:publishopendata) -> out/open_data/"
JOINEDUP_CATALOGUE="$out/catalogue.gpkg" run_step publish_fire_incidents joinedup:publishopendata \
  "INPUT=$out/fire_incidents.gpkg" "TITLE=Fire incidents by zone" \
  "DESCRIPTION=Incidents attended by the fire service, counted per zone; counts below 10 hidden." \
  "PUBLISHER=Office of Data Analytics (demo)" LICENCE=0 UPDATE_FREQUENCY=4 METHOD=0 "AREAS=$(layer zones)" \
  AREA_ID_FIELD=zone_id THRESHOLD=10 "OUTPUT=$out/open_data"

say "finished in $((SECONDS - started)) s; results in ${out#$repo/}/"
ls -1 "$out" | sed 's/^/[demo]   /'
