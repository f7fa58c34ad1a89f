"""gunicorn settings for the web tier (deploy/systemd/ftu-web.service passes --bind).

Threads per process share the process's psycopg pool (DB_POOL_MAX connections), so the
database sees at most workers × DB_POOL_MAX connections per web machine: size
PostgreSQL's max_connections for every machine together (docs/deploy.md).
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "ftu.wsgi:application"
workers = int(os.environ.get("FTU_WEB_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "gthread"
threads = int(os.environ.get("FTU_WEB_THREADS") or 4)
timeout = 30
graceful_timeout = 30
keepalive = 5  # nginx keeps upstream connections open (upstream keepalive)
max_requests = 2000  # recycle workers now and then (memory fragmentation)
max_requests_jitter = 200
# nginx owns the access log (without query strings: they may hold search terms).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
proc_name = "ftu-web"
# X-Forwarded-Proto is trusted from these only (Django reads it via SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FTU_TRUSTED_PROXIES") or "127.0.0.1,::1"


def child_exit(server, worker):  # noqa: ANN001 - gunicorn's hook signature
    """Drop a dead worker's live gauges from the Prometheus files (multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
