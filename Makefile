# The commands a newcomer types: `make demo` and `make test`. Everything here works on a fresh
# Debian 12 with Swift installed, as root (deps installs what is missing, and nothing else).
SWIFT ?= swift
EXTENSION := elastic-apm-lambda-extension
APT_PACKAGES := zlib1g-dev libcurl4-openssl-dev libssl-dev pkg-config openssl gzip ca-certificates
PYTHON_PACKAGES := jsonschema
SCENARIO ?= scenarios/happy-path.json

.PHONY: compare deps build test check-standalone test-sanitized test-asan test-tsan release check-no-foundation demo bench fuzz soak clean layer test-layer

deps:
	@missing=""; for package in $(APT_PACKAGES); do \
		dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; done; \
	command -v python3 >/dev/null 2>&1 || missing="$$missing python3 python3-pip"; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	@for module in $(PYTHON_PACKAGES); do \
		python3 -c "import $$module" 2>/dev/null || python3 -m pip install -q $$module 2>/dev/null \
			|| python3 -m pip install -q --break-system-packages $$module; done
	@# The OpenTelemetry Python SDK and its OTLP/HTTP exporter are the instrumented function of the
	@# OTLP end-to-end tests (scripts/otel_function.py); opentelemetry-proto decodes what the sink got.
	@python3 -c "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http, opentelemetry.proto" 2>/dev/null \
		|| python3 -m pip install -q opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-proto 2>/dev/null \
		|| python3 -m pip install -q --break-system-packages opentelemetry-sdk opentelemetry-exporter-otlp-proto-http opentelemetry-proto
	@# moto in server mode (with boto3) is the AWS emulator of the Secrets Manager and ACM tests.
	@python3 -c "import moto.server, boto3" 2>/dev/null || python3 -m pip install -q "moto[server]" 2>/dev/null \
		|| python3 -m pip install -q --break-system-packages "moto[server]"

build: deps
	$(SWIFT) build

# Serial: on 2 cores, tests that wait on child processes would starve the in-process servers of
# others running beside them (Swift's cooperative pool has one thread per core).
test: check-standalone build
	$(SWIFT) test --no-parallel
	$(MAKE) check-no-foundation

# The repository stands alone: no tracked file may point at the team's shelf beside a checkout
# (what a build or test needs is vendored, e.g. spec/apm-intake-v2/).
check-standalone:
	@if git grep -nE '\.\./shared' -- . ; then \
		echo "FAIL: tracked files refer to a folder outside the repository"; exit 1; \
	else echo "ok: no tracked file refers to a folder outside the repository"; fi

# The whole suite under the sanitizers, each in its own scratch path (git-ignored) so the normal
# build stays as it is; the end-to-end tests run the sanitized extension built beside the tests.
# AddressSanitizer (with LeakSanitizer) covers C and Swift; ThreadSanitizer the same build.
# Suppressions: scripts/lsan.supp and scripts/tsan.supp (third-party code only, each one explained there).
SANITIZER_TEST_FLAGS ?= --no-parallel
test-sanitized: test-asan test-tsan

# Linked by the toolchain's lld: gold warns ~700 times that it cannot export the ASan runtime's
# local symbols.
test-asan:
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp \
		$(SWIFT) test $(SANITIZER_TEST_FLAGS) --scratch-path .build-asan --sanitize=address -Xswiftc -use-ld=lld

test-tsan:
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/scripts/tsan.supp \
		$(SWIFT) test $(SANITIZER_TEST_FLAGS) --scratch-path .build-tsan --sanitize=thread

release:
	$(SWIFT) build -c release --product $(EXTENSION)

