#!/usr/bin/env bash
# `sipline stats` (with its calls section, the default, and with
# --no-calls) against `tshark -q -z sip,stat` and `sngrep -I FILE -N -q`
# (Debian's sngrep) on a capture of at least 100 MB made by repeating the
# UDP frames of the corpus captures: the best wall time of three runs and
# the peak memory (GNU time's maximum resident set size) of each, the
# ratios, and a check that sipline and tshark count the same responses.
# Prints a markdown table row per tool.
#
#   bash benches/stats_vs_tshark.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-100}"
command -v tshark >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }
command -v sngrep >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends sngrep; }
[ -x /usr/bin/time ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time; }
cargo build --release --quiet
big="${TMPDIR:-/tmp}/sipline-big.pcap"
inputs=(corpus/captures/loopback.pcap)
[ -f ../shared/corpus/captured/loopback.pcap ] && inputs+=(../shared/corpus/captured/loopback.pcap)
python3 benches/replicate_pcap.py "$big" "$size" "${inputs[@]}"

measure() { # name, command...: best wall (s) of 3 runs, peak RSS (MiB)
  local name=$1; shift
  local log; log=$(mktemp)
  local best= rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$log" "$@" > "$log.out" 2>/dev/null
    read -r wall kb < "$log"
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  echo "$name|$best|$((rss / 1024))"
  eval "wall_${name//-/_}=$best"
  cp "$log.out" "/tmp/sipline-bench-$name.out"
  rm -f "$log" "$log.out"
}
echo "tool|best wall of 3 (s)|peak RSS (MiB)"
measure sipline ./target/release/sipline stats --json "$big"
measure sipline-no-calls ./target/release/sipline stats --no-calls --json "$big"
measure tshark tshark -q -z sip,stat -r "$big"
measure sngrep sngrep -I "$big" -N -q
awk -v s="$wall_sipline" -v n="$wall_sipline_no_calls" -v t="$wall_tshark" -v g="$wall_sngrep" 'BEGIN {
  printf "ratios: tshark / sipline %.1fx (no calls %.1fx); sngrep / sipline %.1fx (no calls %.1fx)\n", t / s, t / n, g / s, g / n }'
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

echo
echo "TCP: 5 000 concurrent connections, every message in two segments"
tcp_dir="${TMPDIR:-/tmp}/sipline-scale"
[ -f "$tcp_dir/many-connections.pcap" ] || python3 benches/make_tcp_captures.py "$tcp_dir" 5000 20 1 1
tcp="$tcp_dir/many-connections.pcap"
echo "tool|best wall of 3 (s)|peak RSS (MiB)"
measure tcp-sipline ./target/release/sipline stats --json "$tcp"
measure tcp-sipline-no-calls ./target/release/sipline stats --no-calls --json "$tcp"
measure tcp-tshark tshark -q -z sip,stat -r "$tcp"
measure tcp-sngrep sngrep -I "$tcp" -N -q
awk -v s="$wall_tcp_sipline" -v n="$wall_tcp_sipline_no_calls" -v t="$wall_tcp_tshark" -v g="$wall_tcp_sngrep" 'BEGIN {
  printf "ratios: tshark / sipline %.1fx (no calls %.1fx); sngrep / sipline %.1fx (no calls %.1fx)\n", t / s, t / n, g / s, g / n }'
python3 -c "import json; d = json.load(open('/tmp/sipline-bench-tcp-sipline.out')); print('messages', d['totals']['messages'], 'all_read', d['all_read'])"
