#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60), seeded from the
# project's corpus and ../shared/corpus, with the SIP dictionary, and prints
# one summary line per target: executions, wall time, libFuzzer's cov: figure.
# Fails on the first crash (its input is left in fuzz/artifacts/<target>/).
#
#   fuzz/run.sh 60                 # the CI run (about a minute per target)
#   fuzz/run.sh 3600 diff_chunked  # a long campaign on one target
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(status_line_strict status_line_lenient nom_status_line message_head stream_decoder
           datagram sipfrag diff_chunked diff_round_trip diff_strict_lenient)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  fuzz=(cargo +nightly fuzz)
  san=()
else
  # No nightly: the stable compiler with its unstable flags unlocked, no ASan
  # (sipline is #![forbid(unsafe_code)], so ASan would add little).
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
  san=(-s none)
fi

# Seeds: every real message we have, copied into the fuzzer's working corpus
# (fuzz/corpus is ignored by git; the shared corpus is never copied into the repo).
seeds=()
for d in ../corpus ../../shared/corpus; do
  [ -d "$d" ] && seeds+=("$d")
done
"${fuzz[@]}" build "${san[@]}" >/dev/null
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t"
  if [ ${#seeds[@]} -gt 0 ]; then
    find "${seeds[@]}" -type f \( -name '*.dat' -o -name '*.txt' -o -name '*.sip' \) -size -64k \
      -exec cp -n -t "corpus/$t" {} + 2>/dev/null || true
  fi
  log="$(mktemp)"
  start=$(date +%s)
  if ! "${fuzz[@]}" run "${san[@]}" "$t" "corpus/$t" -- -dict=sip.dict -max_total_time="$secs" \
       -print_final_stats=1 >"$log" 2>&1; then
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
