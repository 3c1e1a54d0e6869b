"""Gunicorn's settings, read from the working directory (the image's /app) by `gunicorn` in web's command.

The access log names the method and path, never the query string or the referring address: the caseload list is
searched by a patient's name (`?q=`), and the next page's referrer repeats it.
"""

import multiprocessing
import os

access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms'

# No request holds a worker for seconds: a statement running longer is cancelled, and the page says it took too
# long (settings.STATEMENT_TIMEOUT_MS). Read when the app loads, in each worker; the environment may set another.
os.environ.setdefault("STATEMENT_TIMEOUT_MS", "5000")

# Sync workers sized from the machine (gunicorn's own advice: two per core, and one), unless WEB_CONCURRENCY says.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
# A sync worker that has not answered for `timeout` seconds is killed, and writing a response counts: a
# supervisor's download (workspace/exports.py) is written while it is sent, a large program's year of Excel in
# about 30 s on a busy 2-core machine (docs/performance.md). Statements stay bounded by STATEMENT_TIMEOUT_MS.
timeout = 180
