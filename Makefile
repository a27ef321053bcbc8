# The README's two commands. Both create .venv when it is missing.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
TESTED  := $(VENV)/.installed-test
# torch must be installed first and pinned: 2.13.0 is the CPU build available locally for Python 3.11;
# a looser requirement pulls a multi-GB CUDA build (as 2.13.0 itself does on Python 3.12 and 3.13).
TORCH   := torch==2.13.0

.PHONY: run test bench clean

# make run needs the package only; make test adds the test tools, Ray and NIR (a 240 MB Ray
# install would cost make run half a minute of its 15).
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q $(TORCH)
	$(BIN)/python -m pip install -q -e .
	touch $(STAMP)

$(TESTED): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,nir]'
	touch $(TESTED)

run: $(STAMP)
	$(BIN)/evface run --preset quick --out runs/quick

test: $(TESTED)
	$(BIN)/python -m pytest -n 2 --dist loadgroup

bench: $(STAMP)
	$(BIN)/evface bench

clean:
	rm -rf $(VENV) runs .pytest_cache
