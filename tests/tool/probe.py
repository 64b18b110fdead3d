#!/usr/bin/env python3
"""A well-behaved client of `mnist serve` while something else attacks or loads it.

    probe.py BASE_URL SECONDS PREDICT_BODY_FILE P99_LIMIT_MS

For SECONDS, from a client address of its own (127.0.0.2: every 127/8 address is loopback, so a
per-client limit on the attacker's 127.0.0.1 does not shield it), it alternates GET
/v2/health/live and a TF Serving predict with the body in PREDICT_BODY_FILE, each on a fresh
connection with a 5 s timeout, and reads /metrics now and then for the open connections. Prints
one line of figures; exits 1 when a request failed or the p99 latency is not under the limit.
"""
import http.client
import sys
import time
import urllib.parse

base, seconds, body_file, limit_ms = sys.argv[1], float(sys.argv[2]), sys.argv[3], float(sys.argv[4])
url = urllib.parse.urlparse(base)
body = open(body_file, "rb").read()


def request(method, path, payload=None):
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=5, source_address=("127.0.0.2", 0))
    try:
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        conn.request(method, path, body=payload, headers=headers)
        reply = conn.getresponse()
        return reply.status, reply.read()
    finally:
        conn.close()


latencies, failures, most_open = [], [], 0
end = time.monotonic() + seconds
k = 0
while time.monotonic() < end:
    k += 1
    method, path, payload = ("GET", "/v2/health/live", None) if k % 2 else ("POST", "/v1/models/mnist:predict", body)
    start = time.monotonic()
    try:
        status, reply = request(method, path, payload)
        if status != 200:
            failures.append(f"{method} {path}: {status} {reply[:200]!r}")
    except Exception as e:  # a timeout, a reset, a refused connection
        failures.append(f"{method} {path}: {type(e).__name__}: {e}")
    latencies.append((time.monotonic() - start) * 1000.0)
    if k % 20 == 0:
        try:
            _, text = request("GET", "/metrics")
            for line in text.decode().splitlines():
                if line.startswith("nn_http_connections "):
                    most_open = max(most_open, int(float(line.split()[1])))
        except Exception as e:
            failures.append(f"GET /metrics: {type(e).__name__}: {e}")
    time.sleep(0.01)

latencies.sort()
p50 = latencies[len(latencies) // 2]
p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
print(f"probe: {len(latencies)} requests, {len(failures)} failed, p50 {p50:.2f} ms, p99 {p99:.2f} ms, "
      f"max {latencies[-1]:.2f} ms, most connections open {most_open}")
for f in failures[:5]:
    print("probe: failed:", f)
sys.exit(1 if failures or p99 >= limit_ms else 0)
