#!/usr/bin/env bash
# Records SIPp calls on loopback for the calls issue: SIPp as UAC against
# SIPp as UAS (Debian `sip-tester`), five kinds of call at a time, captured
# by tshark; SIPp's own counts of each run go to a TSV that
# cli/tests/cli_calls.rs compares with `sipline calls`.
#
#   bash corpus/sipp/record.sh [CALLS_PER_KIND] [direct|proxy]
#
# direct (default): UAC -> UAS, into calls.pcap and expected.tsv.
# proxy: UAC -> Kamailio (Debian `kamailio`, kamailio.cfg here: a
#   transaction-stateful proxy on 127.0.0.1:5090 choosing the UAS by the
#   Request-URI user) -> UAS, into proxy.pcap and expected_proxy.tsv. Every
#   call shows two legs; Kamailio answers 100 itself and turns the UAS's 503
#   into 500 (RFC 3261 §16.7).
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
mode="${2:-direct}"
case "$mode" in
  direct) pcap=calls.pcap tsv=expected.tsv base=5060 ;;
  proxy) pcap=proxy.pcap tsv=expected_proxy.tsv base=5070 ;;
  *) echo "mode: direct or proxy"; exit 2 ;;
esac
for c in sipp tshark; do command -v "$c" >/dev/null || { echo "needs $c"; exit 2; }; done
work="$(mktemp -d)"
kam=
trap 'pkill -f "sipp .*-p 50[6-9][0-9]" 2>/dev/null || true; [ -n "$kam" ] && kill "$kam" 2>/dev/null; rm -rf "$work"' EXIT

to=
if [ "$mode" = proxy ]; then
  command -v kamailio >/dev/null || { echo "needs kamailio"; exit 2; }
  kamailio -DD -E -f "$here/kamailio.cfg" -Y "$work" >"$work/kamailio.log" 2>&1 &
  kam=$!
  sleep 1
  to=127.0.0.1:5090
fi

tshark -q -i lo -f "udp portrange 5060-5099" -w "$work/calls.pcapng" >/dev/null 2>&1 &
shark=$!
sleep 2

run() { # kind, uas scenario (or -sn uas), uac scenario (or -sn uac), port
  local kind=$1 uas=$2 uac=$3 port=$4
  # `-bg` exits with 99 once the background copy runs.
  (cd "$work" && sipp $uas -i 127.0.0.1 -p "$port" -t u1 -nostdin -bg >/dev/null 2>&1) || true
  sleep 0.5
  (cd "$work" && sipp $uac -s "$kind" -i 127.0.0.1 -t u1 -r 50 -m "$n" -nostdin \
     -trace_stat -stf "$work/$kind.csv" "${to:-127.0.0.1:$port}" >/dev/null 2>&1) || true
  pkill -f "sipp .*-p $port" || true
  local ok failed
  ok=$(tail -n 1 "$work/$kind.csv" | awk -F';' -v h="$(head -n 1 "$work/$kind.csv")" \
    'BEGIN{split(h,H,";"); for(i in H) idx[H[i]]=i} {print $idx["SuccessfulCall(C)"]}')
  failed=$(tail -n 1 "$work/$kind.csv" | awk -F';' -v h="$(head -n 1 "$work/$kind.csv")" \
    'BEGIN{split(h,H,";"); for(i in H) idx[H[i]]=i} {print $idx["FailedCall(C)"]}')
  printf '%s\t%s\t%s\n' "$kind" "$ok" "$failed" >> "$work/expected.tsv"
}

printf 'kind\tsipp_successful\tsipp_failed\n' > "$work/expected.tsv"
# The UAS ports are the ones kamailio.cfg names (5071-5075 for proxy).
run answer "-sn uas" "-sn uac" $((base + 1))
run busy "-sf $here/uas_busy.xml" "-sf $here/uac_busy.xml" $((base + 2))
run fail503 "-sf $here/uas_503.xml" "-sf $here/uac_503.xml" $((base + 3))
run cancel "-sf $here/uas_cancel.xml" "-sf $here/uac_cancel.xml" $((base + 4))
run challenge "-sf $here/uas_auth.xml" "-sf $here/uac_auth.xml" $((base + 5))
sleep 2
kill "$shark"
wait "$shark" 2>/dev/null || true
tshark -r "$work/calls.pcapng" -F pcap -w "$here/$pcap" 2>/dev/null
cp "$work/expected.tsv" "$here/$tsv"
cat "$here/$tsv"
echo "$(tshark -r "$here/$pcap" 2>/dev/null | wc -l) packets in $here/$pcap"
