# syntax=docker/dockerfile:1
# Build stage: the workspace, with cargo's registry and target cached between builds.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin api \
    && cp target/release/api /usr/local/bin/api

# Runtime stage: a small Debian with the binary, running as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --create-home --home-dir /app app \
    && mkdir -p /app/data && chown app:app /app/data
COPY --from=build /usr/local/bin/api /usr/local/bin/api
WORKDIR /app
USER app
ENV HOST=0.0.0.0 PORT=8000 LOG_FORMAT=json
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8000/health/ready || exit 1
ENTRYPOINT ["api"]
CMD ["serve"]
