#!/usr/bin/env python3
"""Turns criterion's JSON (target/criterion/<group>/<bench>/new/) into the
tables of BENCHMARKS.md (between the REPORT markers) and benches/report.svg:
medians, throughput and the ratio of each row to sipline's row in its group.
Run by benches/report.sh after `cargo bench --bench parsers`."""
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CRIT = ROOT / "target" / "criterion"
GROUPS = ["status_line", "message", "stream", "reasons", "corpus", "typed", "sdp"]


def fmt_time(ns):
    for unit, div in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= div:
            return f"{ns / div:.3g} {unit}"
    return f"{ns:.3g} ns"


def load():
    rows = {}
    for group in GROUPS:
        gdir = CRIT / group
        if not gdir.is_dir():
            continue
        for bench in sorted(gdir.iterdir()):
            est = bench / "new" / "estimates.json"
            meta = bench / "new" / "benchmark.json"
            if not est.is_file() or not meta.is_file():
                continue
            e = json.loads(est.read_text())
            m = json.loads(meta.read_text())
            median = e["median"]["point_estimate"]
            tp = (m.get("throughput") or {}).get("Bytes")
            rows.setdefault(group, []).append((m["function_id"], median, tp))
    return rows


def baseline(group, rows, name):
    # "reasons" has one sipline row per input: compare within the same input.
    suffix = name.split(" / ", 1)[1] if " / " in name else None
    for n, med, _ in rows:
        if n.startswith("sipline") and (suffix is None or n.endswith(suffix)):
            if group == "stream" and n != "sipline whole":
                continue
            # typed: every row against framing the head alone.
            if group == "typed" and "frame the head alone" not in n:
                continue
            return med
    return None


def table(rows):
    out = []
    for group, rs in rows.items():
        out.append(f"\n### {group}\n")
        out.append("| parser | median | throughput | time ÷ sipline's |")
        out.append("|---|---:|---:|---:|")
        for name, med, tp in rs:
            base = baseline(group, rs, name)
            ratio = f"{med / base:.2f}×" if base else "—"
            thr = f"{tp / med:.2f} GB/s" if tp else "—"
            out.append(f"| {name} | {fmt_time(med)} | {thr} | {ratio} |")
    return "\n".join(out) + "\n"


# The speed issues' goals (issues 13 and 26) that criterion measures: (label, group,
# row, reference group, reference row, goal as the most the ratio may be).
GOALS = [
    ("740-byte 200 OK, every header located (`parse_head_into`) ÷ httparse",
     "message", "sipline", "message", "httparse (HTTP rendering)", 0.8),
    ("same, through `parse_message` and the `headers()` walk ÷ httparse",
     "message", "sipline (parse_message, then headers() walk)", "message",
     "httparse (HTTP rendering)", 1.0),
    ("1000-message stream, whole ÷ httparse framing",
     "stream", "sipline whole", "stream", "httparse framing (HTTP rendering)", 1.0),
    ("same ÷ the memmem ceiling", "stream", "sipline whole", "stream",
     "memmem framer (ceiling)", 3.0),
    ("same stream fed one byte per call ÷ whole", "stream", "sipline byte at a time",
     "stream", "sipline whole", 3.0),
    ("strict ÷ lenient, 250-byte reason phrase", "reasons", "sipline strict / long ascii",
     "reasons", "sipline lenient / long ascii", 1.5),
    # Issue 26: what a proxy reads first, against framing alone.
    ("framing + top-Via branch, CSeq, Call-ID, both tags ÷ framing alone",
     "typed", "sipline: parse_head + branch, CSeq, Call-ID, tags", "typed",
     "sipline: frame the head alone (parse_head)", 1.5),
    ("same, the tags by `from_tag`/`to_tag` ÷ framing alone",
     "typed", "sipline: parse_head + branch, CSeq, Call-ID, tags (from_tag/to_tag)", "typed",
     "sipline: frame the head alone (parse_head)", 1.5),
]


def goals(rows):
    med = {(g, n): m for g, rs in rows.items() for n, m, _ in rs}
    out = ["\n### Goals of the speed issue (this run)\n",
           "| row | ratio | goal | reached? |", "|---|---:|---:|---|"]
    for label, g, n, rg, rn, goal in GOALS:
        if (g, n) not in med or (rg, rn) not in med:
            continue
        r = med[(g, n)] / med[(rg, rn)]
        out.append(f"| {label} | {r:.2f}× | ≤ {goal}× | {'**yes**' if r <= goal else 'no'} |")
    return "\n".join(out) + "\n" if len(out) > 3 else ""


def svg(rows):
    bars = [(g, n, med / baseline(g, rs, n)) for g, rs in rows.items() for n, med, _ in rs if baseline(g, rs, n)]
    h = 22 * len(bars) + 60
    width = 900
    scale = 320 / max(1.0, max(r for _, _, r in bars))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h}" font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="14">time relative to sipline (shorter is faster; 1.0 = sipline)</text>']
    y = 40
    for g, n, r in bars:
        color = "#2a7" if n.startswith("sipline") else "#888"
        parts.append(f'<text x="10" y="{y + 12}">{g}: {n}</text>')
        parts.append(f'<rect x="520" y="{y}" width="{max(1, r * scale):.1f}" height="16" fill="{color}"/>')
        parts.append(f'<text x="{525 + r * scale:.1f}" y="{y + 12}">{r:.2f}×</text>')
        y += 22
    parts.append('<line x1="{0}" y1="30" x2="{0}" y2="{1}" stroke="#c33"/>'.format(520 + scale, h - 10))
    parts.append("</svg>")
    return "\n".join(parts)


def main():
    rows = load()
    if not rows:
        sys.exit("no criterion results under target/criterion: run cargo bench --bench parsers first")
    md = ROOT / "BENCHMARKS.md"
    text = md.read_text()
    new = re.sub(r"<!-- REPORT START -->.*<!-- REPORT END -->",
                 "<!-- REPORT START -->\n" + goals(rows) + table(rows) + "<!-- REPORT END -->", text, flags=re.S)
    md.write_text(new)
    (ROOT / "benches" / "report.svg").write_text(svg(rows))
    print(goals(rows) + table(rows))


if __name__ == "__main__":
    main()
