# syntax=docker/dockerfile:1.10
#
# inventory-app — Movie inventory API (PostgreSQL database movies)
#
# Build from the repository root (the build context):
#   docker build -f Dockerfiles/inventory-app.Dockerfile -t inventory-app:dev .
#
# Stages: chef (toolchain + cargo-chef) -> planner (dependency recipe) ->
# builder (dependencies cooked in their own layer, then the workspace's three
# service binaries and the deploy-hook function, static,
# x86_64/aarch64-unknown-linux-musl) -> runtime (distroless/static, non-root,
# just the binary).
#
# Everything above the "runtime" marker is byte-identical in every
# Dockerfile of this folder (scripts/checks/30-containers.sh enforces it), so
# BuildKit builds the shared stages once for all the images: `docker compose
# build` and scripts/release.sh compile the workspace a single time.

FROM rust:1.95.0-slim-trixie AS chef
ARG CARGO_CHEF_VERSION=0.1.78
ARG TARGETARCH
# musl-tools provides musl-gcc for the C and assembly parts of `ring`
# (rustls' crypto provider). Apt versions are not pinned: the base image tag
# pins the Debian suite, and Debian drops superseded versions from it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends musl-tools \
    && rm -rf /var/lib/apt/lists/*
# One Rust target per image platform. Cross-arch images build under emulation
# (buildx --platform linux/arm64), so musl-gcc is always the native one.
RUN case "${TARGETARCH:-amd64}" in \
        amd64) arch=x86_64 ;; \
        arm64) arch=aarch64 ;; \
        *) echo "unsupported TARGETARCH ${TARGETARCH}" >&2; exit 1 ;; \
    esac \
    && echo "${arch}-unknown-linux-musl" > /rust-target \
    && rustup target add "$(cat /rust-target)" \
    && cargo install cargo-chef --locked --version "${CARGO_CHEF_VERSION}" \
    && rm -rf /usr/local/cargo/registry
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: this layer is reused until Cargo.toml/Cargo.lock change.
RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    cargo chef cook --release --locked --target "$(cat /rust-target)" \
        -p inventory-app -p billing-app -p api-gateway-app -p deploy-hook --recipe-path recipe.json
# Only what the services and the function compile from (every workspace member's manifest must
# exist, so infragen's sources come along; they are not compiled).
COPY Cargo.toml Cargo.lock ./
COPY apps apps
COPY infragen infragen
RUN --mount=type=cache,id=cargo-registry,target=/usr/local/cargo/registry,sharing=locked \
    cargo build --release --locked --target "$(cat /rust-target)" \
        -p inventory-app -p billing-app -p api-gateway-app -p deploy-hook \
    && mkdir -p /out/empty \
    && for app in inventory-app billing-app api-gateway-app deploy-hook; do \
        cp "target/$(cat /rust-target)/release/${app}" "/out/${app}"; \
    done

# ---- runtime: inventory-app ----
# distroless/static: CA certificates, tzdata, /etc/passwd with nonroot
# (65532), no shell, no package manager, about 2 MB. The binary is static
# (musl), so no libc is needed.
FROM gcr.io/distroless/static-debian13:nonroot AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="inventory-app" \
      org.opencontainers.image.description="Movie inventory API (PostgreSQL database movies)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian13:nonroot"
# Owned by root and not writable: the service user cannot replace its binary.
COPY --from=builder --chown=0:0 --chmod=0555 /out/inventory-app /usr/local/bin/inventory-app
ENV HTTP_HOST=0.0.0.0 \
    HTTP_PORT=8080 \
    LOG_FORMAT=json \
    RUST_LOG=info
USER 65532:65532
EXPOSE 8080
STOPSIGNAL SIGTERM
# The binary probes its own /healthz (docs/contracts.md): no shell, no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=15s --retries=3 \
    CMD ["/usr/local/bin/inventory-app", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/inventory-app"]
