# The two commands a newcomer needs: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready

.PHONY: demo test bench clean

$(READY): pyproject.toml deploy/bootstrap.sh
	PYTHON=$(PYTHON) VENV=$(VENV) sh deploy/bootstrap.sh
	touch $@

demo: $(READY)
	$(BIN)/kiosk demo

# Two workers: this is sized for a 2-core machine; long soaks live in bench/.
test: $(READY)
	$(BIN)/python -m pytest -n 2 -q

bench: $(READY)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
