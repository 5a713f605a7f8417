FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN DEBUG=1 python manage.py collectstatic --noinput -v 0 \
    && useradd --system --uid 1000 portal && chown -R portal /app/var
USER portal

EXPOSE 8000
# Threaded workers (gthread): a long streamed export holds one thread, not a whole worker, and is not
# killed by the sync worker's 30 s timeout (benchmarks/README.md, soak test).
CMD ["sh", "-c", "python manage.py migrate --noinput && python manage.py load_demo_data && gunicorn portal.wsgi --bind 0.0.0.0:8000 --workers 2 --worker-class gthread --threads 4"]
