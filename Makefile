# `make run` opens the app, `make test` runs the whole suite headless.
# Both create .venv on first use and install the project into it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test bench screenshot clean

run: $(STAMP)
	$(PY) main.py

test: $(STAMP)
	$(PY) -m pytest

bench: $(STAMP)
	$(PY) -m benchmarks

screenshot: $(STAMP)
	$(PY) -m resources.screenshot
	$(PY) -m resources.screenshot --example mazur
	$(PY) -m resources.screenshot --theme dark
	$(PY) -m resources.screenshot --presentation --size 1920x1080

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
