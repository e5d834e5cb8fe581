# Two commands do everything on a fresh machine (make and Python 3.13, the Lambda runtime;
# `make serve` makes do with 3.11+; no Docker, no AWS):
#   make serve   serve the API on 127.0.0.1 over an embedded DynamoDB-compatible store
#   make check   install what is needed and run every check (CI runs exactly this)
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
SAM_VENV := .venv-sam
# Only what serving needs (runtime dependencies and the embedded store), so it starts quickly.
SERVE_VENV := .venv-serve
# The IaC scanner pins its own boto3 and more: a venv of its own.
CHECKOV_VENV := .venv-checkov
UV_VENV := .venv-uv
UV := $(UV_VENV)/bin/uv
BIN := $(VENV)/bin
SAM := $(SAM_VENV)/bin/sam
PORT ?= 3000
EVENT ?= events/http-lambda-partial-cookie.200.json
OU ?= ou-partial
# Where Debian's chromium and chromium-driver packages put them (the browser tests use these).
CHROMIUM := /usr/bin/chromium
CHROMEDRIVER := /usr/bin/chromedriver
export PYTHONPATH := src:.
export SAM_CLI_TELEMETRY := 0
# Every venv is filled by uv from its hashed lock file: about 5 s for all four where pip took
# 110 s (warm caches). Bytecode is compiled on first import, as Python does anyway.
UV_INSTALL = $(UV) pip sync --quiet --require-hashes --python

# `sam build` for runtime python3.13 without Docker needs a working python3.13 on PATH.
# A pyenv shim may exist without the version selected, so each candidate is run to check it.
PY313_DIR := $(shell for p in "$$(command -v python3.13 2>/dev/null)" $(HOME)/.pyenv/versions/3.13*/bin/python3.13 /usr/local/bin/python3.13 /usr/bin/python3.13; do if [ -x "$$p" ] && "$$p" -c "" 2>/dev/null; then dirname "$$p"; break; fi; done)
# Every venv is made with it when there is one: tests run on the Lambda runtime's Python.
PYTHON ?= $(if $(PY313_DIR),$(PY313_DIR)/python3.13,python3)
NEED_311 = $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed; set PYTHON=...")'
IS_313 = $(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))'

.PHONY: help serve invoke complete-step sweep check lint typecheck test validate scan build build-x86_64 test-package lock clean bench openapi browser screenshots dynalite load

help:
	@echo "make serve            serve the API on http://127.0.0.1:$(PORT) with demo data"
	@echo "                      (VERBOSE=1: also the function's JSON logs and EMF metrics)"
	@echo "make invoke EVENT=..  invoke the handler once with an event file (like sam local invoke)"
	@echo "make complete-step OU=ou-partial  complete a demo OU in the running make serve's store"
	@echo "make sweep MODE=report  the fleet sweep over the running make serve's store (report,"
	@echo "                      adopt or reconcile: docs/fleet.md), printing the funnel"
	@echo "make check            lint, types, tests with coverage, template lint and scan, sam build,"
	@echo "                      the x86_64 twin's package run alone (make test-package)"
	@echo "make test-unit        the fast tier: unit tests only (no servers, no subprocesses)"
	@echo "make lock             re-resolve the pinned dependencies in requirements/"
	@echo "make load             load-test the local server (docs/load-test.md; ~15 min, loopback only)"
	@echo "make bench            measure latency, cost and cold start (docs/benchmarks.md; 15 min at most)"
	@echo "make bench-fleet      the fleet sweep over 50,000 OUs (docs/benchmarks.md; about 20 min)"
	@echo "make openapi          regenerate docs/openapi.json from the code"
	@echo "make screenshots      regenerate docs/screenshots/ (the widget in headless Chromium)"

# uv itself, pinned and hashed, into a venv without pip of its own (ensurepip alone takes ~8 s
# here), by this Python's pip when it can (pip 22.3+).
$(UV_VENV)/.installed: requirements/uv.txt
	@$(NEED_311)
	$(PYTHON) -m venv --without-pip $(UV_VENV)
	@if $(PYTHON) -m pip --python $(UV_VENV)/bin/python --version >/dev/null 2>&1; then \
	  pip="$(PYTHON) -m pip --python $(UV_VENV)/bin/python"; \
	else \
	  $(UV_VENV)/bin/python -m ensurepip >/dev/null; pip="$(UV_VENV)/bin/python -m pip"; \
	fi; \
	set -x; $$pip install --quiet --disable-pip-version-check --no-deps --require-hashes -r $<
	@touch $@

