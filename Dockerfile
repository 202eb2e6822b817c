# ProDev Nexus bot: docker build -t prodev-nexus . && docker run --env-file .env -v nexus-data:/data prodev-nexus
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/nexus.db \
    NEXUS_CONTENT_DIR=/app/content \
    NEXUS_HTTP_PORT=8080

WORKDIR /app
RUN useradd --create-home --uid 10001 nexus && mkdir -p /data && chown nexus:nexus /data

# Dependencies first, so code changes don't reinstall them.
COPY pyproject.toml README.md ./
RUN mkdir -p bot cogs && touch bot/__init__.py cogs/__init__.py && pip install . && pip uninstall -y prodev-nexus-bot

COPY bot ./bot
COPY cogs ./cogs
COPY content ./content
COPY migrations ./migrations

USER nexus
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"

ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
