#!/usr/bin/env bash
# The example stateless proxy (examples/proxy.rs) beside Debian's Kamailio
# as a stateless proxy (benches/proxy/kamailio-stateless.cfg), under SIPp,
# on loopback, one after the other in one run:
#
#   SIPp uac (core 1) -> proxy (core 0) -> SIPp uas (core 1)
#
# For each proxy and transport: CPU per call at fixed rates both hold
# (utime + stime of every proxy process, from /proc, over the run, divided
# by the calls), then rates stepped up until SIPp sees a failed call, a
# retransmission or a call it could not complete in time: the highest rate
# with none, reached within 5 % (calls over the wall time of SIPp's run),
# is reported.
#
#   benches/proxy.sh [SECONDS_PER_STEP] [FIXED_RATES] [STEP_RATES]
#   benches/proxy.sh 10 "1000 3000" "2000 4000 6000 8000 10000 12000 14000 16000"
#
# Prints one line per run (proxy, transport, rate, calls, failed,
# retransmissions, proxy CPU seconds, µs of proxy CPU per call) and the
# summary. Needs sipp, kamailio, taskset; builds the example itself.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${1:-10}
FIXED=${2:-"1000 3000"}
STEPS=${3:-"2000 4000 6000 8000 10000 12000 14000 16000 20000"}
PORT=5060
UAS_PORT=5090
WORK=$(mktemp -d)
trap 'pkill -f "sipp -sn uas" 2>/dev/null || true; pkill -f kamailio-stateless.cfg 2>/dev/null || true; rm -rf "$WORK"' EXIT

cargo build -q --release --features tokio --example proxy
PROXY_BIN=$PWD/target/release/examples/proxy
KAM_CFG=$PWD/benches/proxy/kamailio-stateless.cfg
TICKS=$(getconf CLK_TCK)

# CPU ticks used so far by the processes whose PIDs are given.
ticks() {
    local total=0 pid f
    for pid in "$@"; do
        if [ -r "/proc/$pid/stat" ]; then
            f=$(sed 's/^.*) //' "/proc/$pid/stat")
            set -- $f
            total=$((total + ${12} + ${13}))
        fi
    done
    echo "$total"
}

start_proxy() { # NAME TRANSPORT -> PIDS in $PIDS
    case $1 in
    sipline)
        (sleep 100000 | taskset -c 0 "$PROXY_BIN" "127.0.0.1:$PORT" --route "*=127.0.0.1:$UAS_PORT" \
            > "$WORK/proxy.out" 2> "$WORK/proxy.err") > /dev/null 2>&1 &
        sleep 0.5
        PIDS=$(pgrep -f "examples/proxy 127.0.0.1:$PORT" | tr '\n' ' ')
        ;;
    kamailio)
        taskset -c 0 kamailio -DD -E -m 64 -M 8 -f "$KAM_CFG" > "$WORK/kam.log" 2>&1 < /dev/null &
        sleep 1.5
        PIDS=$(pgrep -f kamailio-stateless.cfg | tr '\n' ' ')
        ;;
    esac
}

stop_proxy() {
    if [ -n "${HOSTILE:-}" ] && pgrep -f "examples/proxy 127.0.0.1:$PORT" > /dev/null; then
        # The proxy's counts (it prints them when its input closes).
        pkill -f "sleep 100000" 2>/dev/null || true
        sleep 0.5
        echo "# sipline proxy counts: $(cat "$WORK/proxy.out")" >&2
    fi
    pkill -f "examples/proxy 127.0.0.1:$PORT" 2>/dev/null || true
    pkill -f "sleep 100000" 2>/dev/null || true
    pkill -f kamailio-stateless.cfg 2>/dev/null || true
    sleep 0.5
}