# Without python3.13 the tests run on 3.11+ with a warning, except on CI, which must test on 3.13.
$(BIN)/.installed: requirements/dev.txt | $(UV_VENV)/.installed
	@$(NEED_311)
	@if ! $(IS_313); then \
	  if [ "$${CI:-}" = "true" ]; then echo "python3.13 (the Lambda runtime) not found" >&2; exit 1; fi; \
	  echo "warning: no python3.13 (the Lambda runtime); testing on $$($(PYTHON) -V)" >&2; \
	fi
	$(PYTHON) -m venv --without-pip $(VENV)
	$(UV_INSTALL) $(BIN)/python $<
	@touch $@

$(SAM_VENV)/.installed: requirements/sam.txt | $(UV_VENV)/.installed
	$(PYTHON) -m venv --without-pip $(SAM_VENV)
	$(UV_INSTALL) $(SAM_VENV)/bin/python $<
	@touch $@

$(CHECKOV_VENV)/.installed: requirements/checkov.txt | $(UV_VENV)/.installed
	$(PYTHON) -m venv --without-pip $(CHECKOV_VENV)
	$(UV_INSTALL) $(CHECKOV_VENV)/bin/python $<
	@touch $@

# Only what serving needs, for a quick first start.
$(SERVE_VENV)/.installed: requirements/serve.txt | $(UV_VENV)/.installed
	@$(NEED_311)
	$(PYTHON) -m venv --without-pip $(SERVE_VENV)
	$(UV_INSTALL) $(SERVE_VENV)/bin/python $<
	@touch $@

serve: $(SERVE_VENV)/.installed
	$(SERVE_VENV)/bin/python -m local.serve --port $(PORT) $(if $(VERBOSE),--verbose)

invoke: $(SERVE_VENV)/.installed
	$(SERVE_VENV)/bin/python -m local.invoke $(EVENT)

# Writes to the running make serve's store (local/serve_state.py), whose stream poller then
# prints the events; STORE=<DynamoDB URL> names another.
complete-step: $(SERVE_VENV)/.installed
	$(SERVE_VENV)/bin/python -m local.complete_step $(OU) $(if $(STORE),--store $(STORE))

# The fleet sweep as the state machine runs it, every segment at once, over the running make
# serve's store (STORE=<DynamoDB URL> names another).
MODE ?= report
sweep: $(SERVE_VENV)/.installed
	$(SERVE_VENV)/bin/python -m local.sweep $(MODE) $(if $(STORE),--store $(STORE))

check: lint typecheck test validate scan build build-x86_64 test-package
	@echo "All checks passed."

# lint-imports enforces the one-way dependencies ([tool.importlinter] in pyproject.toml).
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# pytest exits 5 when it collected no tests; like any non-zero exit, that fails the check.
# The integration tests run against dynalite as well as moto; the template tests run SAM's
# translator from the SAM CLI's environment. Three workers (pytest-xdist), each with its own
# servers on free ports: most of the suite waits on sockets, so three pay even on two cores.
test: $(BIN)/.installed $(SAM_VENV)/.installed browser dynalite
	$(BIN)/pytest -n 3 --cov --cov-branch --cov-report=term --cov-fail-under=90 -p no:cacheprovider \
	  --ignore=tests/package

# The fast tier, to try a change in a loop: pure logic on in-memory fakes, no servers and no
# processes (tests/unit/conftest.py refuses both).
.PHONY: test-unit
test-unit: $(BIN)/.installed
	$(BIN)/pytest tests/unit -q -p no:cacheprovider

# The OpenAPI document is generated from the code; a test fails when the two differ.
openapi: $(BIN)/.installed
	$(BIN)/python -m local.openapi

