"""Append a provenance step (format: engine/provenance.py) from a shell script.

After a qgis_process step, pipe its JSON in:
    scripts/qgis_process.sh run joinedup:areaprofile --json -- ... > out/step.json
    .venv/bin/python scripts/provenance.py append out/provenance.json out/step.json
(or '-' for standard input). Or describe a step by hand:
    .venv/bin/python scripts/provenance.py record out/provenance.json --algorithm make_sample \
        --input resources/sample/sample_city.gpkg|layername=zones --output out/x.gpkg
Print a summary:  .venv/bin/python scripts/provenance.py show out/provenance.json
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PLUGINS = REPO / ".build" / "plugins"


def _engine():
    # The engine is imported as joinedup.engine through the plugins folder's link, never
    # with the repository root on sys.path (its processing/ would shadow QGIS's).
    PLUGINS.mkdir(parents=True, exist_ok=True)
    link = PLUGINS / "joinedup"
    if not link.exists():
        link.symlink_to(REPO, target_is_directory=True)
    sys.path.insert(0, str(PLUGINS))
    from joinedup.engine import provenance

    return provenance


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    a = sub.add_parser("append", help="append a step from qgis_process --json output")
    a.add_argument("provenance")
    a.add_argument("result", help="the JSON qgis_process printed, or - for standard input")
    a.add_argument("--started", help="when the step started (ISO 8601, UTC)")
    r = sub.add_parser("record", help="append a step described on the command line")
    r.add_argument("provenance")
    r.add_argument("--algorithm", required=True)
    r.add_argument("--title")
    r.add_argument("--input", action="append", default=[], help="path[|layername=x], repeatable")
    r.add_argument("--output", action="append", default=[], help="path[|layername=x], repeatable")
    r.add_argument("--param", action="append", default=[], help="NAME=value, repeatable")
    r.add_argument("--started")
    s = sub.add_parser("show", help="print the steps")
    s.add_argument("provenance")
    args = parser.parse_args(argv)
    pv = _engine()
    if args.command == "append":
        text = sys.stdin.read() if args.result == "-" else Path(args.result).read_text(encoding="utf-8")
        start = text.find("{")
        if start < 0:
            print(f"provenance: no JSON in {args.result}", file=sys.stderr)
            return 1
        step = pv.step_from_qgis_process(json.loads(text[start:]), started=args.started,
                                          exclude=[args.provenance])
    elif args.command == "record":
        step = {"algorithm": args.algorithm, "title": args.title, "started": args.started,
                "finished": pv.now_utc(),
                "parameters": dict(p.split("=", 1) for p in args.param),
                "inputs": [pv.describe_file(p, parameter="input") for p in args.input],
                "outputs": [pv.describe_file(p, parameter="output") for p in args.output]}
    else:
        for st in pv.read(args.provenance)["steps"]:
            counts = ", ".join(f"{i.get('name')}: {i.get('features', '?')}" for i in st.get("inputs", []))
            print(f"{st.get('step')}. {st.get('algorithm')} [{counts}]")
        return 0
    try:
        stored = pv.append_step(args.provenance, step)
    except pv.InputError as exc:
        print(f"provenance: {exc}", file=sys.stderr)
        return 1
    print(f"provenance: step {stored['step']} ({stored['algorithm']}) appended to {args.provenance}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
