# make run  - install runtime deps into .venv (when requirements.txt changed) and start the app
# make test - install test deps into .venv, check system packages, run every test
PYTHON ?= python3
VENV   := .venv
VPY    := $(VENV)/bin/python

.PHONY: run test

run: $(VENV)/.stamp-run
	$(VPY) app.py

test: $(VENV)/.stamp-dev
	bash tests/system_deps.sh
	.venv/bin/python -m pytest tests -p no:warnings --headless -q

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
