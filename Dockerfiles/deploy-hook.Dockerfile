# syntax=docker/dockerfile:1.10
#
# deploy-hook — the smoke gate of blue/green, linear and canary deployments:
# an AWS Lambda function (container image) that ECS invokes as a lifecycle
# hook at POST_TEST_TRAFFIC_SHIFT (apps/deploy-hook/README.md).
#
# Build from the repository root (the build context):
#   docker build -f Dockerfiles/deploy-hook.Dockerfile -t deploy-hook:dev .
#
# Stages: the shared chef -> planner -> builder stages of every Dockerfile of
# this folder (byte-identical, so BuildKit compiles the workspace once for
# all the images), then a runtime stage for a Lambda custom runtime:
# distroless/static, non-root, the static binary as ENTRYPOINT. The binary
# carries its own Lambda runtime interface client (the lambda_runtime
# crate), so no AWS base image and no `bootstrap` file are needed: Lambda
# starts a container image's ENTRYPOINT. A function image has no HEALTHCHECK
# and no EXPOSE: Lambda runs neither, the function only calls out to the
# Runtime API (scripts/containers/policy.py, function rules).

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

# ---- runtime: deploy-hook ----
# distroless/static: CA certificates (for an https base_url), no shell, no
# package manager, about 2 MB. Lambda mounts the root filesystem read-only
# with a writable /tmp, which the function does not use.
FROM gcr.io/distroless/static-debian13:nonroot AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=1970-01-01T00:00:00Z
ARG SOURCE=unknown
LABEL org.opencontainers.image.title="deploy-hook" \
      org.opencontainers.image.description="ECS lifecycle hook (AWS Lambda): smoke gate of a new service revision through the test listener" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian13:nonroot"
# Owned by root and not writable: the function's user cannot replace it.
COPY --from=builder --chown=0:0 --chmod=0555 /out/deploy-hook /usr/local/bin/deploy-hook
ENV RUST_LOG=info
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/deploy-hook"]
