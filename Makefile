# One entry point for people and CI: `make test` builds venv/ from pinned requirements, then
# lints, type-checks and runs the whole suite. Nothing here needs AWS or the Pulumi CLI.
PYTHON ?= python3
VENV := venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint typecheck pytest rehearse bench emulator lock clean openapi soak soak-api

test: lint typecheck pytest

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

# Deploy the dev stack offline (moto + the Personalize emulator + the real provider host), use
# it, destroy it, and print the report. No AWS account or Pulumi CLI needed.
rehearse: $(STAMP)
	$(BIN)/python -m local.rehearsal --stack dev

# The config-space property test at length: SOAK_EXAMPLES generated stack files (default 50),
# each deployed, exercised on every route and destroyed against the emulator. `make test` runs
# a few of them.
SOAK_EXAMPLES ?= 50
soak: $(STAMP)
	REHEARSAL_EXAMPLES=$(SOAK_EXAMPLES) $(BIN)/python -m pytest -q tests/test_config_space.py

# Measure deploy, polling, forwarding, handler and preview costs against same-run baselines and
# print tables (docs/performance.md). Not a test: slow machines never fail it.
bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Run the Personalize emulator and S3 (moto) on loopback for manual use with boto3 / the AWS CLI;
# it prints the AWS_ENDPOINT_URL_* lines to paste into another shell.
emulator: $(STAMP)
	$(BIN)/python -m local.offline_aws --host 127.0.0.1 --port 4580 --s3-port 4581

# Re-pin constraints.txt from a fresh resolution of the requirement files.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet -r requirements-dev.txt
	{ echo "# Exact versions the suite is tested with; make installs requirements*.txt under these pins."; \
	  echo "# Regenerate after changing a requirement: make lock"; \
	  .lock-venv/bin/pip freeze | sort -f; } > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Regenerate docs/openapi.yaml from the contract declared in handlers/contract.py.
openapi: $(STAMP)
	$(BIN)/python -m handlers.contract > docs/openapi.yaml

# Long runs beside `make test`. `soak-api`: the HTTP API contract fuzzer (Schemathesis, all
# checks, tests/handlers/test_contract.py) with many examples per operation; `make test` runs the
# same with API_FUZZ_EXAMPLES=20. Replay a run with API_FUZZ_SEED=<seed it printed>.
API_FUZZ_EXAMPLES ?= 1000
soak-api: $(STAMP)
	API_FUZZ_EXAMPLES=$(API_FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/handlers/test_contract.py -q -p no:logging

soak: soak-api
