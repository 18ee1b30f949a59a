# Two commands do everything (see README): `make run` and `make test`.
SHELL := /bin/bash
export PATH := $(CURDIR)/end2end/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: setup run test lint unit unit-postgres bench-postgres wasm e2e build release bench bench-field fuzz-long audit

# Where cargo puts the server binary (CARGO_TARGET_DIR moves it).
TARGET := $(or $(CARGO_TARGET_DIR),target)

setup:
	@bash .ci/setup

## Build and run DRIMS with demo data on SQLite (http://127.0.0.1:3000).
run: setup
	DRIMS_DEMO=1 cargo leptos serve --split

## Every check and test: format, clippy (server and wasm), unit + integration, the IndexedDB
## store in headless Chromium, end-to-end.
test: setup lint unit wasm e2e

lint:
	cargo fmt --all --check
	cargo clippy -p app -p server --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy -p frontend --target wasm32-unknown-unknown --features split -- -D warnings

# The server integration tests run one at a time: with several servers in one process a page
# render very rarely never answers (see the closing note of the one-write-path work).
unit:
	cargo test -p app
	cargo test -p server -- --test-threads=1
	$(MAKE) unit-postgres

# The server integration suite again on PostgreSQL: a throwaway cluster (.ci/postgres), one
# database per test app, two-server tests included; stopped and deleted afterwards.
unit-postgres:
	@pg=$$(mktemp -d /tmp/drims-pg.XXXXXX); chmod 755 $$pg; \
	url=$$(bash .ci/postgres start $$pg/cluster) || { rm -rf $$pg; exit 1; }; \
	echo "PostgreSQL test cluster at $$url"; \
	DRIMS_TEST_POSTGRES=$$url cargo test -p server --test integration -- --test-threads=1; rc=$$?; \
	bash .ci/postgres stop $$pg/cluster; rm -rf $$pg; exit $$rc

# The browser store against real IndexedDB: wasm-bindgen-test in headless Chromium through
# Debian's ChromeDriver (options in frontend/webdriver.json).
wasm:
	CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
	CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
	cargo test -p frontend --target wasm32-unknown-unknown --tests

# Chromium sizes a site's quota from the disk's free space: on a nearly full disk the tests on
# a laptop's (on-disk) profile fail to store anything and time out. Say how much is free first.
e2e: build
	@free=$$(df -Pk /tmp | awk 'NR==2 {print int($$4 / 1024)}'); echo "e2e: $$free MB free for browser profiles (/tmp)"; \
	if [ "$$free" -lt 4096 ]; then echo "WARNING: under 4 GB free on /tmp: tests on on-disk browser profiles may fail (storage quota)" >&2; fi
	cd end2end && npx playwright test

## Debug build of server and client; fails when the installable app shell is incomplete (a
## file the offline page, the manifest or the stylesheet references is missing).
build:
	cargo leptos build --split
	$(TARGET)/debug/server check-shell

## Release build (binaryen's wasm-opt comes from end2end/node_modules, put on PATH above, as
## cargo-leptos cannot download it here), checked like `build`; prints the shell's sizes.
release: setup
	cargo leptos build --release --split
	$(TARGET)/release/server check-shell

## Benchmarks (release build): sync throughput (BENCH_OPS=2000 for a quick check), the
## inventory page over 1,000,000 ledger rows (BENCH_LEDGER_ROWS to scale) and the offline
## snapshot's bytes raw/gzip/brotli/304 (a generated 500-item hub; BENCH_SNAPSHOT_ITEMS).
bench:
	cargo bench -p server --bench sync
	cargo bench -p server --bench inventory
	cargo bench -p server --bench snapshot
	$(MAKE) bench-postgres

## The same sync and inventory benchmarks on PostgreSQL (a throwaway cluster, as
## unit-postgres): sync with one server instance, then two on the one database.
bench-postgres:
	@pg=$$(mktemp -d /tmp/drims-pg.XXXXXX); chmod 755 $$pg; \
	url=$$(bash .ci/postgres start $$pg/cluster) || { rm -rf $$pg; exit 1; }; \
	BENCH_POSTGRES=$$url cargo bench -p server --bench sync && \
	BENCH_POSTGRES=$$url BENCH_SERVERS=2 cargo bench -p server --bench sync && \
	BENCH_POSTGRES=$$url cargo bench -p server --bench inventory; rc=$$?; \
	bash .ci/postgres stop $$pg/cluster; rm -rf $$pg; exit $$rc

## A week's backlog over 2G (see README): 5,000 intakes queued offline through the form, then
## synced over an emulated 250 kbit/s, 800 ms link; the figures are printed.
bench-field: build
	cd end2end && DRIMS_FIELD_OPS=$${DRIMS_FIELD_OPS:-5000} npx playwright test field --project hydrated -g "saying how far" --reporter=list

## The sync endpoint and JSON API fuzzed with 100,000 seeded cases (`make test` runs 10,000).
## DRIMS_FUZZ_SEED=<n> replays another seed.
fuzz-long:
	DRIMS_FUZZ_CASES=100000 cargo test -p server --test integration fuzz -- --test-threads=1 --nocapture

## Dependency audit against the RustSec advisory database (exceptions, with reasons, in
## .cargo/audit.toml). With ADVISORY_DB=<a checkout of rustsec/advisory-db> it runs offline
## (.ci/audit-offline.py, for machines that cannot install cargo-audit or reach GitHub);
## otherwise cargo audit, installed first if missing.
audit:
	@if [ -n "$(ADVISORY_DB)" ]; then python3 .ci/audit-offline.py "$(ADVISORY_DB)" Cargo.lock; \
	else command -v cargo-audit >/dev/null || cargo install cargo-audit --locked; cargo audit; fi
