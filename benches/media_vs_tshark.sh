#!/usr/bin/env bash
# `sipline stats` against `tshark -q -z rtp,streams` on a capture that is
# almost all RTP, generated here (benches/make_rtp_pcap.py: CALLS G.711 calls
# of SECONDS each, media both ways, SDP offer and answer; never stored):
# wall time (the median of RUNS runs for sipline, one run for tshark), peak
# RSS, the ratio, and a check that both count the same streams and packets
# and that sipline tied every stream to its call.
#
#   bash benches/media_vs_tshark.sh [CALLS [SECONDS [RUNS]]]   # default 1000 60 3
set -euo pipefail
cd "$(dirname "$0")/.."
calls="${1:-1000}" secs="${2:-60}" runs="${3:-3}"
command -v tshark >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }
[ -x /usr/bin/time ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time; }
cargo build --release --quiet
pcap="${TMPDIR:-/tmp}/sipline-rtp-$calls-$secs.pcap"
[ -f "$pcap" ] || python3 benches/make_rtp_pcap.py "$pcap" "$calls" "$secs"
echo "$pcap: $(du -m "$pcap" | cut -f1) MB"

walls=() rss=0
for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o /tmp/sipline-media.time ./target/release/sipline stats --json "$pcap" > /tmp/sipline-media.json
  read -r w kb < /tmp/sipline-media.time
  walls+=("$w"); [ "$kb" -gt "$rss" ] && rss=$kb
done
median=$(printf '%s\n' "${walls[@]}" | sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}')
/usr/bin/time -f "%e %M" -o /tmp/tshark-media.time tshark -q -z rtp,streams -r "$pcap" > /tmp/tshark-media.txt 2>/dev/null
read -r tw tkb < /tmp/tshark-media.time
echo "tool|wall s|peak RSS MiB"
echo "sipline stats (median of $runs)|$median|$((rss / 1024))"
echo "tshark -z rtp,streams|$tw|$((tkb / 1024))"
awk -v a="$tw" -v b="$median" 'BEGIN{printf "tshark / sipline: %.1fx\n", a / b}'
python3 - "$calls" <<'PY'
import json, re, sys
calls = int(sys.argv[1])
m = json.load(open("/tmp/sipline-media.json"))["media"]
rows = [l.split() for l in open("/tmp/tshark-media.txt") if re.match(r"\s*\d+\.\d+\s+\d+\.\d+\s+\d", l)]
t_streams, t_packets = len(rows), sum(int(r[8]) for r in rows)
print(f"streams: sipline {m['rtp_streams']}, tshark {t_streams}; packets: sipline {m['rtp_packets']}, tshark {t_packets}; "
      f"tied to calls {m['rtp_streams_tied_to_calls']}, calls with media {m['calls_with_media']}")
assert (m["rtp_streams"], m["rtp_packets"]) == (t_streams, t_packets), "the tools disagree"
assert m["rtp_streams_tied_to_calls"] == 2 * calls and m["calls_with_media"] == calls
PY
