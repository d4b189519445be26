#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), starting from the
# committed corpus fuzz/corpus/<target> (the coverage already won) plus seeds
# from the project's corpus and ../shared/corpus (copied to fuzz/seeds/, which
# git ignores: the shared corpus is never copied into the repository), with
# the SIP dictionary, and prints one summary line per target: executions,
# wall time, libFuzzer's cov: figure. Fails on the first crash (its input is
# left in fuzz/artifacts/<target>/).
#
#   fuzz/run.sh 60                 # the CI run (about a minute per target)
#   fuzz/run.sh 3600 diff_chunked  # a long campaign on one target
#   fuzz/run.sh --cmin             # minimise every committed corpus (cargo fuzz cmin)
set -euo pipefail
cd "$(dirname "$0")"
cmin=false
if [ "${1:-}" = "--cmin" ]; then cmin=true; shift; fi
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(status_line_strict status_line_lenient nom_status_line message_head stream_decoder
           datagram sipfrag diff_chunked diff_round_trip diff_strict_lenient
           capture_file diff_tcp_reorder diff_ip_fragments link_decode typed_via typed_scalars typed_address typed_reason validate_keys call_engine
           diff_deferred_datagrams simd_scans hep_collector salvage whole_head sdp sdp_write rtp_rtcp media_ties)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
  san=()
else
  # No nightly: the stable compiler with its unstable flags unlocked, no ASan
  # (sipline's only unsafe code is the SSE2 load of src/text/simd.rs, which miri
  # checks in CI; ASan would add little).
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  san=(-s none)
fi

"${fuzz[@]}" build "${san[@]}" >/dev/null
if $cmin; then
  for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    before=$(find "corpus/$t" -type f | wc -l)
    "${fuzz[@]}" cmin "${san[@]}" "$t" "corpus/$t" >/dev/null 2>&1
    echo "cmin $t: $before -> $(find "corpus/$t" -type f | wc -l) files, $(du -sh "corpus/$t" | cut -f1)"
  done
  exit 0
fi

# Seeds: every small real message we have (captures are seeded through
# their committed heads in corpus/capture_file).
seeds=()
for d in ../corpus ../../shared/corpus; do
  [ -d "$d" ] && seeds+=("$d")
done
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "seeds/$t"
  if [ ${#seeds[@]} -gt 0 ] && [ "$t" != capture_file ]; then
    find "${seeds[@]}" -type f \( -name '*.dat' -o -name '*.txt' -o -name '*.sip' \) -size -64k \
      -exec cp -n -t "seeds/$t" {} + 2>/dev/null || true
  fi
  if [ "$t" = hep_collector ]; then
    # HEP: start from the link decoder's committed corpus (it holds HEP).
    cp -n corpus/link_decode/* "seeds/$t/" 2>/dev/null || true
  fi
  if [ "$t" = media_ties ]; then
    # Calls: start from the call engine's committed corpus.
    cp -n corpus/call_engine/* "seeds/$t/" 2>/dev/null || true
  fi
  if [ "$t" = diff_deferred_datagrams ]; then
    # Captures: start from the capture reader's committed corpus.
    cp -n corpus/capture_file/* "seeds/$t/" 2>/dev/null || true
  fi
  if [[ "$t" == typed_* ]] && [ ${#seeds[@]} -gt 0 ]; then
    # Header values, one per file: what the typed parsers read.
    find "${seeds[@]}" -type f -name '*.dat' -size -64k -exec cat {} + 2>/dev/null \
      | grep -a -i -E '^(via|v|from|f|to|t|contact|m|route|record-route|reason|date|cseq|call-id|i|max-forwards) *:' \
      | sed -E 's/^[^:]*: *//; s/\r$//' | sort -u | head -n 3000 \
      | awk -v d="seeds/$t" '{ f = sprintf("%s/value-%05d", d, NR); printf "%s", $0 > f; close(f) }'
  fi
  if [[ "$t" == sdp* ]] && [ ${#seeds[@]} -gt 0 ]; then
    # SDP bodies, one per file (sdp_write's start with five bytes of edits).
    find "${seeds[@]}" -type f -name '*.dat' -size -64k -print0 | python3 -c '
import sys
names = sys.stdin.buffer.read().split(b"\0")
n = 0
for name in filter(None, names):
    data = open(name, "rb").read()
    at = data.find(b"\r\n\r\n")
    body = data[at + 4:] if at >= 0 else b""
    if body.startswith(b"v=0"):
        n += 1
        prefix = bytes([n % 256, n % 4, 0x7a, n % 256, n * 7 % 256]) if sys.argv[2] == "sdp_write" else b""
        open("%s/body-%04d" % (sys.argv[1], n), "wb").write(prefix + body)
' "seeds/$t" "$t"
  fi
  log="$(mktemp)"
  start=$(date +%s)
  # New finds go to the first folder (the committed corpus); seeds are read only.
  if ! "${fuzz[@]}" run "${san[@]}" "$t" "corpus/$t" "seeds/$t" -- -dict=sip.dict \
       -max_total_time="$secs" -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "FUZZ CRASH in $t: see fuzz/artifacts/$t/" >&2
    exit 1
  fi
  wall=$(( $(date +%s) - start ))
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')
  cov=$(grep -Eo 'cov: [0-9]+' "$log" | tail -n 1 | grep -Eo '[0-9]+' || echo '?')
  echo "fuzz $t: ${execs} executions in ${wall}s, cov ${cov}, no crash"
  rm -f "$log"
done
