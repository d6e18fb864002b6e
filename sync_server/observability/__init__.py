"""What operators watch: Prometheus metrics, health checks, structured logs with request ids.

``metrics`` holds the process-wide instruments (requests, uploads, stages); ``collector`` reads the
database gauges at scrape time through ``readings``; ``http_observer`` times every request, gives it an
id and writes the access log; ``logs`` configures logging (text or JSON); ``routes`` serves
``/metrics``, ``/health/live`` and ``/health/ready``; ``worker_endpoint`` serves a worker's metrics.
docs/operations.md is the operator's side of it.
"""
