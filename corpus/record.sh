#!/usr/bin/env bash
# Records the project's own corpus from real SIP software on loopback only
# (127.0.0.1 and ::1): Debian's kamailio as registrar and responder, sipsak as
# the client (OPTIONS, REGISTER with digest auth, Max-Forwards 0), over UDP and
# TCP, IPv4 and IPv6; tshark captures everything on port 5060.
#
# Output (replacing what is there):
#   tests/data/loopback.pcapng        the capture as tshark wrote it (a test fixture:
#                                     the same frames as below, in pcapng)
#   corpus/captures/loopback.pcap     the same frames as classic pcap
#   corpus/messages/NNN.dat           one file per UDP datagram / TCP segment payload
#   corpus/messages/index.tsv         frame, transport, addresses, kind, and what
#                                     tshark's SIP dissector says (method / status)
#
# Run as root on a Debian machine: bash corpus/record.sh  (about a minute)
set -euo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)

need() { command -v "$1" >/dev/null 2>&1; }
if ! need kamailio || ! need sipsak || ! need tshark || ! need baresip; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kamailio sipsak tshark baresip-core
fi

WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT

# --- kamailio: a loopback-only registrar that answers with a chosen status ---
# A request to sip:cNNN@... is answered NNN with its registered reason phrase;
# a few users exercise provisional answers, odd reason phrases and challenges.
CODES="400|Bad Request 402|Payment Required 403|Forbidden 405|Method Not Allowed
406|Not Acceptable 408|Request Timeout 410|Gone 413|Request Entity Too Large
414|Request-URI Too Long 415|Unsupported Media Type 416|Unsupported URI Scheme
420|Bad Extension 421|Extension Required 423|Interval Too Brief 430|Flow Failed
480|Temporarily Unavailable 481|Call/Transaction Does Not Exist 482|Loop Detected
484|Address Incomplete 485|Ambiguous 486|Busy Here 487|Request Terminated
488|Not Acceptable Here 489|Bad Event 491|Request Pending 493|Undecipherable
500|Server Internal Error 501|Not Implemented 502|Bad Gateway 503|Service Unavailable
504|Server Time-out 505|Version Not Supported 513|Message Too Large
580|Precondition Failure 600|Busy Everywhere 603|Decline 604|Does Not Exist Anywhere
606|Not Acceptable 607|Unwanted 608|Rejected 301|Moved Permanently 302|Moved Temporarily
380|Alternative Service 202|Accepted 204|No Notification"
{
  cat <<'CFG'
#!KAMAILIO
debug=1
log_stderror=yes
fork=yes
children=1
tcp_children=1
auto_aliases=no
listen=udp:127.0.0.1:5060
listen=tcp:127.0.0.1:5060
listen=udp:[::1]:5060
listen=tcp:[::1]:5060
alias="127.0.0.1:5060"
alias="[::1]:5060"
server_header="Server: sipline-corpus-recorder"
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "kex.so"
loadmodule "corex.so"
loadmodule "tm.so"
loadmodule "tmx.so"
loadmodule "sl.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "sanity.so"
loadmodule "auth.so"
modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 60)

request_route {
    force_rport();
    if (!mf_process_maxfwd_header("10")) {
        sl_send_reply("483", "Too Many Hops");
        exit;
    }
    if (!sanity_check()) { exit; }
    if (has_totag()) {
        if (!is_method("ACK")) { sl_send_reply("481", "Call/Transaction Does Not Exist"); }
        exit;
    }
    if (is_method("ACK|CANCEL")) { exit; }
    if (is_method("REGISTER")) {
        if ($fU == "locked") {
            if (!pv_auth_check("$fd", "sesame", "0", "1")) {
                auth_challenge("$fd", "0");
                exit;
            }
            consume_credentials();
        }
        if (!save("location")) { sl_reply_error(); }
        exit;
    }
    if ($rU == $null) {
        sl_send_reply("200", "OK");
        exit;
    }
    if ($rU == "guarded") {
        if (!pv_proxy_authenticate("$fd", "sesame", "0")) {
            proxy_challenge("$fd", "0");
            exit;
        }
        consume_credentials();
        sl_send_reply("200", "OK");
        exit;
    }
    if ($rU == "ringing") {
        t_newtran();
        t_reply("180", "Ringing");
        t_reply("486", "Busy Here");
        exit;
    }
    if ($rU == "progress") {
        t_newtran();
        t_reply("183", "Session Progress");
        t_reply("603", "Decline");
        exit;
    }
    if ($rU == "queued") {
        t_newtran();
        t_reply("182", "Queued");
        t_reply("181", "Call Is Being Forwarded");
        t_reply("480", "Temporarily Unavailable");
        exit;
    }
    if ($rU == "unknown") { sl_send_reply("499", "Unassigned Client Failure"); exit; }
    if ($rU == "global") { sl_send_reply("699", "Unassigned Global Failure"); exit; }
    if ($rU == "umlaut") { sl_send_reply("480", "Vorübergehend nicht erreichbar"); exit; }
    if ($rU == "blank") { sl_send_reply("404", ""); exit; }
    if ($rU == "brackets") { sl_send_reply("503", "Service Unavailable [overload]"); exit; }
CFG
  for pair in $CODES; do :; done
  printf '%s\n' "$CODES" | tr ' ' '\n' | paste -sd' ' | sed 's/ \([0-9][0-9][0-9]|\)/\n\1/g' |
  while IFS='|' read -r code reason; do
    [ -n "$code" ] && printf '    if ($rU == "c%s") { sl_send_reply("%s", "%s"); exit; }\n' "$code" "$code" "$reason"
  done
  cat <<'CFG'
    if (!lookup("location")) {
        sl_send_reply("404", "Not Found");
        exit;
    }
    sl_send_reply("200", "OK");
    exit;
}
CFG
} > "$WORK/kamailio.cfg"
kamailio -c -f "$WORK/kamailio.cfg" >/dev/null 2>&1 || { kamailio -c -f "$WORK/kamailio.cfg"; exit 1; }

