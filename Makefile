# dozq: `make run` serves the app with demo data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
INSTALLED := $(VENV)/.installed
NODE_INSTALLED := node_modules/.installed

.PHONY: install db demo run test bench loadtest lint format clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

# axe-core for the accessibility checks of the browser tests.
$(NODE_INSTALLED): package.json package-lock.json
	npm ci --silent --no-audit --no-fund
	touch $@

install: $(INSTALLED)

db: install
	$(FLASK) db upgrade

demo: db
	$(FLASK) dozq demo

run: demo
	$(FLASK) run --host 127.0.0.1 --port 5000

test: install $(NODE_INSTALLED)
	$(VENV)/bin/pytest

bench: install
	$(PY) -m bench

# Real HTTP against gunicorn for 60 s; non-zero on any 5xx or lost acknowledged write.
loadtest: install
	$(PY) -m bench.loadtest --duration 60

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache
