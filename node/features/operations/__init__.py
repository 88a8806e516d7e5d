"""Operating a node: health checks (``/healthz``, ``/readyz``) and Prometheus metrics
(``/metrics``), neither public unless configured."""