# The extension must not link full Foundation (ICU alone is tens of MB and slows every cold start).
# The debug build links what the release build links (the same modules and imports), and is
# already there after `make test`: no second build of SwiftNIO in release just for this check.
check-no-foundation: build
	@bin=$$($(SWIFT) build --show-bin-path)/$(EXTENSION); \
	libraries=$$(ldd $$bin) || { echo "FAIL: cannot list what $$bin links"; exit 1; }; \
	if echo "$$libraries" | grep -i 'libFoundation'; then \
		echo "FAIL: $$bin links Foundation"; exit 1; \
	else echo "ok: $$bin links no libFoundation*.so"; fi

# The self-contained Lambda layer: dist/$(EXTENSION)-<version>-linux-x86_64.zip (scripts/build_layer.sh;
# one static executable: glibc, the Swift runtime, and a minimal libcurl, OpenSSL and c-ares built
# from Debian's source packages; cached under .build-layer/; installs its own build dependencies).
layer:
	SWIFT=$(SWIFT) scripts/build_layer.sh

# The layer's proof: the zip unpacked into an empty root, the extension chrooted there under
# lambda-sim (needs root). Not part of `make test`, which must not need the layer (the curl
# source build and a second release build: ~4 minutes from a fresh clone); CI runs it after
# `make test` (.ci/run).
test-layer: layer build
	@test "$$(id -u)" = 0 || { echo "test-layer needs root (unshare, mount, chroot): LayerTests would be skipped"; exit 1; }
	$(SWIFT) test --filter LayerTests

demo: build
	$(SWIFT) run lambda-sim --extension $$($(SWIFT) build --show-bin-path)/$(EXTENSION) --scenario $(SCENARIO)

# 10 000 invocations: memory and descriptors must not grow; figures go into BENCHMARKS.md.
soak: release build
	scripts/soak.py $$($(SWIFT) build --show-bin-path)/lambda-sim $$($(SWIFT) build -c release --show-bin-path)/$(EXTENSION)

# libFuzzer over every parser and endpoint of untrusted input, FUZZ_SECONDS (60) per target.
fuzz:
	scripts/fuzz.sh

# Benchmarks (about 10 minutes on 2 cores once the layer is built): the Benchmarks/ package BENCH_RUNS
# times, the layer's extension (what ships) under lambda-sim (scripts/bench_e2e.py), then BENCHMARKS.md
# from the medians.
BENCH_RUNS ?= 5
BENCH_RESULTS := $(CURDIR)/Benchmarks/results
BENCH_PACKAGE := $(SWIFT) package --package-path Benchmarks --allow-writing-to-package-directory benchmark

bench: layer
	@echo "$$(date -u '+%Y-%m-%d %H:%M UTC')" > /tmp/eapm-bench-started; cut -d' ' -f1-3 /proc/loadavg > /tmp/eapm-bench-load
	$(SWIFT) build -c release --product lambda-sim
	$(SWIFT) build -c release --package-path Benchmarks
	rm -rf $(BENCH_RESULTS) && mkdir -p $(BENCH_RESULTS)
	@echo "$(BENCH_PACKAGE) --format jmh --path Benchmarks/results/run-N --no-progress   # N = 1..$(BENCH_RUNS)" > $(BENCH_RESULTS)/commands.txt
	@echo "make layer   # the extension measured below: the layer's static binary before stripping" >> $(BENCH_RESULTS)/commands.txt
	@echo "python3 scripts/bench_e2e.py --extension \$$(cat .build-layer/binary.path) --lambda-sim .build/release/lambda-sim --runs $(BENCH_RUNS)" >> $(BENCH_RESULTS)/commands.txt
	@echo "EXTENSION=\$$(cat .build-layer/binary.path) scripts/bench_profile.sh Benchmarks/results/profile" >> $(BENCH_RESULTS)/commands.txt
	for run in $$(seq 1 $(BENCH_RUNS)); do \
		$(BENCH_PACKAGE) --format jmh --path $(BENCH_RESULTS)/run-$$run --no-progress || exit 1; done
	python3 scripts/bench_e2e.py --extension $$(cat .build-layer/binary.path) \
		--lambda-sim $$($(SWIFT) build -c release --show-bin-path)/lambda-sim --runs $(BENCH_RUNS) --out $(BENCH_RESULTS)/e2e.json
	EXTENSION=$$(cat .build-layer/binary.path) scripts/bench_profile.sh $(BENCH_RESULTS)/profile > $(BENCH_RESULTS)/profile.txt 2>&1 \
		|| echo "(profiling failed: see above)" >> $(BENCH_RESULTS)/profile.txt
	python3 scripts/bench_report.py --results $(BENCH_RESULTS) --started "$$(cat /tmp/eapm-bench-started)" \
		--load "$$(cat /tmp/eapm-bench-load)" > $(BENCH_RESULTS)/section.md
	scripts/put_section.py bench BENCHMARKS.md $(BENCH_RESULTS)/section.md
	$(MAKE) compare COMPARE_RUNS=$(BENCH_RUNS)
	@echo "wrote BENCHMARKS.md"

