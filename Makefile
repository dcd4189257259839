# The README's two commands are `make demo` and `make test`; the rest are helpers.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
SAMPLE := sample_data

.PHONY: demo test lint sample-tables bench golden clean fuzz

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed  ## install, then check the bundled sample company
	$(BIN)/policycheck validate $(SAMPLE)/yaml
	$(BIN)/policycheck check $(SAMPLE)/yaml || [ $$? -eq 1 ]

test: $(VENV)/.installed  ## install the test dependencies, then run the whole suite on every core
	$(BIN)/python -m pytest -n auto --dist loadscope

lint: $(VENV)/.installed  ## ruff and mypy, at the versions the code was last checked with
	$(BIN)/python -m pip install --quiet ruff==0.17.6 mypy==2.4.1 pandas-stubs==3.1.0.261029 \
	    types-PyYAML==6.0.12.20261122
	$(BIN)/ruff check policycheck tests
	$(BIN)/mypy policycheck

sample-tables: $(VENV)/.installed  ## regenerate the CSV and xlsx forms of the sample company
	$(BIN)/policycheck export $(SAMPLE)/yaml --csv $(SAMPLE)/csv --xlsx $(SAMPLE)/xlsx/company.xlsx
	$(BIN)/python -m benchmarks.actuals tables  # the KPI actuals too: a CSV copy, a sheet

bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet cel-python  # the per-plan peer, for the benchmark only
	$(BIN)/python benchmarks/run.py --results benchmarks/RESULTS.md

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache

golden: $(VENV)/.installed  ## regenerate the rule reference and the sample-company golden files
	$(BIN)/policycheck rules docs -o rules/RULES.md
	mkdir -p tests/data/golden
	$(BIN)/policycheck check $(SAMPLE)/yaml --format text > tests/data/golden/sample_findings.txt || [ $$? -eq 1 ]
	$(BIN)/policycheck check $(SAMPLE)/yaml --format json > tests/data/golden/sample_findings.json || [ $$? -eq 1 ]
	$(BIN)/policycheck check tests/data/formats_plans --rules tests/data/formats_pack \
	    --output csv:tests/data/golden/formats/sample.csv \
	    --output xlsx:tests/data/golden/formats/sample.xlsx \
	    --output sarif:tests/data/golden/formats/sample.sarif \
	    --output junit:tests/data/golden/formats/sample.junit.xml \
	    --output github:tests/data/golden/formats/sample.github.txt \
	    --output markdown:tests/data/golden/formats/sample.md > /dev/null || [ $$? -eq 1 ]

FUZZ_SECONDS ?= 600
fuzz: $(VENV)/.installed  ## fuzz the expression parser and the YAML/CSV loaders, FUZZ_SECONDS each
	$(BIN)/python -m pip install --quiet atheris
	for target in expression yaml_loader csv_loader; do \
	    mkdir -p build/fuzz/$$target && \
	    $(BIN)/python fuzz/fuzz_$$target.py build/fuzz/$$target fuzz/corpus/$$target \
	        -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=30 \
	        -print_final_stats=1 -artifact_prefix=build/fuzz/$$target- || exit 1; \
	done
