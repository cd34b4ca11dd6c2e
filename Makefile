# Two commands for people (see README):
#   make demo   set up, then run the main job on embedded defaults (local Kafka + chdb)
#   make test   set up, start the local broker for tests, run every test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: Debian chromium not installed: the browser test will not run" >&2
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

demo: setup
	$(BIN)/wirestream up

test: setup
	bash tests/run.sh

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_sink.py
	@echo "bench/bench_pipeline.py needs a broker: WIRESTREAM_KAFKA_BOOTSTRAP=... $(BIN)/python bench/bench_pipeline.py"

clean:
	-$(BIN)/wirestream kafka stop
	rm -rf .wirestream .wirestream-test
