# hipsim: `make demo` runs the main job, `make test` the tests, `make bench` the benchmarks.
# Each target creates .venv and installs the project into it when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test test-all bench validate gallery clean

$(STAMP): pyproject.toml
	@# off-screen rendering (hipsim animate) needs an EGL library; Debian/Ubuntu get mesa's
	@ldconfig -p 2>/dev/null | grep -q 'libEGL.so.1' || { command -v apt-get >/dev/null && \
		apt-get update -qq && apt-get install -y -qq libegl1 libegl-mesa0 libgl1 libgl1-mesa-dri >/dev/null; } || \
		echo "warning: no libEGL found; hipsim animate needs EGL or OSMesa"
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]" --config-settings editable_mode=compat
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/hipsim demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow" -n 2 -p no:cacheprovider

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[test,bench]" --config-settings editable_mode=compat
	$(BIN)/python benchmarks/run_all.py

validate: $(STAMP)
	$(BIN)/hipsim validate -o validation-report

gallery: $(STAMP)
	$(BIN)/python tools/make_gallery.py

clean:
	rm -rf $(VENV) hipsim-demo validation-report .pytest_cache
