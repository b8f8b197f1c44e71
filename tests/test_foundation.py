"""The plugin as QGIS loads it: provider, algorithms, icons, help; and the engine without QGIS."""
import subprocess
import sys
import textwrap

from conftest import plugin_parent


def test_provider_registered_with_every_algorithm(plugin):
    from qgis.core import QgsApplication

    provider = QgsApplication.processingRegistry().providerById("joinedup")
    assert provider is not None
    assert provider.name() == "JoinedUp"
    assert not provider.icon().isNull()
    algorithms = provider.algorithms()
    for alg in algorithms:
        assert alg.id().startswith("joinedup:")
        assert alg.shortHelpString().strip(), f"{alg.id()} has no help"
        assert not alg.icon().isNull(), f"{alg.id()} has no icon"
        assert alg.group(), f"{alg.id()} has no group"
        for parameter in alg.parameterDefinitions():
            assert parameter.help() or parameter.isDestination(), \
                f"{alg.id()}: parameter {parameter.name()} has no help text"


def test_engine_imports_without_qgis():
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(plugin_parent())!r})
        import joinedup.engine
        import pkgutil, importlib
        # every module, sub-packages' included (engine/joins/, engine/network/ ...)
        for info in pkgutil.walk_packages(joinedup.engine.__path__, 'joinedup.engine.'):
            importlib.import_module(info.name)
        bad = sorted(m for m in sys.modules if m.split('.')[0] in ('qgis', 'PyQt5', 'PyQt6'))
        print(bad)
        assert not bad, bad
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_no_algorithm_shadows_qgis_run(plugin):
    """QgsProcessingAlgorithm.run() is QGIS's own entry point; our hook is execute()."""
    from qgis.core import QgsApplication

    from joinedup.processing.base import JoinedUpAlgorithm

    for alg in QgsApplication.processingRegistry().providerById("joinedup").algorithms():
        assert "run" not in type(alg).__dict__, f"{alg.id()} overrides QgsProcessingAlgorithm.run"
        assert isinstance(alg, JoinedUpAlgorithm)


def test_gis_bindings_use_qgis_own_libraries(plugin):
    """shapely/pyogrio/pyproj must use the GEOS/GDAL/PROJ of QGIS: inside qgis_process and the
    desktop, binary wheels with their own copies give wrong answers and crash at exit."""
    import shapely
    from qgis.core import Qgis

    from joinedup.dependencies import missing_message, native_library_mismatches

    assert ".".join(map(str, shapely.geos_version)) == \
        f"{Qgis.geosVersionMajor()}.{Qgis.geosVersionMinor()}.{Qgis.geosVersionPatch()}"
    assert native_library_mismatches() == ()
    assert missing_message() == ""
