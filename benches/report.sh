#!/usr/bin/env bash
# Regenerates BENCHMARKS.md's tables and benches/report.svg from one run of
# every benchmark group. Extra arguments go to criterion (e.g. a filter).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench parsers -- --warm-up-time 2 --measurement-time 5 "$@"
python3 benches/report.py