# One run: prints "proxy transport rate calls failed retrans cpu_s us_per_call".
run() { # NAME TRANSPORT RATE
    local name=$1 t=$2 rate=$3 calls=$(( $3 * SECS ))
    start_proxy "$name"
    (cd "$WORK" && exec taskset -c 1 sipp -sn uas -t "$t" -i 127.0.0.1 -p $UAS_PORT -nostdin > /dev/null 2>&1) &
    local uas=$!
    sleep 0.5
    local before after
    before=$(ticks $PIDS)
    local t0 t1 hostile=""
    if [ -n "${HOSTILE:-}" ]; then
        # A hostile client for the whole run, on the SIPp core unless
        # HOSTILE_CORE says otherwise.
        taskset -c "${HOSTILE_CORE:-1}" python3 benches/proxy/hostile.py "127.0.0.1:$PORT" "$SECS" > "$WORK/hostile.json" 2>&1 &
        hostile=$!
    fi
    t0=$(date +%s.%N)
    (cd "$WORK" && taskset -c 1 sipp -sn uac -t "$t" -i 127.0.0.1 -nostdin -r "$rate" -m "$calls" \
        -timeout $((SECS * 3 + 30))s -trace_stat -fd 1 -stf "$WORK/uac.csv" "127.0.0.1:$PORT" > /dev/null 2>&1) || true
    after=$(ticks $PIDS)
    t1=$(date +%s.%N)
    if [ -n "$hostile" ]; then
        wait "$hostile" || true
        after=$(ticks $PIDS)
        echo "# hostile client: $(cat "$WORK/hostile.json")" >&2
    fi
    kill "$uas" 2>/dev/null || true
    wait "$uas" 2>/dev/null || true
    stop_proxy
    python3 - "$WORK/uac.csv" "$name" "$t" "$rate" "$((after - before))" "$TICKS" "$t0" "$t1" <<'EOF'
import sys
path, name, t, rate, ticks, hz, t0, t1 = sys.argv[1:]
lines = [l for l in open(path).read().splitlines() if l]
head = lines[0].split(';'); last = lines[-1].split(';')
v = lambda c: int(last[head.index(c)])
ok, failed, retrans = v('SuccessfulCall(C)'), v('FailedCall(C)'), v('Retransmissions(C)')
cpu = int(ticks) / int(hz)
per = cpu / ok * 1e6 if ok else float('nan')
# The rate SIPp reached: calls over the wall time of its run (calls are
# answered at once, so a run that holds its rate takes its planned time).
held = ok / (float(t1) - float(t0))
print(f"{name} {t} {rate} {ok} {failed} {retrans} {cpu:.2f} {per:.1f} {held:.0f}")
EOF
    rm -f "$WORK/uac.csv"
}

echo "# proxy transport rate calls_ok failed retransmissions proxy_cpu_s proxy_cpu_us_per_call calls_per_s_reached"
# TRANSPORTS="t1" PROXIES="sipline" benches/proxy.sh … runs a part.
# HOSTILE=1 adds benches/proxy/hostile.py's connections during every run
# (its counts and the proxy's on standard error): compare the CPU with a
# run without it at the same rate.
for t in ${TRANSPORTS:-u1 t1}; do
    for name in ${PROXIES:-sipline kamailio}; do
        best=0
        for rate in $FIXED; do
            line=$(run "$name" "$t" "$rate")
            echo "$line"
            set -- $line
            if [ "$4" = $((rate * SECS)) ] && [ "$5" = 0 ] && [ "$6" = 0 ] && [ "$9" -ge $((rate * 95 / 100)) ] && [ "$rate" -gt "$best" ]; then
                best=$rate
            fi
        done
        for rate in $STEPS; do
            line=$(run "$name" "$t" "$rate")
            echo "$line"
            set -- $line
            # Every call placed and answered, none failed, nothing resent,
            # and the rate reached (within 5 %).
            if [ "$4" != $((rate * SECS)) ] || [ "$5" != 0 ] || [ "$6" != 0 ] || [ "$9" -lt $((rate * 95 / 100)) ]; then
                break
            fi
            best=$rate
        done
        echo "# $name $t: highest rate with 0 failed and 0 retransmissions: $best calls/s (steps of ${SECS} s)"
    done
done
