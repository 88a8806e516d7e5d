"""The reads benchmark's client, run in its own process: GET one path over one keep-alive
connection, one request at a time, and print the latencies' p50/p99 (ms) and the statuses
seen, as JSON. Redirects are not followed (an old ``?page=N`` link is timed to its 301). A
slow page stops after BUDGET seconds (with at least 20 samples), and says how many it took.

    python bench/reads_client.py PORT PATH ACCEPT REQUESTS BUDGET
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from collections import Counter

WARM_UP = 10


def main() -> None:
    port, path, accept, requests = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    budget = float(sys.argv[5])
    conn = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    headers = {"Accept": accept, "Host": "127.0.0.1:8999"}  # the node's base URL (bench_inbox)
    times, statuses = [], Counter[int]()
    clock = time.monotonic()
    for n in range(WARM_UP + requests):
        if n == WARM_UP:
            clock = time.monotonic()
        if len(times) >= 20 and time.monotonic() - clock > budget:
            break
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        elapsed = time.perf_counter() - started
        if n >= WARM_UP:
            times.append(elapsed * 1000)
            statuses[response.status] += 1
    times.sort()
    print(
        json.dumps(
            {
                "p50_ms": times[len(times) // 2],
                "p99_ms": times[min(len(times) - 1, int(len(times) * 0.99))],
                "statuses": dict(statuses),
                "n": len(times),
            }
        )
    )


if __name__ == "__main__":
    main()
