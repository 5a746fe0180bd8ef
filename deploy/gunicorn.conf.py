"""gunicorn settings for one civic server process: `gunicorn -c deploy/gunicorn.conf.py` (from anywhere).

Scale out by running several of these processes, each on its own port (`--bind 127.0.0.1:8001`, ...,
e.g. a systemd template unit), all with the same CIVIC_DATABASE_URL (PostgreSQL) and CIVIC_REDIS_URL, behind
a proxy with sticky sessions (deploy/nginx.conf). Settings for the app itself come from CIVIC_* environment
variables (deploy/civic.env.example); command-line options override anything set here.
"""

import os
from pathlib import Path

wsgi_app = "wsgi:app"
chdir = str(Path(__file__).resolve().parent.parent)  # the repository root, where wsgi.py lives

bind = ["127.0.0.1:8000"]

# One gevent worker per process, never more: Socket.IO long-polling sends each client's requests to the
# process holding its session, and gunicorn spreads requests over its workers with no stickiness. More
# capacity = more processes behind the proxy's sticky upstream, which also spreads them over the CPU cores.
worker_class = "gevent"
workers = 1
# Concurrent connections (greenlets) per process. Every open page holds a Socket.IO connection; database
# work waits for one of the SQLAlchemy pool's connections (5 + 10 overflow per process by default), so
# PostgreSQL's max_connections must cover processes x 15 plus the cron jobs.
worker_connections = 1000

# Not preloaded: the app must be imported after the worker has monkey-patched the standard library for
# gevent (sockets, threads, select: what psycopg, redis-py and the background job rely on to cooperate).
preload_app = False

timeout = 30  # a worker that stops answering its heartbeat this long is restarted
graceful_timeout = 10
keepalive = 5  # behind nginx, which reuses upstream connections (keepalive in deploy/nginx.conf)

# Trust X-Forwarded-* only from the local proxy; the app itself reads them with CIVIC_PROXY_HOPS=1.
forwarded_allow_ips = "127.0.0.1"

# gunicorn >= 25.1 opens a control socket for `gunicornc` at one path per user: several processes would take
# it from each other. Off; give each process its own `--control-socket /run/civic/8001.ctl` to use gunicornc.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = "info"

# With gevent workers the Socket.IO server must use gevent too; set here so an operator cannot forget it.
os.environ.setdefault("CIVIC_SOCKETIO_ASYNC_MODE", "gevent")
