# JoinedUp: two commands. `make demo` and `make test` each run `make setup` first, which
# installs what is missing on Debian 12 or 13 (QGIS 3.40 LTR, Debian packages, .venv from
# requirements.lock) and does nothing when all is there. Tools run as `python -m`, never as
# .venv/bin/<tool>: a console script exists only for packages pip itself installed. -P keeps
# the repository root off sys.path (its processing/ would shadow QGIS's own `processing`).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
RUNTIME := /tmp/runtime-$(shell id -u)
export QT_QPA_PLATFORM := offscreen
export XDG_RUNTIME_DIR := $(RUNTIME)
# Tests run with no network at all where the machine allows a private network namespace.
OFFLINE := $(shell unshare -n true 2>/dev/null && echo "unshare -n --")

.PHONY: setup test demo zip lint qt6-check sample bench clean lock
setup:
	@bash scripts/setup.sh
	@mkdir -p -m 700 $(RUNTIME) .build/plugins
	@[ -e .build/plugins/joinedup ] || ln -sfn "$(CURDIR)" .build/plugins/joinedup

test: setup qt6-check lint
	$(OFFLINE) $(PY) -P -m pytest $(PYTEST_ARGS)

# Qt6 readiness, checked statically with flake8-qgis: QGS1xx (Qt only through qgis.PyQt,
# no deprecated QGIS API; QGS105 is skipped: classFactory(iface) is QGIS's own plugin API)
# and QGS4xx (Qt6: scoped enums, exec(), no QRegExp/QDesktopWidget/compiled resources).
qt6-check: setup
	$(PY) -P -m flake8 --select=QGS1,QGS4 --extend-ignore=QGS105 --exclude=.venv,.build,zip_build .

# ruff (style, imports, likely bugs) over the whole tree and mypy on engine/, as pyproject.toml
# sets them; both run before any test, so a lint failure is the first thing `make test` says.
lint: setup
	$(PY) -P -m ruff check .
	$(PY) -P -m mypy

# DB="dbname=... host=... user=...": the recipe reads and writes PostGIS (docs/postgis.md); the
# network namespace is then left out, as the database may be on the office's network.
demo: setup
	$(if $(DB),JOINEDUP_DB="$(DB)",$(OFFLINE)) bash scripts/demo.sh

sample: setup
	$(PY) scripts/make_sample.py
	$(PY) scripts/make_address_sample.py

zip: setup
	bash scripts/build_zip.sh

bench: setup
	$(PY) benchmarks/run_all.py $(BENCH_ARGS)

# Refresh requirements.lock for this machine's Debian release from requirements.in (run on a
# machine set up by `make setup` alone, once on Debian 12 and once on Debian 13; docs/setup.md).
lock:
	/usr/bin/python3 scripts/lock.py

clean:
	rm -rf .build out zip_build
