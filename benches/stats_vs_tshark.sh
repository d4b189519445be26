#!/usr/bin/env bash
# `sipline stats` against `tshark -q -z sip,stat` on a capture of at least
# 100 MB made by repeating the UDP frames of the corpus captures: wall time
# and peak memory (GNU time's maximum resident set size) of each, and a check
# that both count the same responses. Prints a markdown table row per tool.
#
#   bash benches/stats_vs_tshark.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-100}"
command -v tshark >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }
[ -x /usr/bin/time ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time; }
cargo build --release --quiet
big="${TMPDIR:-/tmp}/sipline-big.pcap"
inputs=(corpus/captures/loopback.pcap)
[ -f ../shared/corpus/captured/loopback.pcap ] && inputs+=(../shared/corpus/captured/loopback.pcap)
python3 benches/replicate_pcap.py "$big" "$size" "${inputs[@]}"

measure() { # name, command...
  local name=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" > "$log.out" 2> "$log"
  local wall rss
  wall=$(grep "Elapsed (wall clock)" "$log" | awk '{print $NF}')
  rss=$(grep "Maximum resident set size" "$log" | awk '{print $NF}')
  echo "$name|$wall|$((rss / 1024))" 
  cp "$log.out" "/tmp/sipline-bench-$name.out"
  rm -f "$log" "$log.out"
}
echo "tool|wall (m:s)|peak RSS (MiB)"
measure sipline ./target/release/sipline stats --json "$big"
measure tshark tshark -q -z sip,stat -r "$big"
python3 - <<'PY'
import json, re
ours = json.load(open("/tmp/sipline-bench-sipline.out"))
theirs = {}
for line in open("/tmp/sipline-bench-tshark.out"):
    m = re.match(r"\s*SIP (\d+) .*:\s*(\d+) Packets", line)
    if m:
        theirs[int(m.group(1))] = int(m.group(2))
total_ours = sum(ours["responses"].values())
print(f"responses counted: sipline {total_ours}, tshark {sum(theirs.values())}; "
      f"messages {ours['totals']['messages']}, capture bytes {ours['totals']['bytes_read']}")
PY
