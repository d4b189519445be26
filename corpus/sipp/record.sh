#!/usr/bin/env bash
# Records SIPp calls on loopback for the calls issue: SIPp as UAC against
# SIPp as UAS (Debian `sip-tester`), five kinds of call at a time, captured
# by tshark into corpus/sipp/calls.pcap; SIPp's own counts of each run go to
# corpus/sipp/expected.tsv, which tests/cli_calls.rs compares with
# `sipline calls`.
#
#   bash corpus/sipp/record.sh [CALLS_PER_KIND]
#
# Kinds (UAS scenario / UAC scenario / Request-URI user, i.e. [service]):
#   answer     built-in uas / built-in uac   180, 200, ACK, BYE (caller hangs up)
#   busy       uas_busy.xml / uac_busy.xml   180, 486, ACK
#   fail503    uas_503.xml  / uac_503.xml    180, 503, ACK
#   cancel     uas_cancel.xml / uac_cancel.xml 180, CANCEL, 200, 487, ACK
#   challenge  uas_auth.xml / uac_auth.xml   407, ACK, INVITE with credentials, 180, 200, ACK, BYE
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
n="${1:-100}"
for c in sipp tshark; do command -v "$c" >/dev/null || { echo "needs $c"; exit 2; }; done
work="$(mktemp -d)"
trap 'pkill -f "sipp .*-p 50[6-9][0-9]" 2>/dev/null || true; rm -rf "$work"' EXIT

tshark -q -i lo -f "udp portrange 5060-5099" -w "$work/calls.pcapng" >/dev/null 2>&1 &
shark=$!
sleep 2

run() { # kind, uas scenario (or -sn uas), uac scenario (or -sn uac), port
  local kind=$1 uas=$2 uac=$3 port=$4
  # `-bg` exits with 99 once the background copy runs.
  (cd "$work" && sipp $uas -i 127.0.0.1 -p "$port" -t u1 -nostdin -bg >/dev/null 2>&1) || true
  sleep 0.5
  (cd "$work" && sipp $uac -s "$kind" -i 127.0.0.1 -t u1 -r 50 -m "$n" -nostdin \
     -trace_stat -stf "$work/$kind.csv" "127.0.0.1:$port" >/dev/null 2>&1) || true
  pkill -f "sipp .*-p $port" || true
  local ok failed
  ok=$(tail -n 1 "$work/$kind.csv" | awk -F';' -v h="$(head -n 1 "$work/$kind.csv")" \
    'BEGIN{split(h,H,";"); for(i in H) idx[H[i]]=i} {print $idx["SuccessfulCall(C)"]}')
  failed=$(tail -n 1 "$work/$kind.csv" | awk -F';' -v h="$(head -n 1 "$work/$kind.csv")" \
    'BEGIN{split(h,H,";"); for(i in H) idx[H[i]]=i} {print $idx["FailedCall(C)"]}')
  printf '%s\t%s\t%s\n' "$kind" "$ok" "$failed" >> "$work/expected.tsv"
}

printf 'kind\tsipp_successful\tsipp_failed\n' > "$work/expected.tsv"
run answer "-sn uas" "-sn uac" 5061
run busy "-sf $here/uas_busy.xml" "-sf $here/uac_busy.xml" 5062
run fail503 "-sf $here/uas_503.xml" "-sf $here/uac_503.xml" 5063
run cancel "-sf $here/uas_cancel.xml" "-sf $here/uac_cancel.xml" 5064
run challenge "-sf $here/uas_auth.xml" "-sf $here/uac_auth.xml" 5065
sleep 2
kill "$shark"
wait "$shark" 2>/dev/null || true
tshark -r "$work/calls.pcapng" -F pcap -w "$here/calls.pcap" 2>/dev/null
cp "$work/expected.tsv" "$here/expected.tsv"
cat "$here/expected.tsv"
echo "$(tshark -r "$here/calls.pcap" 2>/dev/null | wc -l) packets in $here/calls.pcap"
