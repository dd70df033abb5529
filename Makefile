# The two commands that set everything up on a fresh machine:
#   make demo   install dependencies, build, run the main job on an embedded default
#   make test   install dependencies, build, run the whole test suite
# Both are idempotent and quick when nothing changed.

BUILD ?= build
SHARED ?= $(abspath ../shared)
JOBS ?= $(shell nproc)
CMAKE_FLAGS ?=
# Debian's interpreter, where python3-torch lives, for the model-training tool.
PYTHON ?= /usr/bin/python3
# make install: where to (PREFIX), and a staging root for packaging (DESTDIR).
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all deps configure build demo test test-fast bench model asan tsan cross-arm64 gpu-bench format clean install

all: build

deps:
	@scripts/install-deps.sh

$(BUILD)/build.ninja: | deps
	cmake -S . -B $(BUILD) -G Ninja -DRVM_SHARED_DIR=$(SHARED) $(CMAKE_FLAGS)

configure: $(BUILD)/build.ninja

build: deps configure
	cmake --build $(BUILD) -j $(JOBS)

demo: build
	@scripts/demo.sh $(BUILD) $(SHARED)

test: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Unit tests only (skips labelled slow/fault/integration suites).
test-fast: build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) -LE 'slow|fault|integration'

bench: build
	$(BUILD)/rvm-edge bench --model $(SHARED)/models/yolox_nano.onnx $(SHARED)/images/dev/images

# Trains the shipped container model from ../shared/datasets/containers (docs/model-card.md): about 70
# minutes on 2 cores; resumes from $(BUILD)/train/last.pt when interrupted (same arguments and data).
model: deps
	$(PYTHON) tools/train/train.py --data $(SHARED)/datasets/containers \
	  --base-model $(SHARED)/models/yolox_nano.onnx --out models/rvm-containers.onnx --work-dir $(BUILD)/train

# Sanitizer runs over the test suite, in their own build trees.
asan: deps
	cmake -S . -B build-asan -G Ninja -DRVM_SHARED_DIR=$(SHARED) -DRVM_SANITIZE=address -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-asan -j $(JOBS)
	cd build-asan && ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/lsan.supp ctest --output-on-failure -j $(JOBS) --timeout 1200

tsan: deps
	cmake -S . -B build-tsan -G Ninja -DRVM_SHARED_DIR=$(SHARED) -DRVM_SANITIZE=thread -DCMAKE_BUILD_TYPE=Debug
	cmake --build build-tsan -j $(JOBS)
	cd build-tsan && TSAN_OPTIONS="suppressions=$(CURDIR)/tsan.supp second_deadlock_stack=1" ctest --output-on-failure -j $(JOBS) --timeout 1200

# The aarch64 (Jetson) build: cross-compiled in build-arm64 against an arm64 Debian root, its unit and
# detector tests run under qemu-aarch64, and its detections compared with this build's
# (scripts/cross-arm64.sh). Not part of `make test`: a clean run takes over an hour on 2 cores.
cross-arm64: build
	JOBS=$(JOBS) scripts/cross-arm64.sh $(SHARED)

# CPU vs CUDA vs TensorRT FP16 on an NVIDIA GPU (scripts/gpu-bench.sh); exits 2 without one.
gpu-bench: deps
	scripts/gpu-bench.sh $(SHARED)

# Installs the agent, its systemd unit and configuration (cmake/Install.cmake);
# then create the service user and enable the unit as the README's "Deploying" says.
install: build
	DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

format:
	find src tests bench tools -name '*.h' -o -name '*.cc' | xargs clang-format -i

clean:
	rm -rf $(BUILD) build-asan build-tsan build-arm64 build-gpu
