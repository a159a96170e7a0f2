# The two commands a newcomer needs are `make run` and `make test`; both install what is
# missing first (scripts/install-tools.sh) and skip what is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FEATURES := --features ssr
SANDBOX_ADDR ?= 127.0.0.1:3100

# The browser tests run on the debug build, or with E2E_BUILD=release on the release build
# (CI: the one `make dist` made just before, which the deploy test runs too).
E2E_BUILD ?= debug

.PHONY: help tools tools-e2e run sandbox build test bench bench-first-run lint fmt dist test-deploy

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

tools: ## Install the build tools that are missing
	@bash scripts/install-tools.sh

tools-e2e: ## Install the build and browser-test tools that are missing
	@bash scripts/install-tools.sh e2e

run: tools ## Build and start the dashboard on http://127.0.0.1:3000 against the sandbox
	bash scripts/build-site.sh
	target/debug/ztd-dashboard

sandbox: ## Start only the sandbox (Entra ID + Partner Center) on SANDBOX_ADDR
	cargo run $(FEATURES) -- sandbox --addr $(SANDBOX_ADDR)

build: tools ## Build the server and the browser bundle
	bash scripts/build-site.sh

test: tools-e2e ## Run every test: Rust (on SQLite, and on PostgreSQL side by side if one answers), then the browser tests (two replicas on PostgreSQL too, if one answers)
	bash scripts/rust-tests.sh
	bash scripts/build-site.sh $(if $(filter release,$(E2E_BUILD)),--release)
	cd end2end && ZTD_E2E_SERVER=target/$(E2E_BUILD)/ztd-dashboard \
	  ZTD_E2E_POSTGRES=$$(bash ../scripts/postgres.sh url) npx playwright test

bench: tools-e2e ## Measure against the budgets in release mode; prints the table, writes BENCHMARKS.md
	bash scripts/build-site.sh --release --front-only
	cargo bench $(FEATURES) --bench ingest
	cargo bench $(FEATURES) --bench check
	bash scripts/postgres.sh start
	cargo bench $(FEATURES) --bench device_index
	cargo bench $(FEATURES) --bench bulk
	cargo bench $(FEATURES) --bench upload
	cargo bench $(FEATURES) --bench pages

bench-first-run: ## Time `make run` on a fresh machine (a fresh clone, empty cargo home and target directory) for make bench's table
	bash scripts/first-run.sh

dist: tools-e2e ## Build a release and pack it: dist/ztd-dashboard-<version>-<target>.tar.gz (README, "Deploy")
	bash scripts/dist.sh

test-deploy: dist ## The release behind nginx with TLS, two replicas on PostgreSQL, through a browser
	bash scripts/test-deploy.sh

lint: tools ## rustfmt and clippy (server and browser), warnings are errors
	cargo fmt --check
	cargo clippy $(FEATURES) --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --target-dir target/front -- -D warnings

fmt: ## Format the code
	cargo fmt