mkdir -p captures messages
# SIP ports only: kamailio 5060, the baresip user agents 5070/5080/5082 (their
# RTP, on 21000-21100, stays out of the capture).
tshark -q -i lo -f "port 5060 or port 5070 or port 5080 or port 5082" -w "$WORK/loopback.pcapng" >/dev/null 2>&1 &
TSHARK=$!
sleep 2
kamailio -f "$WORK/kamailio.cfg" -DD -E -P "$WORK/kamailio.pid" >"$WORK/kamailio.log" 2>&1 &
sleep 2

# --- sipsak: the client side, IPv4, UDP and TCP -------------------------------
S="timeout 10 sipsak -k 127.0.0.1 -H 127.0.0.1"
run() { "$@" >/dev/null 2>&1 || true; sleep 0.2; }
for tr in udp tcp; do
  E=""; [ "$tr" = tcp ] && E="-E tcp"
  run $S $E -s sip:127.0.0.1                                  # OPTIONS -> 200
  run $S $E -U -x 300 -s sip:alice@127.0.0.1                  # REGISTER -> 200
  run $S $E -U -x 300 -a sesame -s sip:locked@127.0.0.1       # 401, then 200
  run $S $E -U -x 300 -a wrong -s sip:locked@127.0.0.1        # 401 twice
  run $S $E -U -x 5 -s sip:brief@127.0.0.1                    # 423 Interval Too Brief
  run $S $E -a sesame -s sip:guarded@127.0.0.1                # 407, then 200
  run $S $E -m 0 -s sip:alice@127.0.0.1                       # 483 Too Many Hops
  run $S $E -s sip:alice@127.0.0.1                            # registered -> 200
  run $S $E -s sip:nobody@127.0.0.1                           # 404
  for u in ringing progress queued unknown global umlaut blank brackets; do
    run $S $E -s "sip:$u@127.0.0.1"
  done
done
for pair in $(printf '%s\n' "$CODES" | grep -o '[0-9][0-9][0-9]|' | tr -d '|'); do
  run $S -s "sip:c$pair@127.0.0.1"                            # every chosen code over UDP
done

# --- baresip: calls between real user agents on 127.0.0.1 ------------------------
# bob (5080) answers at once; carol (5082) only rings, and says 486 Busy Here when
# she quits; alice (5070) calls bob (answered, hung up with BYE after 6 s), calls
# carol (busy), and calls carol again but quits while it rings (CANCEL, 487).
python3 - "$WORK/tone.wav" <<'PY'
import math, struct, sys, wave
w = wave.open(sys.argv[1], "wb"); w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(8000 * 20)))
w.close()
PY
ua() { # name port answermode
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/config" <<UA
poll_method		epoll
sip_listen		127.0.0.1:$2
sip_transports		udp
net_prefer_ipv6		no
net_interface		127.0.0.1
audio_player		aufile,$WORK/$1-heard.wav
audio_source		aufile,$WORK/tone.wav
audio_alert		aufile,$WORK/$1-alert.wav
rtp_ports		21000-21100
module_path		/usr/lib/baresip/modules
module			g711.so
module			aufile.so
module_app		account.so
module_app		menu.so
UA
  echo "<sip:$1@127.0.0.1:$2;transport=udp>;regint=0;answermode=$3;audio_codecs=PCMU" > "$WORK/$1/accounts"
}
ua alice 5070 manual; ua bob 5080 auto; ua carol 5082 manual
call() { # callee-name callee-seconds caller-seconds
  timeout 30 baresip -4 -f "$WORK/$1" -t "$2" >/dev/null 2>&1 &
  local callee=$!
  sleep 1.5
  timeout 30 baresip -4 -f "$WORK/alice" -t "$3" -e "/dial sip:$1@127.0.0.1:${4}" >/dev/null 2>&1 || true
  wait $callee 2>/dev/null || true
  sleep 0.5
}
call bob 10 6 5080      # answered, then BYE
call carol 4 8 5082     # rings, carol quits: 486 Busy Here
call carol 8 3 5082     # rings, alice quits: CANCEL, 487 Request Terminated

