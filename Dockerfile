# One image for web, worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
RUN useradd --create-home --uid 10001 app
WORKDIR /app

# Production's packages only, each checked against its hash in the lock (no embedded PostgreSQL, no tools).
COPY requirements/base.txt requirements/base.txt
RUN pip install --require-hashes -r requirements/base.txt

COPY . .
RUN DEBUG=true SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput \
 && mkdir -p /app/media && chown app /app/media

USER app
EXPOSE 8000
# gunicorn.conf.py: two sync workers per core, and one (WEB_CONCURRENCY overrides), and the statement timeout.
CMD ["gunicorn", "recovery_program.wsgi", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
