#!/usr/bin/env bash
# The live figures of BENCHMARKS.md ("Live traffic"): the HEP collector's
# rate with nothing lost and its CPU per message, a soak's memory, and a
# flood of calls that never end.
#
#   bash benches/live.sh rates            # 10 s at each rate
#   bash benches/live.sh soak [MINUTES]   # 30 by default, 1 000 calls/s
#   bash benches/live.sh flood            # 60 s of INVITEs, each a new Call-ID
#   bash benches/live.sh iface            # SIPp on lo, read with -i lo (root)
#
# The sender is benches/hep_feed.py (HEP3 over UDP on loopback, six
# messages a call); sipline runs `watch --json` on --hep-listen. Lost =
# sent - read. CPU per message = sipline's user+system time / messages.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -q -p sipline-cli
bin=target/release/sipline
port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
tick=$(getconf CLK_TCK)
out=$(mktemp -d)

start() { # every
  "$bin" watch --json --every "$1" --hep-listen "127.0.0.1:$port" > "$out/windows.jsonl" 2> "$out/err" &
  pid=$!
  sleep 0.5
}
cpu() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$pid/status"; }
stop() {
  kill -INT "$pid"; wait "$pid"
  python3 - "$out/windows.jsonl" <<'PY'
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]["since_start"]
print(json.dumps({"read": last["totals"]["messages"], "kernel_dropped": last["not_read"]["packets-dropped-by-kernel"],
                  "established": last["calls"]["by_outcome"]["established"], "evicted": last["calls"].get("evicted")}))
PY
}

case "${1:-rates}" in
rates)
  for rate in 1000 2000 3000 4000 6000; do
    start 10s
    c0=$(cpu)
    sent=$(python3 benches/hep_feed.py "127.0.0.1:$port" "$rate" 10)
    sleep 1
    c1=$(cpu)
    got=$(stop)
    echo "rate $rate calls/s: sent $sent; sipline $got; cpu $(( (c1 - c0) * 1000000 / tick )) us"
  done
  ;;
soak)
  minutes=${2:-30}
  start 60s
  python3 benches/hep_feed.py "127.0.0.1:$port" 1000 $((minutes * 60)) > "$out/sent" &
  feed=$!
  for m in $(seq 1 "$minutes"); do
    sleep 60
    echo "minute $m: rss $(rss) KiB, cpu $(( $(cpu) * 1000 / tick )) ms"
  done
  wait "$feed"
  sleep 1
  echo "sent $(cat "$out/sent"); sipline $(stop)"
  ;;
iface)
  for rate in 500 1000 2000 3000; do
    uas_port=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "$bin" stats --json -i lo --port "$uas_port" > "$out/stats.json" 2> "$out/err" &
    pid=$!
    sleep 0.5
    (cd "$out" && exec sipp -sn uas -i 127.0.0.1 -p "$uas_port" -t u1 -nostdin > /dev/null 2>&1) &
    sleep 0.5
    c0=$(cpu)
    (cd "$out" && sipp -sn uac -i 127.0.0.1 -t u1 -r "$rate" -m $((rate * 10)) -nostdin \
      -trace_stat -stf uac.csv "127.0.0.1:$uas_port" > /dev/null 2>&1) || true
    sleep 1
    c1=$(cpu)
    pkill -f "sipp -sn uas -i 127.0.0.1 -p $uas_port" || true
    kill -INT "$pid"; wait "$pid"
    python3 - "$out/stats.json" "$out/uac.csv" "$rate" "$(( (c1 - c0) * 1000000 / tick ))" <<'PY'
import csv, json, sys
v = json.load(open(sys.argv[1]))
rows = list(csv.DictReader(open(sys.argv[2]), delimiter=";"))
last = rows[-1]
ok, failed = int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"])
msgs = v["totals"]["messages"]
print(json.dumps({"rate": int(sys.argv[3]), "sipp_successful": ok, "sipp_failed": failed,
                  "invites_seen": v["requests"].get("INVITE"), "established": v["calls"]["by_outcome"]["established"],
                  "messages": msgs, "kernel_dropped": v["not_read"]["packets-dropped-by-kernel"],
                  "cpu_us_per_message": round(int(sys.argv[4]) / max(msgs, 1), 2)}))
PY
    rm -f "$out"/*.csv
  done
  ;;
flood)
  start 10s
  for m in 1 2 3 4 5 6; do
    python3 benches/hep_feed.py "127.0.0.1:$port" 10000 10 --first $((m * 100000)) --invites-only > /dev/null
    echo "after $((m * 10)) s: rss $(rss) KiB"
  done
  stop
  ;;
esac
rm -rf "$out"
