#!/usr/bin/env bash
# Load benchmark of `mnist serve` with wrk: predictions/s and p50/p99 latency for one model, with
# one and 64 images per TF Serving :predict request, with and without dynamic batching. Each
# configuration's reply is checked (one row of 10 probabilities per image, each the digit sent)
# before it is timed, and a run with any non-200 reply fails.
#   serve_load.sh MNIST MODEL_FILE LABEL [seconds per run, default 10] [connections, default 16]
set -euo pipefail
mnist=$1 model=$2 label=$3 secs=${4:-10} conns=${5:-16}
here=$(cd "$(dirname "$0")" && pwd)
command -v wrk >/dev/null || { echo "serve_load.sh: wrk not found (Debian package wrk)" >&2; exit 1; }
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Milliseconds from wrk's "1.23ms" / "456.00us" / "1.02s".
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }

printf '%-5s %-7s %-9s %14s %12s %9s %9s\n' model images batching predictions/s requests/s p50_ms p99_ms
for images in 1 64; do
  # The 7 of examples/requests, $images times.
  /usr/bin/python3 - "$here/../examples/requests/tf_serving.json" "$images" >"$work/body.json" <<'PY'
import json, sys
one = json.load(open(sys.argv[1]))["instances"][0]
print(json.dumps({"instances": [one] * int(sys.argv[2])}))
PY
  for batching in on off; do
    opts=(--port 0 --threads 8)
    [ "$batching" = off ] && opts+=(--no-batching)
    "$mnist" serve --model-file "$model" "${opts[@]}" 2>"$work/server.err" >/dev/null &
    server=$!
    url=
    for _ in $(seq 300); do
      url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$work/server.err" | head -1 || true)
      [ -n "$url" ] && break
      kill -0 "$server" 2>/dev/null || { cat "$work/server.err" >&2; exit 1; }
      sleep 0.1
    done
    [ -n "$url" ] || { echo "serve_load.sh: the server did not start" >&2; exit 1; }
    endpoint="${url}v1/models/mnist:predict"
    curl -sS -X POST -H 'Content-Type: application/json' --data-binary @"$work/body.json" "$endpoint" >"$work/reply.json"
    /usr/bin/python3 - "$work/reply.json" "$images" <<'PY' || { echo "serve_load.sh: wrong reply from $label" >&2; exit 1; }
import json, sys
rows = json.load(open(sys.argv[1]))["predictions"]
assert len(rows) == int(sys.argv[2]), len(rows)
for r in rows:
    assert len(r) == 10 and abs(sum(r) - 1) < 1e-3 and max(range(10), key=r.__getitem__) == 7, r
PY
    NN_BODY="$work/body.json" wrk -t1 -c"$conns" -d"${secs}s" --latency -s "$here/serve_load.lua" "$endpoint" >"$work/wrk.txt"
    # Failed replies, and timed-out requests (which would drop out of the latencies), fail the run.
    # Read errors (an answer wrk could not parse, or a connection closed under it) are reported.
    if grep -qE "Non-2xx|timeout [1-9]" "$work/wrk.txt"; then
      cat "$work/wrk.txt" >&2
      echo "serve_load.sh: some requests failed or timed out" >&2
      exit 1
    fi
    grep -h "Socket errors" "$work/wrk.txt" | sed "s/^ */serve_load.sh: $label $images\/request batching $batching: /" >&2 || true
    rps=$(awk '/^Requests\/sec:/ {print $2}' "$work/wrk.txt")
    p50=$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk.txt")")
    p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.txt")")
    awk -v m="$label" -v i="$images" -v b="$batching" -v r="$rps" -v p50="$p50" -v p99="$p99" \
      'BEGIN { printf "%-5s %-7s %-9s %14.0f %12.0f %9.2f %9.2f\n", m, i, b, r * i, r, p50, p99 }'
    kill "$server"
    wait "$server" 2>/dev/null || true
    server=
  done
done
