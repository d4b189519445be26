#!/usr/bin/env bash
# `sipline export` (messages as Parquet, CSV and JSON lines; call rows as
# Parquet) against `sipline stats` on the same capture of at least 100 MB
# (the UDP frames of the corpus captures repeated, as in
# stats_vs_tshark.sh): the best wall time of three runs, the peak memory
# (GNU time's maximum resident set size), the output's size against the
# capture's, and export's throughput as a share of stats'.
#
#   bash benches/export_vs_stats.sh [SIZE_MB]
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-100}"
[ -x /usr/bin/time ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time; }
cargo build --release --quiet
big="${TMPDIR:-/tmp}/sipline-big.pcap"
inputs=(corpus/captures/loopback.pcap)
[ -f ../shared/corpus/captured/loopback.pcap ] && inputs+=(../shared/corpus/captured/loopback.pcap)
python3 benches/replicate_pcap.py "$big" "$size" "${inputs[@]}"
out="${TMPDIR:-/tmp}/sipline-export-bench"
capture_bytes=$(stat -c %s "$big")

measure() { # name, output path, command...: best wall (s) of 3, peak RSS (MiB), output size
  local name=$1 path=$2; shift 2
  local log; log=$(mktemp)
  local best= rss=0
  for _ in 1 2 3; do
    rm -rf "$out"; mkdir -p "$out"
    /usr/bin/time -f "%e %M" -o "$log" "$@" > /dev/null 2>&1
    read -r wall kb < "$log"
    if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN{exit !(a < b)}'; then best=$wall; fi
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  local bytes=0
  [ -n "$path" ] && bytes=$(du -cb "$path" | tail -1 | cut -f1)
  awk -v n="$name" -v w="$best" -v r="$rss" -v b="$bytes" -v c="$capture_bytes" -v s="${wall_stats:-$best}" 'BEGIN {
    printf "%s|%s|%d|%.1f|%.2f|%.2f\n", n, w, r / 1024, b / 1048576, b / c, s / w }'
  eval "wall_${name//-/_}=$best"
  rm -f "$log"
}
echo "run|best wall of 3 (s)|peak RSS (MiB)|output (MiB)|output / capture|throughput / stats'"
measure stats "" ./target/release/sipline stats --json "$big"
measure export-parquet "$out/messages" ./target/release/sipline export -o "$out/messages" "$big"
measure export-parquet-1-thread "$out/messages" ./target/release/sipline export --threads 1 -o "$out/messages" "$big"
measure export-parquet-payload "$out/messages" ./target/release/sipline export --payload -o "$out/messages" "$big"
measure export-csv "$out/messages.csv" ./target/release/sipline export --format csv -o "$out/messages.csv" "$big"
measure export-jsonl "$out/messages.jsonl" ./target/release/sipline export --format jsonl -o "$out/messages.jsonl" "$big"
measure export-calls-parquet "$out/calls.parquet" ./target/release/sipline export --what calls -o "$out/calls.parquet" "$big"
echo "capture: $capture_bytes bytes"
rm -rf "$out"
