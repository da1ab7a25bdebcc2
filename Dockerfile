# syntax=docker/dockerfile:1
# The shop with its chat, as fly.io runs it (see docs/deploy.md).
#   docker build -t shop . && docker run -p 8000:8000 -e SECRET_KEY=... shop
# Stage 1 builds the widget; stage 2 is the site. Node, npm and the widget's sources stay
# in stage 1: the image ships only the built files.

ARG NODE_VERSION=20
ARG PYTHON_VERSION=3.11

FROM node:${NODE_VERSION}-slim AS widget
WORKDIR /src/widget
# Lockfile first: the npm layer is rebuilt only when dependencies change, not on every edit.
COPY widget/package.json widget/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY widget/ ./
# The build writes into ../chatbot/static/chatbot, as it does in the repository.
RUN mkdir -p /src/chatbot/static/chatbot && npm run build


FROM python:${PYTHON_VERSION}-slim AS site

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    STATICFILES_BACKEND=servestatic.storage.CompressedManifestStaticFilesStorage \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /app

# A fixed uid, so volume permissions and `fly ssh console` sessions agree across builds.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home app

# Every runtime dependency ships as a wheel (psycopg[binary] carries its own libpq), so no
# compiler or -dev package ever enters the image.
COPY requirements.txt ./
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
COPY --from=widget /src/chatbot/static/chatbot/ ./chatbot/static/chatbot/

# Static files are collected now, hashed and pre-compressed, so a machine starts without
# writing to disk and servestatic serves them with year-long cache headers. The key only
# lets settings load; nothing signed during the build outlives it.
RUN SECRET_KEY=collectstatic-build-only python manage.py collectstatic --noinput \
    && mkdir -p /app/data && chown app:app /app/data

# The code stays root-owned and read-only to the server; /app/data is the one writable place
# (e.g. DATABASE_URL=sqlite:////app/data/db.sqlite3 on a mounted volume for a trial run).
# Numeric, so runtimes that check "runAsNonRoot" can tell without reading /etc/passwd.
USER 10001:10001

EXPOSE 8000

# fly uses the checks in fly.toml; this one serves `docker run` and compose.
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=2)"]

CMD ["bin/serve"]
