# marketbot: one small image with the binary, the shipped rules and an example config.
#
#   docker build -t marketbot .
#   docker run -d --name marketbot -e MARKETBOT_TELEGRAM_TOKEN=... -v marketbot-data:/data marketbot
#
# Override the config by mounting your own at /etc/marketbot/marketbot.toml, the rules by
# mounting a directory at /etc/marketbot/rules (changes need a restart for now).

FROM docker.io/library/rust:1.95-slim-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: changing the code does not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src benches \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && for b in matching replay fanout audience scale; do echo 'fn main() {}' > benches/$b.rs; done \
 && cargo build --release --locked \
 && rm -rf src benches
COPY src ./src
COPY benches ./benches
# The chart font is compiled into the binary.
COPY assets ./assets
# Make sure cargo sees the real sources as newer than the placeholder build.
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && mkdir -p /out/data \
 && cp target/release/marketbot /out/marketbot

FROM docker.io/library/debian:bookworm-slim
# TLS roots are compiled into the binary (rustls + webpki-roots), and so are the time-zone
# database (chrono-tz) and the charts' font: the runtime needs nothing beyond glibc.
RUN groupadd --system --gid 10001 marketbot \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /data --shell /usr/sbin/nologin marketbot
COPY --from=build /out/marketbot /usr/local/bin/marketbot
COPY rules /etc/marketbot/rules
COPY marketbot.example.toml /etc/marketbot/marketbot.toml
# A named volume starts as a copy of this directory, owned by the bot's user.
COPY --from=build --chown=10001:10001 /out/data /data
ENV MARKETBOT_CONFIG=/etc/marketbot/marketbot.toml \
    MARKETBOT_STORAGE_PATH=/data \
    MARKETBOT_RULES_DIR=/etc/marketbot/rules \
    MARKETBOT_LOG=info
USER 10001:10001
VOLUME ["/data"]
# The bot handles SIGTERM itself: it finishes the current step and flushes sled.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/usr/local/bin/marketbot", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/marketbot"]
CMD ["run"]
