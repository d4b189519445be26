#!/usr/bin/env bash
# sipline against its peers on the same captures, in one run: `sipline stats`
# (calls on, default threads), `tshark -q -z sip,stat`, `sngrep -N -q -I`
# and sipnab 0.5.231 (`-N -I F --portrange 1-65535 --report`, stdout to a
# file as for the others). For each tool and capture: wall time (median of
# RUNS, default 5), CPU time (user + system, of the same run), peak RSS (the
# largest of the runs), packets per second (capture packets / median wall,
# the unit sipnab publishes), the ratio of each peer's wall time to
# sipline's, and whether the tools agree on what they counted: responses by
# status code (sipline, tshark, sipnab's per-message lines), and calls by
# outcome beside sipnab's dialogs by state (printed, not compared: sipnab's
# dialogs are Call-IDs of any method). sngrep prints no counts with -N -q;
# it is timed only. sngrep takes minutes a run on the unfinished flows:
# TOOLS leaves it out.
#
# Captures (made here, never stored):
#   udp        SIZE_MB (default 100) of the corpus captures' UDP frames,
#              repeated with fresh Call-IDs (benches/replicate_pcap.py)
#   unfinished FLOWS (default 200000) TCP flows, each a SYN and half a head,
#              never closed (benches/make_tcp_captures.py)
#
#   bash benches/peers.sh [RUNS] [SIZE_MB] [FLOWS]
#   TOOLS="sipline tshark" bash benches/peers.sh 3     # a subset
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-5}"
size="${2:-100}"
flows="${3:-200000}"
tools="${TOOLS:-sipline tshark sngrep sipnab}"
dir="${TMPDIR:-/tmp}/sipline-peers"
mkdir -p "$dir"

need_deb() { # command package
  command -v "$1" >/dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2"
  }
}
need_deb tshark tshark
need_deb sngrep sngrep
[ -x /usr/bin/time ] || need_deb /usr/bin/time time
if [[ " $tools " == *" sipnab "* ]] && ! command -v sipnab >/dev/null; then
  # sipnab declares Rust 1.99 and two unstable library features: the
  # recipe of the developers' guide builds it on nightly.
  dpkg -s libpcap-dev >/dev/null 2>&1 || need_deb pcap-config libpcap-dev
  RUSTFLAGS='-Zcrate-attr=feature(substr_range,strip_circumfix)' cargo +nightly install sipnab \
    --version 0.5.231 --no-default-features --features native --ignore-rust-version --quiet
fi
cargo build --release --quiet -p sipline-cli

udp="$dir/udp-${size}mb.pcap"
if [ ! -f "$udp" ]; then
  inputs=(corpus/captures/loopback.pcap)
  [ -f ../shared/corpus/captured/loopback.pcap ] && inputs+=(../shared/corpus/captured/loopback.pcap)
  python3 benches/replicate_pcap.py "$udp" "$size" "${inputs[@]}"
fi
unfinished="$dir/unfinished-flows.pcap"
if [ ! -f "$dir/unfinished-$flows" ]; then
  ONLY=unfinished-flows python3 benches/make_tcp_captures.py "$dir" 1 1 "$flows" 1
  touch "$dir/unfinished-$flows"
fi

command_of() { # tool capture
  case $1 in
    sipline) echo ./target/release/sipline stats --json "$2" ;;
    tshark) echo tshark -q -z sip,stat -r "$2" ;;
    sngrep) echo sngrep -N -q -I "$2" ;;
    sipnab) echo sipnab -N -I "$2" --portrange 1-65535 --report ;;
  esac
}

measure() { # tool capture label: RUNS runs; prints one table row
  local tool=$1 cap=$2 label=$3 out="$dir/$label-$1"
  local walls=() cpus=() rss=0
  for _ in $(seq "$runs"); do
    # sipnab drops privileges to `nobody`: its output goes through a pipe.
    /usr/bin/time -f "%e %U %S %M" -o "$out.time" $(command_of "$tool" "$cap") 2>"$out.err" | cat >"$out.out"
    read -r wall user sys kb <"$out.time"
    walls+=("$wall")
    cpus+=("$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')")
    [ "$kb" -gt "$rss" ] && rss=$kb
  done
  # The median run, and its CPU time.
  local mid=$(( (runs - 1) / 2 ))
  local order
  order=$(for i in "${!walls[@]}"; do echo "${walls[$i]} $i"; done | sort -n | sed -n "$((mid + 1))p" | cut -d' ' -f2)
  echo "$label $tool ${walls[$order]} ${cpus[$order]} $((rss / 1024))" >>"$dir/results"
}

