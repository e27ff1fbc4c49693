# bevaka: two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR := demo-out

.PHONY: demo test lint venv clean bench docs sysdeps

$(BIN)/python:
	@command -v $(PY) >/dev/null 2>&1 || { echo "Python 3.11 or 3.12 is needed (set PY=python3.12 to use 3.12)."; exit 1; }
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP) sysdeps
	BEVAKA=$(BIN)/bevaka bash examples/demo.sh $(DEMO_DIR)

# System tools the tests use, installed with apt-get when missing: the sqlite3 command-line
# tool (the audit tests edit the log as an auditor would), poppler-utils (pdftotext and
# pdftoppm read back and render the PDF reports) and Pango with the DejaVu fonts (WeasyPrint
# writes the PDFs with them).
SYSDEPS_CHECK = command -v sqlite3 >/dev/null 2>&1 && command -v pdftotext >/dev/null 2>&1 \
  && command -v pdftoppm >/dev/null 2>&1 && ldconfig -p | grep -q libpango-1.0 \
  && ldconfig -p | grep -q libpangoft2-1.0 && ldconfig -p | grep -q libharfbuzz-subset \
  && fc-list | grep -qi dejavu
sysdeps:
	@$(SYSDEPS_CHECK) || { echo "Installing sqlite3, poppler-utils, Pango and the DejaVu fonts (used by the tests and the PDF reports)"; \
	  { apt-get update -qq && apt-get install -y -qq sqlite3 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 \
	    libharfbuzz0b libharfbuzz-subset0 fonts-dejavu-core fontconfig; } >/dev/null 2>&1 || \
	  echo "Could not install them; install with your package manager: apt-get install sqlite3 poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core"; }

test: $(STAMP) sysdeps
	$(BIN)/ruff check .
	$(BIN)/mypy bevaka engine facts notifications
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy bevaka engine facts notifications
	$(BIN)/lint-imports

bench: $(STAMP)
	$(BIN)/python bench/bench_evaluate.py --n 10000 --n 100000

docs: $(STAMP)
	$(BIN)/python docs/gen_cli_reference.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
