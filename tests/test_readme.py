"""README documents every algorithm the provider has, with a qgis_process example."""
import re

from conftest import REPO


def test_readme_lists_every_algorithm_with_an_example(plugin):
    from qgis.core import QgsApplication

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("<!-- ALGORITHMS -->"):readme.index("<!-- /ALGORITHMS -->")]
    for alg in QgsApplication.processingRegistry().providerById("joinedup").algorithms():
        assert f"`{alg.id()}`" in section, f"{alg.id()} missing: run scripts/make_readme.py"
    documented = set(re.findall(r"qgis_process\.sh run (joinedup:\w+)", section))
    missing = {a.id() for a in QgsApplication.processingRegistry().providerById("joinedup").algorithms()} - documented
    assert missing <= {"joinedup:checkenvironment"}, f"no qgis_process example for {sorted(missing)}"