# Debian's headless Chromium and its driver, for the browser tests, when they are missing.
# Under CI=true a failed install fails the build (the browser tests must run there); on a
# developer's machine without apt-get as root the browser tests skip instead.
browser:
	@if [ -x $(CHROMIUM) ] && [ -x $(CHROMEDRIVER) ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; then \
	  exit 0; \
	fi; \
	if [ "$${CI:-}" = "true" ]; then echo "cannot install chromium and chromium-driver" >&2; exit 1; fi; \
	echo "chromium not installed: the browser tests will skip (as root: make browser)" >&2

screenshots: $(BIN)/.installed browser
	SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest tests/browser -p no:cacheprovider

# dynalite, a second DynamoDB-compatible server (Node.js), from the committed lock file.
DYNALITE := .tools/node_modules/dynalite/cli.js
dynalite: $(DYNALITE)

$(DYNALITE): .tools/package.json .tools/package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed to install dynalite (Node.js 18+)" >&2; exit 1; }
	npm ci --prefix .tools --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

# Not part of `make check`: 20,000 requests from 32 concurrent clients against the local server
# on 127.0.0.1 (docs/load-test.md). The run bounds itself in count and time; the timeout is a
# backstop.
load: $(BIN)/.installed
	timeout 1500 $(BIN)/python -m tests.load --write docs/load-test.md

validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint

# checkov, the IaC security scanner, offline: any finding not suppressed in its resource's
# Metadata (with the reason) fails the check.
scan: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --framework cloudformation --skip-download --compact --quiet

# The deployed package, arm64 (.aws-sam/), and its x86_64 twin, which this machine can run
# (tests/package runs it as Lambda would). Each build is then pruned of what the functions never
# import: type stubs, stray bytecode, console scripts, the operator CLI (it runs from .venv),
# Swagger UI's assets (served locally only) and the SDK's models of services no function calls.
# Then compiled: Lambda's code directory is read-only, so Python cannot cache what it compiles
# there, and a package without bytecode compiles every module it imports on every cold start
# (docs/benchmarks.md). Hash-checked, so a zip's file times never invalidate it.
COMPILE_PACKAGE = $(PY313_DIR)/python3.13 -m compileall -q -j 0 --invalidation-mode checked-hash
SDK_SERVICES := dynamodb events
X86_64_BUILD := .aws-sam-x86_64
define sam_build
@if [ -z "$(PY313_DIR)" ]; then \
  if [ "$${CI:-}" = "true" ]; then echo "python3.13 not found: sam build needs it" >&2; exit 1; fi; \
  echo "Skipping sam build: no python3.13 on this machine (the Lambda runtime)."; \
else \
  PATH="$(PY313_DIR):$$PATH" $(SAM) build $(2); \
  for dir in $(1)/build/*/; do \
    rm -rf "$$dir"requirements.txt "$$dir"handlers/check_cli.py "$$dir"*.data \
      "$$dir"aws_lambda_powertools/event_handler/openapi/swagger_ui/*.min.*; \
    find "$$dir" \( -name '*.pyi' -o -name py.typed -o -name __pycache__ \) -prune -exec rm -rf {} +; \
    find "$$dir"botocore/data -mindepth 1 -maxdepth 1 -type d $(SDK_SERVICES:%=! -name %) -exec rm -rf {} +; \
  done; \
  $(COMPILE_PACKAGE) $(1)/build; \
fi
endef

build: $(SAM_VENV)/.installed
	$(call sam_build,.aws-sam)

build-x86_64: $(SAM_VENV)/.installed
	$(call sam_build,$(X86_64_BUILD),--build-dir $(X86_64_BUILD)/build --cache-dir $(X86_64_BUILD)/cache \
	  --parameter-overrides Architecture=x86_64)

# The x86_64 package run alone in a clean python3.13, as Lambda runs it (tests/package/).
test-package: $(BIN)/.installed build build-x86_64
	$(BIN)/pytest tests/package -q -p no:cacheprovider

# Not part of `make check`: seeds ~240,000 items and takes several minutes. The timeout is a
# backstop; the run bounds itself.
bench: $(BIN)/.installed
	timeout 1200 $(BIN)/python -m bench

# Not part of `make check`: seeds 50,000 OUs in dynalite and sweeps them three times; writes its
# own section of docs/benchmarks.md. The timeout is a backstop; the store ends with the run.
.PHONY: bench-fleet
bench-fleet: $(BIN)/.installed dynalite
	timeout 2700 $(BIN)/python -m bench.fleet

# Re-resolve every lock file (needs network). uv resolves for all platforms and Pythons 3.11+;
# the Lambda package's for its runtime (3.13, arm64), at the versions the tests run (dev.txt).
COMPILE = $(UV) pip compile $(1) --universal --python-version 3.11 --generate-hashes --no-strip-extras -o $(2)
lock: $(UV_VENV)/.installed
	$(call COMPILE,pyproject.toml --extra dev,requirements/dev.txt)
	$(call COMPILE,pyproject.toml --extra serve,requirements/serve.txt)
	$(foreach tool,sam checkov uv,$(call COMPILE,requirements/$(tool).in,requirements/$(tool).txt);)
	$(UV) pip compile pyproject.toml --python-version 3.13 \
	  --python-platform aarch64-manylinux_2_28 --generate-hashes --no-header \
	  -c requirements/dev.txt -o src/requirements.txt

clean:
	rm -rf $(VENV) $(SAM_VENV) $(SERVE_VENV) $(CHECKOV_VENV) $(UV_VENV) .aws-sam $(X86_64_BUILD) .coverage .mypy_cache .ruff_cache .pytest_cache .tools/node_modules
