# Every target is plain cargo underneath; `make help` lists them.
.PHONY: help run test contract e2e lint fmt build release migrate bench soak cluster clean-data

help:
	@echo "make run       - run the API on its embedded default (SQLite under ./data)"
	@echo "make test      - every test; end-to-end also on PostgreSQL when TEST_DATABASE_URL is set"
	@echo "make contract  - the OpenAPI document under openapi-spec-validator and schemathesis"
	@echo "make e2e       - headless Chromium on /docs: authorize and try GET /api/v1/users/me"
	@echo "make lint      - rustfmt check and clippy with -D warnings"
	@echo "make release   - optimised binary at target/release/api"
	@echo "make migrate   - apply pending migrations (DATABASE_URL)"
	@echo "make bench     - the benchmark: PostgreSQL and SQLite under wrk, report in bench/results/"
	@echo "make soak      - WebSockets across two instances while events flow (needs REDIS_URL)"
	@echo "make cluster   - compose's topology without Docker (3 replicas, worker, nginx), checked through nginx"

run:
	cargo run --bin api

# One invocation form everywhere (--workspace) so features unify the same way and nothing rebuilds.
test:
	cargo test --workspace
	@if [ -n "$$TEST_DATABASE_URL" ]; then \
		echo "== end-to-end tests again, on PostgreSQL"; \
		TEST_BACKEND=postgres cargo test --workspace --test api; \
	fi

# The document against real tools (pinned in tests/contract/requirements.txt, installed into
# a virtualenv); on PostgreSQL too when TEST_DATABASE_URL is set.
contract:
	bash tests/contract/run.sh

# A real browser on the docs UI; the screenshot lands in target/e2e/docs.png.
e2e:
	bash tests/e2e/run.sh

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

build:
	cargo build --workspace

release:
	cargo build --release --bin api

migrate:
	cargo run --bin api -- migrate up

# Speed and memory targets live here, never in timed tests; it reports them, never fails on one.
bench:
	bash bench/run.sh

# Every event sent is counted against every event received; memory sampled (REDIS_URL).
soak:
	bash scripts/soak.sh

# docker-compose.yml's topology run here without Docker: the local PostgreSQL and Redis, three
# replicas, a worker and nginx on deploy/nginx.conf, driven and checked through nginx.
cluster:
	bash scripts/cluster.sh

clean-data:
	rm -rf data
