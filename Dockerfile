# syntax=docker/dockerfile:1
#
# Tenantry's container image: the `tenantry` binary on a slim Debian, run as an unprivileged user.
#
#   docker build -t tenantry .
#   docker run -p 8080:8080 -v tenantry-data:/var/lib/tenantry \
#     -v "$PWD/master.key:/run/secrets/tenantry-master-key:ro" tenantry
#
# Configuration comes from the environment (README, "Configuration"); the master key from the
# file /run/secrets/tenantry-master-key (a compose or orchestrator secret). deploy/compose.yaml runs
# two instances of this image behind nginx.

ARG RUST_VERSION=1.95
ARG DEBIAN_RELEASE=bookworm

FROM rust:${RUST_VERSION}-slim-${DEBIAN_RELEASE} AS build
WORKDIR /src

# Dependencies first, built against empty sources: this layer is reused until a manifest or the
# lock file changes, so a change to Tenantry's own code rebuilds only Tenantry.
COPY Cargo.toml Cargo.lock ./
COPY backend/Cargo.toml backend/
COPY migration/Cargo.toml migration/
COPY tests/Cargo.toml tests/
COPY bench/Cargo.toml bench/
RUN mkdir -p backend/src migration/src tests/api tests/browser bench/src/bin \
    && for stub in backend/src/main.rs tests/api/main.rs tests/browser/main.rs \
                   bench/src/main.rs bench/src/bin/peer.rs; do echo 'fn main() {}' > "$stub"; done \
    && touch backend/src/lib.rs migration/src/lib.rs \
    && cargo build --release --locked --package tenantry

# Then Tenantry itself. The stubs' build is newer than the copied sources: touch them so cargo
# rebuilds what they replace.
COPY backend backend
COPY migration migration
RUN touch backend/src/main.rs backend/src/lib.rs migration/src/lib.rs \
    && cargo build --release --locked --package tenantry \
    && mkdir -p /out/data \
    && cp target/release/tenantry /out/tenantry

FROM debian:${DEBIAN_RELEASE}-slim AS runtime

# Only the binary and the CA certificates it checks outgoing TLS with (custom-domain probes, SMTP).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/tenantry /usr/local/bin/tenantry
# The data directory belongs to the unprivileged user the server runs as. On SQLite (the default
# when no DATABASE_URL is given) the database is data/tenantry.db under it.
COPY --from=build --chown=10001:10001 /out/data /var/lib/tenantry
VOLUME ["/var/lib/tenantry"]
WORKDIR /var/lib/tenantry

# The master key's file, not the key: the key itself never enters the image.
# hadolint ignore=DL3064
ENV TENANTRY_HTTP__BIND=0.0.0.0:8080 \
    TENANTRY_LOG__FORMAT=json \
    TENANTRY_SECRETS__MASTER_KEY_FILE=/run/secrets/tenantry-master-key
EXPOSE 8080

USER 10001:10001
# `tenantry health` asks the server at TENANTRY_HTTP__BIND for /healthz: no curl in the image.
HEALTHCHECK --interval=15s --timeout=6s --start-period=30s --retries=3 \
    CMD ["tenantry", "health"]
# SIGTERM (docker stop) finishes the requests in flight before the server exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["tenantry"]
CMD ["serve"]
