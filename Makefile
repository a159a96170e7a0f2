# The two commands a newcomer needs are `make run` and `make test`; both install what is
# missing first (scripts/install-tools.sh) and skip what is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FEATURES := --features ssr
SANDBOX_ADDR ?= 127.0.0.1:3100

.PHONY: help tools tools-e2e run sandbox build test bench lint fmt

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

tools: ## Install the build tools that are missing
	@bash scripts/install-tools.sh

tools-e2e: ## Install the build and browser-test tools that are missing
	@bash scripts/install-tools.sh e2e

run: tools ## Build and start the dashboard on http://127.0.0.1:3000 against the sandbox
	cargo leptos serve

sandbox: ## Start only the sandbox (Entra ID + Partner Center) on SANDBOX_ADDR
	cargo run $(FEATURES) -- sandbox --addr $(SANDBOX_ADDR)

build: tools ## Build the server and the browser bundle
	cargo leptos build

test: tools-e2e ## Run every test: Rust (on SQLite, then on PostgreSQL if one answers), then the browser tests (two replicas on PostgreSQL too, if one answers)
	cargo test $(FEATURES)
	@postgres=$$(bash scripts/postgres.sh url); \
	if [ -n "$$postgres" ]; then \
	  echo "==> the Rust tests again, on PostgreSQL ($$postgres)"; \
	  ZTD_TEST_POSTGRES=$$postgres cargo test $(FEATURES); \
	else \
	  echo "==> no PostgreSQL answers (scripts/postgres.sh start makes one): the Rust tests ran on SQLite only, the browser tests will run without the two replicas"; \
	fi
	cargo leptos build
	cd end2end && ZTD_E2E_POSTGRES=$$(bash ../scripts/postgres.sh url) npx playwright test

bench: tools-e2e ## Measure against the budgets in release mode; prints the table, writes BENCHMARKS.md
	PATH="$(CURDIR)/end2end/node_modules/.bin:$$PATH" cargo leptos build --release --frontend-only
	cargo bench $(FEATURES) --bench ingest
	bash scripts/postgres.sh start
	cargo bench $(FEATURES) --bench device_index
	cargo bench $(FEATURES) --bench pages

lint: ## rustfmt and clippy (server and browser), warnings are errors
	cargo fmt --check
	cargo clippy $(FEATURES) --all-targets -- -D warnings
	cargo clippy --lib --target wasm32-unknown-unknown --no-default-features --features hydrate --target-dir target/front -- -D warnings

fmt: ## Format the code
	cargo fmt
