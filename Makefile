# Two entry points: `make run` (the app with demo data) and `make test` (every test). See README.md.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
# Test processes (pytest-xdist): one per core by default; PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= auto
BIN := $(VENV)/bin

.PHONY: run test bench clean

run: $(VENV)/.installed web/static/dist/.built
	$(BIN)/lawflow up $(RUN_ARGS)

test: $(VENV)/.installed-test web/static/dist/.built
	@bash scripts/ensure-postgres.sh
	@bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

bench: $(VENV)/.installed
	$(BIN)/python tests/perf/bench.py $(BENCH_ARGS)

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e ".[test]"
	touch $@

# Browser assets (bpmn-js, swagger-ui, htmx, echarts) from npm, exactly as package-lock.json pins them.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Bundles of npm packages the pages combine (scripts/build-assets.mjs: web/assets-src/*.js into web/static/dist).
web/static/dist/.built: node_modules/.installed scripts/build-assets.mjs $(shell find web/assets-src -type f 2>/dev/null)
	node scripts/build-assets.mjs
	touch $@

clean:
	rm -rf $(VENV) instance .pytest_cache node_modules web/static/dist
