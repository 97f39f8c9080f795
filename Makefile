# make run  - install runtime deps into .venv (when requirements.txt changed) and start the app
# make test - install test deps into .venv, check system packages, lint (ruff, mypy), run every test
# make lint - ruff on the repository, mypy on data/ (pyproject.toml)
# make screenshots - docs/screenshots/*.png: overview, explore and a slide at 1366x768 and 390x844 (headless Chromium)
# make bench - the benchmark suite (issues 6, 15): bench/results.json and a markdown table (~10-11 min on a quiet machine)
# make assets - rebuild assets/precompressed/ (brotli copies of the page's scripts and stylesheets)
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python

.PHONY: run test lint bench assets screenshots

run: $(VENV)/.stamp-run
	$(VPY) app.py

test: $(VENV)/.stamp-dev lint
	bash tests/system_deps.sh
	.venv/bin/python -m pytest tests -n 4 --dist worksteal --headless -q --durations=25

lint: $(VENV)/.stamp-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

screenshots: $(VENV)/.stamp-run
	$(VPY) -m docs.screenshots

# pyarrow (the parse floor) goes into bench/.work/floor-site, never into .venv: see bench/requirements-floor.txt.
bench: $(VENV)/.stamp-dev bench/.work/floor-site/.stamp
	bash tests/system_deps.sh
	$(VPY) -m bench

# make assets - brotli-11 copies of the pages' scripts and stylesheets in assets/precompressed/ (callbacks/precompressed.py);
# rerun after changing a file under assets/ or upgrading Dash: a file whose source changed is compressed on the fly instead.
assets: $(VENV)/.stamp-run
	INSTANCE_PATH=$$(mktemp -d) $(VPY) -m flask --app app precompress

bench/.work/floor-site/.stamp: bench/requirements-floor.txt | $(VPY)
	$(VPY) -m pip install --quiet --no-deps --target bench/.work/floor-site -r bench/requirements-floor.txt
	touch $@

$(VPY):
	$(PYTHON) -m venv $(VENV)

# Order-only on the interpreter: creating the venv does not force a reinstall by itself,
# but a fresh venv has no stamps, so it is installed into anyway.
$(VENV)/.stamp-run: requirements.txt | $(VPY)
	$(VPY) -m pip install -r requirements.txt
	touch $@

$(VENV)/.stamp-dev: requirements-dev.txt requirements.txt | $(VPY)
	$(VPY) -m pip install -r requirements-dev.txt
	touch $@
