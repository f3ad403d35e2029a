# syntax=docker/dockerfile:1
# MyloWare's production image: one image, every role (`myloware api|worker|relay|migrate`).
# Build: docker build -t myloware:0.1.0 .   (see docs/deploy.md)

ARG PYTHON_VERSION=3.11

# --- build: wheels of the project and its dependencies, in a virtual environment ----------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
# a compiler for any dependency without a wheel for this platform (it stays in this stage)
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/myloware
ENV PATH=/opt/myloware/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-compile . \
    && find /opt/myloware -name '__pycache__' -prune -exec rm -rf {} +

# --- runtime: the virtual environment, no compilers, a user of its own ------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="MyloWare" \
      org.opencontainers.image.description="AI document processing with human approval" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0"
# libgomp1: onnxruntime (OCR, memory embeddings); the rest of the native code ships in wheels
RUN apt-get update \
    && apt-get install -y --no-install-recommends libgomp1 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 myloware \
    && useradd --system --uid 10001 --gid myloware --home-dir /var/lib/myloware \
       --create-home --shell /usr/sbin/nologin myloware
COPY --from=build /opt/myloware /opt/myloware
ENV PATH=/opt/myloware/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    MYLOWARE_ENV=production \
    MYLOWARE_DATA_DIR=/var/lib/myloware \
    MYLOWARE_API_HOST=0.0.0.0 \
    MYLOWARE_API_PORT=8080 \
    MYLOWARE_LOG_JSON=true
WORKDIR /var/lib/myloware
USER 10001:10001
EXPOSE 8080
# the API's real check of PostgreSQL, Redis and Temporal; worker and relay containers set
# HEALTHCHECK_URL to their MYLOWARE_METRICS_PORT's /metrics (compose and the chart do)
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os,sys,urllib.request as u; p=os.environ.get('HEALTHCHECK_URL') or 'http://127.0.0.1:%s/health' % os.environ.get('MYLOWARE_API_PORT','8080'); sys.exit(0 if u.urlopen(p, timeout=4).status == 200 else 1)"]
ENTRYPOINT ["myloware"]
CMD ["api"]
