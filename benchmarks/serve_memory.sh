#!/usr/bin/env bash
# Memory of `mnist serve` under large uploads: eight clients at once each POST a 6324 x 6324 PNG
# of a digit (40 MP, just under the per-image limit; about 70 KB compressed) to the seeds' form
# endpoint; prints the server's peak resident memory (VmHWM) and the answers' codes. The decode
# budget (--max-decoding-pixels, 64 MP by default) keeps it from holding eight such images.
#   serve_memory.sh MNIST MODEL_FILE [extra serve options...]
set -euo pipefail
mnist=$1 model=$2
shift 2
work=$(mktemp -d)
server=
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# The PNG, written with zlib alone: gray, white paper, a dark vertical bar (a "1").
/usr/bin/python3 - "$work/big.png" <<'PY'
import struct, sys, zlib
n = 6324
row_white = b"\0" + b"\xff" * n
row_bar = b"\0" + b"\xff" * (n // 2 - 200) + b"\x00" * 400 + b"\xff" * (n - n // 2 - 200)
raw = b"".join(row_bar if n // 6 <= y < 5 * n // 6 else row_white for y in range(n))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", n, n, 8, 0, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
"$mnist" serve --model-file "$model" --port 0 --timeout 60 "$@" 2>"$work/server.err" >"$work/server.out" &
server=$!
url=
for _ in $(seq 300); do
  url=$(grep -oE 'http://127\.0\.0\.1:[0-9]+/' "$work/server.out" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$work/server.err" >&2; echo "serve_memory.sh: the server did not start" >&2; exit 1; }
for i in 1 2 3 4 5 6 7 8; do
  curl -s -o /dev/null -w '%{http_code}\n' -F "images=@$work/big.png" "$url" >"$work/code$i" &
done
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
codes=$(cat "$work"/code* | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')
hwm=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$server/status")
echo "serve peak resident memory, 8 x 40 MP uploads at once: ${hwm} MB (png $(($(stat -c %s "$work/big.png") / 1024)) KB; answers: $codes)"
