# c2s: the two commands a fresh Debian 12 machine with Swift needs are `make demo` and `make test`.
# Each installs what is missing (apt: HDF5, OpenBLAS, OpenSSL, zlib; pip: anndata for the
# interoperability check) and builds.

SWIFT ?= swift
APT_PACKAGES = libhdf5-dev libopenblas-dev libssl-dev zlib1g-dev pkg-config
PY_PACKAGES = anndata h5py scipy numpy
RELEASE_BIN = .build/release/c2s
DEMO_DIR ?= demo-output
CELLS ?= 2000

.PHONY: all deps pydeps build test demo bench-convert bench-reconstruct bench-prompts bench-inference bench-tokenizer bench-annotate clean

all: build

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

pydeps:
	@python3 -c "import anndata, h5py, scipy, numpy" 2>/dev/null || \
	  (echo "installing python packages: $(PY_PACKAGES)"; python3 -m pip install -q $(PY_PACKAGES))

build: deps
	$(SWIFT) build -c release --product c2s

# Unit, fixture and CLI tests (optimised build: numeric tests run 10-100x faster), then the
# check that Python's anndata reads what we write.
test: deps pydeps
	$(SWIFT) build -c release --product c2s
	$(SWIFT) test -c release -Xswiftc -enable-testing
	bash scripts/interop/run.sh $(RELEASE_BIN)

# The main job on the embedded default: simulate a labelled dataset, convert it (fitting the
# inverse transform per cell type), reconstruct expression from the sentences, and report.
demo: build
	@mkdir -p $(DEMO_DIR)
	$(RELEASE_BIN) simulate -o $(DEMO_DIR)/simulated.h5ad --cells $(CELLS) --overwrite
	$(RELEASE_BIN) convert $(DEMO_DIR)/simulated.h5ad -o $(DEMO_DIR)/sentences --obs-columns cell_type,batch --fit-by cell_type --overwrite
	$(RELEASE_BIN) reconstruct $(DEMO_DIR)/sentences -o $(DEMO_DIR)/reconstructed.h5ad --overwrite
	$(RELEASE_BIN) report transform $(DEMO_DIR)/sentences -o $(DEMO_DIR)/report
	$(RELEASE_BIN) inspect $(DEMO_DIR)/sentences

bench-convert: build
	C2S_BIN=$(RELEASE_BIN) bash bench/convert/run.sh

bench-reconstruct: build
	C2S_BIN=$(RELEASE_BIN) bash bench/reconstruct/run.sh

bench-prompts: build
	C2S_BIN=$(RELEASE_BIN) bash bench/prompts/run.sh

bench-inference: build
	C2S_BIN=$(RELEASE_BIN) bash bench/inference/run.sh

bench-tokenizer: build
	C2S_BIN=$(RELEASE_BIN) bash bench/tokenizer/run.sh

# Needs a model folder from 'c2s train': make bench-annotate MODEL=path/to/model [CELLS=200]
bench-annotate: build
	C2S_BIN=$(RELEASE_BIN) bash bench/annotate/run.sh $(MODEL) $(or $(CELLS),200)

clean:
	rm -rf .build $(DEMO_DIR)
