#!/usr/bin/env bash
# `sipline stats` against `tshark -q -z sip,stat` on the captures operators
# take at scale (issue 10): (a) the 105 MB UDP capture of stats_vs_tshark.sh,
# (b) 5 000 concurrent TCP connections, every message in two segments,
# (c) 200 000 short TCP flows, (d) UDP INVITEs, 30 % of them fragmented.
# Prints one markdown row per capture: wall time and peak RSS of each tool,
# the ratio, and the messages each counted.
#
#   bash benches/capture_scale.sh [OUTDIR]
set -euo pipefail
cd "$(dirname "$0")/.."
dir="${1:-${TMPDIR:-/tmp}/sipline-scale}"
command -v tshark >/dev/null || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tshark; }
[ -x /usr/bin/time ] || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends time; }
cargo build --release --quiet
mkdir -p "$dir"
[ -f "$dir/many-connections.pcap" ] || python3 benches/make_tcp_captures.py "$dir"
if [ ! -f "$dir/udp.pcap" ]; then
  inputs=(corpus/captures/loopback.pcap)
  [ -f ../shared/corpus/captured/loopback.pcap ] && inputs+=(../shared/corpus/captured/loopback.pcap)
  python3 benches/replicate_pcap.py "$dir/udp.pcap" 100 "${inputs[@]}"
fi

run() { # out-file, command... -> "seconds KiB"
  local out=$1; shift
  /usr/bin/time -f "%e %M" -o "$out.time" "$@" > "$out"
  cat "$out.time"
}
echo "| capture | sipline s | sipline MiB | tshark s | tshark MiB | ratio | messages sipline / tshark |"
echo "|---|---|---|---|---|---|---|"
for c in udp many-connections short-flows fragmented; do
  f="$dir/$c.pcap"
  read -r s_t s_m < <(run "$dir/$c.sipline.json" ./target/release/sipline stats --json "$f")
  read -r t_t t_m < <(run "$dir/$c.tshark.txt" tshark -q -z sip,stat -r "$f" 2>/dev/null)
  ours=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['totals']['messages'])" "$dir/$c.sipline.json")
  theirs=$(grep -Eo ':[[:space:]]*[0-9]+ Packets' "$dir/$c.tshark.txt" | grep -Eo '[0-9]+' | paste -sd+ | bc)
  # tshark lists each request method and each response code once: its sum
  # counts every message.
  ratio=$(python3 -c "print(f'{$t_t / max($s_t, 0.01):.0f}x')")
  echo "| $c | $s_t | $((s_m / 1024)) | $t_t | $((t_m / 1024)) | $ratio | $ours / $theirs |"
done