# --- IPv6: sipsak cannot address [::1], so a small client sends the requests
# (hand-written) and kamailio's answers are the real traffic recorded here. ---
python3 - <<'PY'
import socket, time
def req(method, user, transport, n, extra=""):
    host = "[::1]"
    return (f"{method} sip:{user}{'@' if user else ''}{host} SIP/2.0\r\n"
            f"Via: SIP/2.0/{transport.upper()} {host}:5072;branch=z9hG4bK-sipline-{n};rport\r\n"
            f"From: <sip:probe@{host}>;tag=t{n}\r\nTo: <sip:{user or 'server'}@{host}>\r\n"
            f"Call-ID: ipv6-{n}@sipline\r\nCSeq: 1 {method}\r\nMax-Forwards: 70\r\n"
            f"Contact: <sip:probe@{host}:5072>\r\n{extra}Content-Length: 0\r\n\r\n").encode()
users = ["", "alice", "nobody", "ringing", "c486", "c503", "umlaut", "c603"]
for i, u in enumerate(users):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM); s.settimeout(0.5)
    s.sendto(req("OPTIONS", u, "udp", i), ("::1", 5060))
    try:
        while True: s.recvfrom(65535)
    except socket.timeout: pass
    s.close()
t = socket.create_connection(("::1", 5060)); t.settimeout(0.5)
for i, u in enumerate(users):
    t.sendall(req("OPTIONS", u, "tcp", 100 + i))
    time.sleep(0.1)
t.sendall(req("REGISTER", "", "tcp", 200, "Expires: 300\r\n").replace(b"REGISTER sip:[::1]", b"REGISTER sip:[::1]"))
try:
    while True:
        if not t.recv(65535): break
except socket.timeout: pass
t.close()
PY
sleep 1
kill "$(cat "$WORK/kamailio.pid")" 2>/dev/null || true
sleep 1
kill $TSHARK; wait $TSHARK 2>/dev/null || true

cp "$WORK/loopback.pcapng" ../tests/data/loopback.pcapng
editcap -F pcap "$WORK/loopback.pcapng" captures/loopback.pcap

# --- one file per payload, and the index, with tshark's own reading of each --
rm -f messages/*.dat
tshark -r captures/loopback.pcap -Y "udp.length > 8 || tcp.len > 0" -T fields -E separator=/t \
  -e frame.number -e udp.srcport -e tcp.srcport -e ip.src -e ipv6.src -e udp.dstport -e tcp.dstport \
  -e sip.Method -e sip.Status-Code -e udp.payload -e tcp.payload > "$WORK/fields.tsv"
python3 - "$WORK/fields.tsv" <<'PY'
import sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
out = open("messages/index.tsv", "w")
out.write("file\tframe\ttransport\tsrc\tsrc_port\tdst_port\tkind\ttshark_method\ttshark_status\tverdict\tstrict_verdict\tstart_line\n")
for n, r in enumerate(rows, 1):
    frame, usp, tsp, ip4, ip6, udp_d, tcp_d, method, status, up, tp = (r + [""] * 11)[:11]
    data = bytes.fromhex((up or tp).replace(":", ""))
    name = f"{n:03d}.dat"
    open(f"messages/{name}", "wb").write(data)
    first = data.split(b"\r\n", 1)[0].decode("utf-8", "replace")
    kind = "response" if data[:4].upper() == b"SIP/" else "request"
    # Every message here is real and well formed; by construction only the
    # "brackets" answer has a reason phrase the strict grammar refuses.
    strict = "reason-phrase" if "[" in first and kind == "response" else "valid"
    out.write("\t".join([name, frame, "UDP" if up else "TCP", ip4 or ip6, usp or tsp, udp_d or tcp_d,
                         kind, method, status, "valid", strict, first]) + "\n")
print(f"{len(rows)} payloads written to corpus/messages/")
PY
