# Two commands for people (see README):
#   make demo   set up, then run the main job on embedded defaults (local Kafka + chdb)
#   make test   set up, start the local broker for tests, run every test suite
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup setup-test demo test lint bench bench-queries chaos prior-table clean

# runtime + the embedded database only: no test tools, no apt
$(VENV)/.installed: pyproject.toml setup.py processors/stories/_kernels.pyx
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[embedded]'
	touch $@

# + test tools, and Debian's chromium for the browser tests
$(VENV)/.installed-test: $(VENV)/.installed
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	  || echo "warning: Debian chromium not installed: the browser test will not run" >&2
	$(BIN)/pip install -q -e '.[embedded,test]'
	touch $@

setup: $(VENV)/.installed
setup-test: $(VENV)/.installed-test

demo: setup
	$(BIN)/wirestream up

test: setup-test
	bash tests/run.sh

lint: setup-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# benchmarks run on purpose; each prints medians and ratios measured in the same run
bench: setup-test
	$(BIN)/python bench/bench_parse.py
	$(BIN)/python bench/bench_cluster.py
	$(BIN)/python bench/bench_sink.py
	@test ! -f bench/bench_queries.py || $(BIN)/python bench/bench_queries.py --items 1000000
	@echo "bench/bench_pipeline.py needs a broker: WIRESTREAM_KAFKA_BOOTSTRAP=... $(BIN)/python bench/bench_pipeline.py"

chaos: setup-test
	$(BIN)/python -m tests.support.chaos --seeds 1,2,3 --items 20000

# rebuild the story engine's background IDF table from wordfreq (a test checks it is current)
prior-table: setup-test
	$(BIN)/python -c "from processors.stories.prior import main; main()"

clean:
	-$(BIN)/wirestream kafka stop
	rm -rf .wirestream .wirestream-test
