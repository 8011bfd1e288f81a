# Recipes for working on Tenantry. Each is a plain cargo command, so `just` is optional.

set shell := ["bash", "-euo", "pipefail", "-c"]

pg_url := env_var_or_default("TENANTRY_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
redis_url := env_var_or_default("TENANTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379")

# Run the server on the embedded SQLite database with the demo tenant
run *ARGS:
    cargo run -- serve --demo {{ARGS}}

# Run the whole test suite (SQLite; PostgreSQL too when TENANTRY_TEST_POSTGRES_URL is set)
test:
    cargo test --workspace

# Run the whole test suite on SQLite and PostgreSQL, with the Redis tests
test-pg:
    TENANTRY_TEST_POSTGRES_URL={{pg_url}} TENANTRY_TEST_REDIS_URL={{redis_url}} cargo test --workspace

# Formatting and lints, as CI checks them
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

fmt:
    cargo fmt --all

# Rewrite schema.graphql from the code
schema:
    cargo run -q -- schema > schema.graphql

# Fail when schema.graphql differs from the code
schema-check:
    cargo test -p tenantry-tests --test api committed_schema_matches_the_code

# The benchmark: release build, fresh databases, wrk; writes bench/results.md (`just bench --only 4,5`: a subset, printed)
bench *ARGS:
    cargo build --release --locked -p tenantry -p tenantry-bench
    # The subscription fan-out holds a thousand sockets on each side: lift the open-file limit.
    ulimit -n "$(ulimit -Hn)"; "${CARGO_TARGET_DIR:-target}/release/tenantry-bench" {{ARGS}}

# What the browser and conformance tests need: Debian's Chromium (when missing), tests/browser's playwright-core and tests/conformance's clients
browser-deps:
    [ -x "${CHROMIUM:-/usr/bin/chromium}" ] || DEBIAN_FRONTEND=noninteractive apt-get install -yq chromium
    npm ci --prefix tests/browser --no-audit --no-fund
    npm ci --prefix tests/conformance --no-audit --no-fund

# The web console in headless Chromium (TEST_LOG=1 for the server's logs); screenshots in target/browser-screenshots/
test-browser:
    cargo test -p tenantry-tests --test browser

# schemathesis against /openapi.json of a demo server, as CI runs it
api-fuzz:
    bash .ci/schemathesis
