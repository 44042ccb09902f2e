# The README's commands. Each target creates or reuses .venv from the pinned requirements.
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3

.PHONY: install report smoke test lint lab clean-reports

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $@

report: install           ## every notebook on its embedded default, rendered to reports/
	$(PY) -m aeutils report

smoke: install            ## every notebook on its tiny settings
	$(PY) -m aeutils report --smoke

test: install             ## the test suite, on two worker processes (full-size runs are benchmarks and profiles, not tests)
	$(PY) -m pytest -q -n 2 --durations=15

lint: install           ## ruff (lint)
	$(PY) -m ruff check aeutils tests benchmarks

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: install              ## JupyterLab on notebooks/ (no news feed or update check: nothing to ask on first start)
	test -f $(LAB_SETTINGS) || { mkdir -p $(dir $(LAB_SETTINGS)) && echo \
	  '{"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}' \
	  > $(LAB_SETTINGS); }
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) notebooks/

clean-reports:            ## remove what runs wrote to reports/ (keeps its tracked README and example picture)
	find reports -mindepth 1 ! -name README.md ! -name example-index.png -delete
