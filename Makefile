# The commands a newcomer types: `make demo` and `make test`. Everything here works on a fresh
# Debian 12 with Swift installed, as root (deps installs what is missing, and nothing else).
SWIFT ?= swift
EXTENSION := elastic-apm-lambda-extension
APT_PACKAGES := zlib1g-dev libcurl4-openssl-dev libssl-dev pkg-config openssl gzip ca-certificates
PYTHON_PACKAGES := jsonschema
SCENARIO ?= scenarios/happy-path.json

.PHONY: deps build test test-sanitized test-asan test-tsan release check-no-foundation demo fuzz clean

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
	@# moto in server mode (with boto3) is the AWS emulator of the Secrets Manager and ACM tests.
	@python3 -c "import moto.server, boto3" 2>/dev/null || python3 -m pip install -q "moto[server]" 2>/dev/null \
		|| python3 -m pip install -q --break-system-packages "moto[server]"

build:
	$(SWIFT) build

# Serial: on 2 cores, tests that wait on child processes would starve the in-process servers of
# others running beside them (Swift's cooperative pool has one thread per core).
test: build
	$(SWIFT) test --no-parallel
	$(MAKE) check-no-foundation

# The whole suite under the sanitizers, each in its own scratch path (git-ignored) so the normal
# build stays as it is; the end-to-end tests run the sanitized extension built beside the tests.
# AddressSanitizer (with LeakSanitizer) covers C and Swift; ThreadSanitizer the same build.
# Suppressions: scripts/lsan.supp and scripts/tsan.supp (third-party code only, each one explained there).
SANITIZER_TEST_FLAGS ?= --no-parallel
test-sanitized: test-asan test-tsan

test-asan:
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan.supp \
		$(SWIFT) test $(SANITIZER_TEST_FLAGS) --scratch-path .build-asan --sanitize=address

test-tsan:
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:suppressions=$(CURDIR)/scripts/tsan.supp \
		$(SWIFT) test $(SANITIZER_TEST_FLAGS) --scratch-path .build-tsan --sanitize=thread

release:
	$(SWIFT) build -c release --product $(EXTENSION)

# The extension must not link full Foundation (ICU alone is tens of MB and slows every cold start).
check-no-foundation: release
	@bin=$$($(SWIFT) build -c release --show-bin-path)/$(EXTENSION); \
	if ldd $$bin | grep -i 'libFoundation'; then \
		echo "FAIL: $$bin links Foundation"; exit 1; \
	else echo "ok: $$bin links no libFoundation*.so"; fi

demo: build
	$(SWIFT) run lambda-sim --extension $$($(SWIFT) build --show-bin-path)/$(EXTENSION) --scenario $(SCENARIO)

# libFuzzer over every parser and endpoint of untrusted input, FUZZ_SECONDS (60) per target.
fuzz:
	scripts/fuzz.sh

clean:
	rm -rf .build .build-fuzz .build-asan .build-tsan