packets_of() { # capture: packets, by tshark's count of frames (capinfos may be absent)
  tshark -r "$1" -T fields -e frame.number 2>/dev/null | tail -1
}

: >"$dir/results"
for spec in "udp:$udp" "unfinished:$unfinished"; do
  label=${spec%%:*}
  cap=${spec#*:}
  echo "$label $(packets_of "$cap")" >>"$dir/packets"
  for tool in $tools; do
    measure "$tool" "$cap" "$label"
  done
done

python3 - "$dir" "$runs" <<'PY'
import collections, json, re, sys

d, runs = sys.argv[1], sys.argv[2]
rows = [l.split() for l in open(f"{d}/results")]
packets = {}
for l in open(f"{d}/packets"):
    k, v = l.split()
    packets[k] = int(v)
base = {r[0]: float(r[2]) for r in rows if r[1] == "sipline"}
print(f"| capture | tool | wall s (median of {runs}) | CPU s | peak RSS MiB | packets/s | wall ÷ sipline's |")
print("|---|---|---:|---:|---:|---:|---:|")
for label, tool, wall, cpu, rss in rows:
    wall = float(wall)
    pps = packets[label] / wall if wall > 0 else float("inf")
    ratio = f"{wall / base[label]:.1f}×" if label in base and base[label] > 0 else "–"
    print(f"| {label} ({packets[label]} packets) | {tool} | {wall:.2f} | {cpu} | {rss} | {pps:,.0f} | {ratio} |")


def sipline_counts(label):
    try:
        j = json.load(open(f"{d}/{label}-sipline.out"))
    except (OSError, ValueError):
        return None, None
    responses = {int(k): v for k, v in j.get("responses", {}).items()}
    calls = j.get("calls") or {}
    outcomes = calls.get("by_outcome") if isinstance(calls, dict) else None
    return responses, outcomes


def folded(ours, theirs):
    """sipline's counts with the codes tshark has no row for counted in its
    x99 row of the class, as tshark's sip,stat does (tests/cli_stats.rs)."""
    out = collections.Counter()
    for code, n in ours.items():
        out[code if code in theirs else code // 100 * 100 + 99] += n
    return dict(out)


def tshark_counts(label):
    out = collections.Counter()
    try:
        for line in open(f"{d}/{label}-tshark.out"):
            m = re.match(r"\s*SIP (\d{3}) .*?:\s*(\d+) Packets", line)
            if m:
                out[int(m.group(1))] += int(m.group(2))
    except OSError:
        return None
    return dict(out)


def sipnab_counts(label):
    responses = collections.Counter()
    states = collections.Counter()
    try:
        for line in open(f"{d}/{label}-sipnab.out", errors="replace"):
            m = re.match(r"\d\d:\d\d:\d\d\.\d+ \S+ -> \S+ (\d{3}) ", line)
            if m:
                responses[int(m.group(1))] += 1
                continue
            m = re.match(r"\S+\s+\S+\s+\S+\s+(Completed|Failed|Canceled|Redirected|Registered|Trying|Ringing|Early|Confirmed|Terminated)\s+", line)
            if m:
                states[m.group(1)] += 1
    except OSError:
        return None, None
    return dict(responses), dict(states)


print()
for label in packets:
    ours, outcomes = sipline_counts(label)
    lines = [f"{label}:"]
    if ours is not None:
        lines.append(f"  sipline responses {sum(ours.values())} ({len(ours)} codes)")
        if outcomes:
            lines.append(f"  sipline calls by outcome {outcomes}")
    t = tshark_counts(label)
    if t is not None and ours is not None:
        mine = folded(ours, t)
        same = t == mine
        lines.append(f"  tshark responses {sum(t.values())}: {'the same, code by code (codes tshark does not know in its x99 rows)' if same else 'DIFFER: ' + str({k: (mine.get(k), t.get(k)) for k in set(mine) | set(t) if mine.get(k) != t.get(k)})}")
    n, states = sipnab_counts(label)
    if n is not None and ours is not None:
        same = n == ours
        lines.append(f"  sipnab responses {sum(n.values())}: {'the same, code by code' if same else 'DIFFER: ' + str({k: (ours.get(k), n.get(k)) for k in set(ours) | set(n) if ours.get(k) != n.get(k)})}")
        if states:
            # Not the same thing as sipline's call attempts: sipnab lists
            # dialogs by Call-ID (REGISTER and OPTIONS ones too), so the
            # two are printed side by side, not compared.
            lines.append(f"  sipnab dialogs by state (its report; not call attempts) {states}")
    print("\n".join(lines))
PY
