#!/usr/bin/env bash
# make demo: JoinedUp's joins on the sample city, headless, through QGIS's own qgis_process
# (scripts/qgis_process.sh: the plugin from this checkout, engine packages from .venv).
# Writes out/*.gpkg and prints what it does. Idempotent: it rebuilds the sample only when it is
# missing, and each run replaces the previous outputs. A step whose algorithm is not in this
# checkout yet is skipped with a line saying so.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"
out="$repo/out"
mkdir -p "$out"
qp=(bash "$repo/scripts/qgis_process.sh")
say() { printf '[demo] %s\n' "$*"; }

sample="$repo/resources/sample/sample_city.gpkg"
if [ ! -f "$sample" ]; then
  say "sample city missing: building it from the OpenStreetMap extract (scripts/make_sample.py)"
  .venv/bin/python scripts/make_sample.py
fi
# Work on a copy: QGIS may write to a GeoPackage it opens, and the committed sample must not change.
data="$out/sample_city.gpkg"
if ! cmp -s "$sample" "$data"; then cp "$sample" "$data"; fi
layer() { printf '%s|layername=%s' "$data" "$1"; }

say "listing JoinedUp's algorithms in qgis_process"
algorithms=$("${qp[@]}" list 2>/dev/null | grep -o 'joinedup:[a-z0-9_]*' | sort -u || true)
have() { grep -qx "$1" <<<"$algorithms"; }
ran=0
skipped=0

run() {  # run ALG OUTPUT_FILE PARAM=VALUE...
  local alg=$1 target=$2; shift 2
  local log="$out/$(basename "${target%.*}").log"
  say "running $alg -> ${target#$repo/}"
  if "${qp[@]}" run "$alg" -- "$@" >"$log" 2>&1; then
    say "  done: ${target#$repo/} (log: ${log#$repo/})"
    ran=$((ran + 1))
  else
    say "  FAILED: see ${log#$repo/}"; tail -5 "$log" | sed 's/^/[demo]   /'
    exit 1
  fi
}

# 1. Area profile: incidents, inspections and amenities per zone, with rates per 1,000 people.
if have joinedup:areaprofile; then
  run joinedup:areaprofile "$out/area_profile.gpkg" \
    "AREAS=$(layer zones)" "LAYERS=$(layer incidents)" "LAYERS=$(layer inspections)" \
    "LAYERS=$(layer amenities)" "POPULATION_FIELD=population" "OUTPUT=$out/area_profile.gpkg"
else
  say "skipped: joinedup:areaprofile is not in this checkout yet"; skipped=$((skipped + 1))
fi

# 2. Join by location, summary: per zone, the count, mean and max severity of its incidents.
if have joinedup:joinbylocation; then
  run joinedup:joinbylocation "$out/zones_incident_summary.gpkg" \
    "INPUT=$(layer zones)" "JOIN=$(layer incidents)" "PREDICATE=0" "METHOD=3" \
    "SUMMARIES=0,6,3" "JOIN_FIELDS=severity" \
    "OUTPUT=$out/zones_incident_summary.gpkg"
else
  say "skipped: joinedup:joinbylocation is not in this checkout yet"; skipped=$((skipped + 1))
fi

# Always available: which Python packages the engine has in this QGIS.
run joinedup:checkenvironment "$out/environment.txt"
sed -n '/^REPORT:/,$p' "$out/environment.log" | sed 's/^REPORT:[[:space:]]*//' > "$out/environment.txt"

say "finished: $ran run, $skipped skipped; results in ${out#$repo/}/"
ls -1 "$out" | sed 's/^/[demo]   /'