# Side by side (scripts/compare.py): the layer's stripped extension, four floors (Benchmarks/floor:
# register then /event/next; the same messages as an extension; Sources/StackFloor: those messages
# on the extension's HTTP server and client, built as the layer's binary is, and the same with the
# contract's gzip: STACK_FLOOR_GZIP=1) and, with
# COMPARE_EXTENSION=/path/to/binary (e.g. the official extension from its layer zip; COMPARE_ZIP
# that zip), the other one, alternating on the same workloads COMPARE_RUNS times; the section
# "compare" of BENCHMARKS.md and Benchmarks/compare.png from the medians (about 2 minutes a run).
COMPARE_RUNS ?= 3
COMPARE_WORK := $(CURDIR)/.build-compare
compare:
	mkdir -p $(COMPARE_WORK)
	SWIFT=$(SWIFT) STACK_FLOOR_OUT=$(COMPARE_WORK)/elastic-apm-stack-floor scripts/build_layer.sh
	$(SWIFT) build -c release --product lambda-sim
	@python3 -c "import matplotlib" 2>/dev/null || python3 -m pip install -q matplotlib 2>/dev/null \
		|| python3 -m pip install -q --break-system-packages matplotlib
	@test -x /usr/bin/time || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time; }
	rm -rf $(COMPARE_WORK)/layer && mkdir -p $(COMPARE_WORK)/layer $(BENCH_RESULTS)
	unzip -q $$(ls -t dist/$(EXTENSION)-*-linux-x86_64.zip | head -1) -d $(COMPARE_WORK)/layer
	$(CC) -static -O2 -o $(COMPARE_WORK)/elastic-apm-floor-extension Benchmarks/floor/floor_extension.c
	$(CC) -static -O2 -o $(COMPARE_WORK)/elastic-apm-protocol-floor Benchmarks/floor/protocol_floor.c
	python3 scripts/compare.py --extension $(COMPARE_WORK)/layer/extensions/$(EXTENSION) \
		--layer-zip $$(ls -t dist/$(EXTENSION)-*-linux-x86_64.zip | head -1) \
		$(if $(COMPARE_EXTENSION),--compare $(COMPARE_EXTENSION)) $(if $(COMPARE_ZIP),--compare-zip $(COMPARE_ZIP)) \
		--floor $(COMPARE_WORK)/elastic-apm-floor-extension --protocol-floor $(COMPARE_WORK)/elastic-apm-protocol-floor \
		--stack-floor $(COMPARE_WORK)/elastic-apm-stack-floor --lambda-sim $$($(SWIFT) build -c release --show-bin-path)/lambda-sim \
		--runs $(COMPARE_RUNS) --out $(BENCH_RESULTS) \
		--command "make compare COMPARE_RUNS=$(COMPARE_RUNS)$(if $(COMPARE_EXTENSION), COMPARE_EXTENSION=<the official extension's binary>)"
	scripts/put_section.py compare BENCHMARKS.md $(BENCH_RESULTS)/compare.md

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan .build-layer .build-soak .build-compare dist
