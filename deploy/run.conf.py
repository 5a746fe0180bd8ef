"""gunicorn settings for `make run`: one process serving the demo on SQLite, `gunicorn -c deploy/run.conf.py`.

One gevent worker, as Flask-SocketIO's deployment guide documents for gunicorn (`gunicorn -k gevent -w 1`):
Socket.IO long-polling needs every request of a client in the process holding its session, and one process is
what SQLite can take. WebSocket goes through simple-websocket on gevent. Unlike Flask's development server
(`make dev`), it closes connections that stay idle or trickle their request headers for `keepalive` seconds,
and names itself without a version. Scale-out (several processes, PostgreSQL, Redis) uses
deploy/gunicorn.conf.py instead. The Makefile passes --bind; CIVIC_* variables configure the app.
"""

import os
from pathlib import Path

wsgi_app = "wsgi:app"
chdir = str(Path(__file__).resolve().parent.parent)  # the repository root, where wsgi.py lives
bind = ["127.0.0.1:5000"]

worker_class = "gevent"
workers = 1  # never more: see above
worker_connections = 1000  # open pages (each holds a Socket.IO connection) and requests at once
preload_app = False  # the app is imported after gevent has monkey-patched the standard library

# gevent's worker reads each request's headers (the first on a connection too) within `keepalive` seconds,
# then closes the connection: idle and trickling connections cannot pile up.
keepalive = 5
timeout = 30  # a worker that stops answering its heartbeat this long (a request stuck in C code) is restarted
graceful_timeout = 4  # within tools/demo_run.py's grace, so Ctrl-C stops the server before the city

# gunicorn >= 25.1 opens a control socket at one path per user; a demo has no use for it.
control_socket_disable = True

accesslog = "-"
errorlog = "-"
loglevel = "info"

os.environ.setdefault("CIVIC_SOCKETIO_ASYNC_MODE", "gevent")  # gevent workers need the gevent Socket.IO server
