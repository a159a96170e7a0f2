# The two commands a newcomer needs are `make run` and `make test`; both install what is
# missing first (scripts/install-tools.sh) and skip what is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FEATURES := --features ssr
SANDBOX_ADDR ?= 127.0.0.1:3100

# The Rust tests: with cargo-nextest (on this kind of machine; else `cargo install
# cargo-nextest --locked`), the test binaries run side by side (.config/nextest.toml);
# without it, cargo test runs them one after another. The crate has no doc tests, which
# nextest would not run.
RUST_TESTS := $(if $(shell command -v cargo-nextest),cargo nextest run $(FEATURES),cargo test $(FEATURES))

.PHONY: help tools tools-e2e run sandbox build test bench lint fmt dist test-deploy

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

test: tools-e2e ## Run every test: Rust (on SQLite, then on PostgreSQL if one answers), then the browser tests (two replicas on PostgreSQL too, if one answers)
	$(RUST_TESTS)
	@postgres=$$(bash scripts/postgres.sh url); \
	if [ -n "$$postgres" ]; then \
	  echo "==> the Rust tests again, on PostgreSQL ($$postgres)"; \
	  ZTD_TEST_POSTGRES=$$postgres $(RUST_TESTS); \
	else \
	  echo "==> no PostgreSQL answers (scripts/postgres.sh start makes one): the Rust tests ran on SQLite only, the browser tests will run without the two replicas"; \
	fi
	bash scripts/build-site.sh
	cd end2end && ZTD_E2E_POSTGRES=$$(bash ../scripts/postgres.sh url) npx playwright test

bench: tools-e2e ## Measure against the budgets in release mode; prints the table, writes BENCHMARKS.md
	bash scripts/build-site.sh --release --front-only
	cargo bench $(FEATURES) --bench ingest
	bash scripts/postgres.sh start
	cargo bench $(FEATURES) --bench device_index
	cargo bench $(FEATURES) --bench bulk
	cargo bench $(FEATURES) --bench pages

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
