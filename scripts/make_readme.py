"""Write README.md's algorithm section from the algorithms themselves (display name, group,
the first paragraph of their help) and the `qgis_process` example in docs/<area>.md, so the
README never disagrees with the toolbox. Run after adding or renaming an algorithm:

    .venv/bin/python scripts/make_readme.py
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
START, END = "<!-- ALGORITHMS -->", "<!-- /ALGORITHMS -->"


def examples() -> dict:
    """algorithm id -> (first qgis_process example command, docs file)."""
    found = {}
    for doc in sorted((REPO / "docs").glob("*.md")):
        lines = doc.read_text().splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"\s*(?:\$ )?scripts/qgis_process\.sh run (joinedup:\w+)", line)
            if not m or m.group(1) in found:
                continue
            command = [line.strip()]
            while command[-1].endswith("\\") and i + 1 < len(lines):
                i += 1
                command.append("    " + lines[i].strip())
            found[m.group(1)] = ("\n".join(command), doc.relative_to(REPO).as_posix())
    return found


def first_paragraph(help_text: str, limit: int = 350) -> str:
    """The help's opening paragraph as plain text, cut after the sentence that passes ``limit``."""
    import html

    text = html.unescape(re.sub(r"<[^>]+>", " ", help_text))
    para = " ".join(re.split(r"\n\s*\n", text.strip())[0].split())
    if len(para) > limit:
        end = para.find(". ", limit // 2)
        para = para[:end + 1] if end > 0 else para[:limit] + " …"
    return para


def section() -> str:
    sys.path.insert(0, str(REPO / "benchmarks"))
    from common import qgis_session

    qgis_session()
    from qgis.core import QgsApplication

    provider = QgsApplication.processingRegistry().providerById("joinedup")
    ex = examples()
    out = [START, "", "In the Processing toolbox under **JoinedUp**, grouped as below; each "
           "algorithm's own help (the toolbox's right-hand panel, or `scripts/qgis_process.sh help "
           "ID`) describes every parameter, its units, and what happens to unmatched or invalid "
           "features. Longer guides are in `docs/`.", ""]
    group = None
    for alg in sorted(provider.algorithms(), key=lambda a: (a.group(), a.displayName())):
        if alg.group() != group:
            group = alg.group()
            out += [f"### {group}", ""]
        out += [f"**{alg.displayName()}** — `{alg.id()}`", "", first_paragraph(alg.shortHelpString()), ""]
        if alg.id() in ex:
            command, doc = ex[alg.id()]
            out += ["```", command, "```", f"More: [{doc}]({doc}).", ""]
    out.append(END)
    return "\n".join(out)


def main():
    text = README.read_text()
    new = section()
    if START in text and END in text:
        text = text[:text.index(START)] + new + text[text.index(END) + len(END):]
    else:
        text = text.replace(START, new)
    README.write_text(text)
    print("README.md algorithm section written")


if __name__ == "__main__":
    main()
