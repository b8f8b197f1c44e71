# JoinedUp: two commands. `make demo` and `make test` each run `make setup` first, which
# installs what is missing (QGIS 3.40 from bookworm-backports, Debian packages, .venv) and
# does nothing when all is there.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := /tmp/runtime-$(shell id -u)
export QT_QPA_PLATFORM := offscreen
export XDG_RUNTIME_DIR := $(RUNTIME)
# Tests run with no network at all where the machine allows a private network namespace.
OFFLINE := $(shell unshare -n true 2>/dev/null && echo "unshare -n --")

.PHONY: setup test demo zip lint qt6-check sample bench clean
setup:
	@bash scripts/setup.sh
	@mkdir -p -m 700 $(RUNTIME) .build/plugins
	@[ -e .build/plugins/joinedup ] || ln -sfn "$(CURDIR)" .build/plugins/joinedup

test: setup qt6-check
	$(OFFLINE) $(VENV)/bin/pytest $(PYTEST_ARGS)

# Qt6 readiness, checked statically with flake8-qgis: QGS1xx (Qt only through qgis.PyQt,
# no deprecated QGIS API; QGS105 is skipped: classFactory(iface) is QGIS's own plugin API)
# and QGS4xx (Qt6: scoped enums, exec(), no QRegExp/QDesktopWidget/compiled resources).
qt6-check: setup
	$(VENV)/bin/flake8 --select=QGS1,QGS4 --extend-ignore=QGS105 --exclude=.venv,.build,zip_build .

demo: setup
	$(OFFLINE) bash scripts/demo.sh

sample: setup
	$(PY) scripts/make_sample.py
	$(PY) scripts/make_address_sample.py

zip: setup
	bash scripts/build_zip.sh

bench: setup
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf .build out zip_build
