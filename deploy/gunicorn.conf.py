"""Gunicorn settings for the Jimu CRM web processes.

The application and its logging come from the PasteDeploy file::

    gunicorn --config deploy/gunicorn.conf.py --paste deploy/production.ini

Command-line options and ``GUNICORN_CMD_ARGS`` override what is set here
(the compose file does so for ``--bind``).
"""

import os

# nginx on the same machine is the only client; it terminates TLS.
bind = "127.0.0.1:8000"

# Sync workers: rendering is CPU-bound, and nginx buffers slow clients.
worker_class = "sync"


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))  # honours cpusets and taskset
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# WEB_CONCURRENCY (gunicorn's own convention) overrides the CPU-based default.
workers = int(os.environ.get("WEB_CONCURRENCY", 0)) or 2 * _cpus() + 1

# Recycle each worker after about a thousand requests, spread so that they do
# not all restart at once; this bounds slow memory growth (including the
# per-schema catalog cache of its database connections).
max_requests = 1000
max_requests_jitter = 200

timeout = 30
graceful_timeout = 30
# Sync workers close the connection after each response; nginx does not reuse it.
keepalive = 2

# Each worker imports the app and opens its own database pool after the fork;
# a preloaded app would share the pool's sockets between processes.
preload_app = False

# Trust X-Forwarded-Proto (https) only from the local nginx.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Errors to stderr (journald or the container log); nginx keeps the access log.
errorlog = "-"
accesslog = None
proc_name = "jimu-web"

# Recent gunicorn releases open a control socket under $HOME by default; this
# service is managed with signals (systemctl reload sends HUP) instead.
control_socket_disable = True
