# marketbot: a small image with the binary, the shipped rules and an example config, on a
# distroless runtime (glibc and libgcc, no shell, no package manager), running as uid 10001.
#
# Build:
#   docker build -t marketbot .
#
# Run (without a token the bot runs and prints its alerts to the console):
#   docker run -d --name marketbot --restart unless-stopped --stop-timeout 30 \
#     -e MARKETBOT_TELEGRAM_TOKEN=123456789:AA... \
#     -e MARKETBOT_TELEGRAM__ADMINS=<your Telegram user id> \
#     -p 127.0.0.1:9464:9464 \
#     -v marketbot-data:/data \
#     marketbot
# Port 9464 serves /metrics, /healthz and /readyz; bound to the host's loopback only here.
# `docker stop` sends SIGTERM: the bot finishes its current step and flushes its state, which
# --stop-timeout 30 leaves time for. Any config key can be set as MARKETBOT_<SECTION>__<KEY>.
#
# Check and test rules and config with the image, the shipped ones or your own:
#   docker run --rm marketbot check /etc/marketbot/rules /etc/marketbot/marketbot.toml
#   docker run --rm marketbot test /etc/marketbot/rules
#   docker run --rm -v ./rules:/etc/marketbot/rules:ro marketbot check /etc/marketbot/rules
#   docker run --rm -v ./rules:/etc/marketbot/rules:ro marketbot test /etc/marketbot/rules
#
# Override the config by mounting your own at /etc/marketbot/marketbot.toml, the rules by
# mounting a directory at /etc/marketbot/rules. scripts/image-check builds the image and
# proves all of this (size, user, check, test, start, healthcheck, SIGTERM).

FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: changing the code does not rebuild them. Cargo
# wants a file for every [[bench]] of Cargo.toml: a placeholder for each name found there.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && for b in $(awk '/^\[\[bench\]\]/ { b = 1; next } b && /^name *=/ { gsub(/.*= *"|".*/, ""); print; b = 0 }' Cargo.toml); do \
      echo 'fn main() {}' > "benches/$b.rs"; \
    done \
 && cargo build --release --locked \
 && rm -rf src benches
COPY src ./src
COPY benches ./benches
# The chart font is compiled into the binary.
COPY assets ./assets
# Make sure cargo sees the real sources as newer than the placeholder build. The runtime has
# no shell, so the data directory is made here and copied with its owner.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && mkdir -p /out/data \
 && cp target/release/marketbot /out/marketbot

# glibc and libgcc_s are all the binary links (readelf -d: libc.so.6, libm.so.6,
# libgcc_s.so.1, ld-linux): TLS roots (rustls + webpki-roots), the time-zone database
# (chrono-tz) and the charts' font are compiled in.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/marketbot /usr/local/bin/marketbot
COPY rules /etc/marketbot/rules
COPY marketbot.example.toml /etc/marketbot/marketbot.toml
# A named volume starts as a copy of this directory, owned by the bot's user. uid 10001, as
# in earlier images, so existing volumes stay writable.
COPY --from=build --chown=10001:10001 /out/data /data
ENV MARKETBOT_CONFIG=/etc/marketbot/marketbot.toml \
    MARKETBOT_STORAGE_PATH=/data \
    MARKETBOT_RULES_DIR=/etc/marketbot/rules \
    MARKETBOT_LOG=info,sled=warn,hyper=warn,reqwest=warn,teloxide=warn \
    MARKETBOT_HTTP__LISTEN=0.0.0.0:9464
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9464
# The bot handles SIGTERM itself: it finishes the current step and flushes sled.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/marketbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/marketbot"]
CMD ["run"]
