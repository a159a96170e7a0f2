# The two commands a newcomer needs are `make run` and `make test`; both install what is
# missing first and skip what is already there.
SHELL := /bin/bash
.DEFAULT_GOAL := help
FEATURES := --features ssr
SANDBOX_ADDR ?= 127.0.0.1:3100

.PHONY: help run sandbox test lint fmt

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: sandbox ## Build and start what exists so far: the sandbox (Entra ID + Partner Center)

sandbox: ## Start the sandbox on its own (SANDBOX_ADDR=127.0.0.1:3100)
	cargo run $(FEATURES) -- sandbox --addr $(SANDBOX_ADDR)

test: ## Run every test
	cargo test $(FEATURES)

lint: ## rustfmt and clippy, warnings are errors
	cargo fmt --check
	cargo clippy $(FEATURES) --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt
