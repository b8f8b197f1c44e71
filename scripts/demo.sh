#!/usr/bin/env bash
# make demo: the devolution evidence recipe on the bundled sample city, headless, through
# QGIS's own qgis_process.bin (scripts/qgis_process.sh: the plugin from this checkout, the
# engine packages from .venv) and the shipped model resources/models/devolution_evidence.model3:
#   area profile of agency layers -> accessibility to clinics and schools -> clinic coverage
#   gaps -> location-allocation of new clinics -> incident hotspots -> streets shared by
#   lorries and cyclists -> priority index -> evidence pack (out/evidence_pack.pdf).
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
outputs=(area_profile access_clinics access_schools coverage_gaps uncovered_demand coverage_summary
         new_clinic_sites clinic_allocation location_summary incident_hotspots matched_routes
         flows shared_streets priority_index)
args=("ZONES=$(layer zones)" "INCIDENTS=$(layer incidents)" "INSPECTIONS=$(layer inspections)"
      "AMENITIES=$(layer amenities)" "ROADS=$(layer roads)" "CLINICS=$(layer clinics)"
      "SCHOOLS=$(layer schools)" "GPS_POINTS=$(layer gps_points)" "COLLISIONS=$(layer collisions)")
for name in "${outputs[@]}"; do
  rm -f "$out/$name.gpkg"
  args+=("$name=$out/$name.gpkg")
done

say "running the devolution evidence recipe (${model#$repo/}) through qgis_process"
log="$out/recipe.log"
# qgis_process prints the model's child steps and progress as it goes.
if ! "${qp[@]}" run "$model" -- "${args[@]}" 2>&1 | tee "$log" | grep --line-buffered -E \
    '^(Prepare|Running|Built-in|Executing|Results|[0-9]+%)|^\s*(Running|Executing)' | sed 's/^/[demo]   /'; then
  say "FAILED: see ${log#$repo/}"; tail -15 "$log" | sed 's/^/[demo]   /'; exit 1
fi
for name in "${outputs[@]}"; do
  [ -s "$out/$name.gpkg" ] || { say "FAILED: the recipe wrote no $name (see ${log#$repo/})"; exit 1; }
done
say "recipe done: ${#outputs[@]} layers in ${out#$repo/}/"

# EVIDENCE PACK

say "finished in $((SECONDS - started)) s; results in ${out#$repo/}/"
ls -1 "$out" | sed 's/^/[demo]   /'
