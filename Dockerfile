# Keras Playground — the embedded default (one gunicorn process + its training worker pool).
# Base: Debian bookworm's own Python 3.11, so the image builds from Debian's packages alone
# (docs/operations.md explains why not python:3.11-slim).
FROM debian:bookworm-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    HOST=0.0.0.0 \
    PORT=8000 \
    TF_CPP_MIN_LOG_LEVEL=2

# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
COPY requirements.txt .
# The CA secret is only there where HTTPS goes through a TLS proxy (docs/operations.md); elsewhere pip's defaults.
RUN --mount=type=secret,id=ca python3 -m venv /opt/venv \
    && PIP_CERT="$([ -f /run/secrets/ca ] && echo /run/secrets/ca)" \
       pip install --no-cache-dir --disable-pip-version-check -r requirements.txt \
    && find /opt/venv -name '__pycache__' -prune -exec rm -rf {} +

COPY wsgi.py gunicorn.conf.py ./
COPY app/ app/
COPY static/ static/
COPY templates/ templates/

USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
# The README's run command without the set-up: `make run` runs exactly this.
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
