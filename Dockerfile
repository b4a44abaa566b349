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
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/* /var/log/apt /var/log/dpkg.log \
    && groupadd --system --gid 10001 app && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app \
    && install -d -o app -g app /app /app/instance

WORKDIR /app
COPY requirements.txt .
# One venv layer, runtime packages only. requirements.txt stays the one list; the image takes tensorflow-cpu at the
# same version (the same `tensorflow` module without the CUDA-capable build), and drops TensorFlow's C++ headers
# (include/, ~430 MB, only for compiling custom ops). Byte-code is kept: the app's uid cannot write it at run time,
# and every training process imports TensorFlow. The CA secret is only there where HTTPS goes through a TLS proxy
# (docs/operations.md); elsewhere pip uses its own certificates.
RUN --mount=type=secret,id=ca python3 -m venv /opt/venv \
    && sed -E 's/^tensorflow==/tensorflow-cpu==/' requirements.txt > /tmp/requirements-image.txt \
    && PIP_CERT="$([ -f /run/secrets/ca ] && echo /run/secrets/ca)" \
       pip install --no-cache-dir --disable-pip-version-check -r /tmp/requirements-image.txt \
    && rm -rf /tmp/requirements-image.txt /opt/venv/lib/python3.11/site-packages/tensorflow/include \
    && python3 -c "import tensorflow, keras, flask, sklearn"

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
