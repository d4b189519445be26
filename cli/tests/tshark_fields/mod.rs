//! Field by field against tshark's SIP dissector (issue 25, item 4): on a
//! capture, every value tshark reads from a frame that holds one SIP
//! message (Call-ID, CSeq number and method, method or status code, From
//! and To tags and users, top Via branch), `sipline export` reads the same
//! from the message it found in that frame, whether the message parsed or
//! not. Used by the tests of `cli_capture_cases.rs` and `cli_export.rs` on
//! every capture they read.
//!
//! Differences are adjudicated here, by RFC, in [`adjudicate`]; anything
//! else fails the test.

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// tshark's field, sipline's column.
const FIELDS: [(&str, &str); 10] = [
    ("sip.Method", "method"),
    ("sip.Status-Code", "response_code"),
    ("sip.Call-ID", "cid"),
    ("sip.CSeq.seq", "cseq"),
    ("sip.CSeq.method", "cseq_method"),
    ("sip.from.tag", "from_tag"),
    ("sip.to.tag", "to_tag"),
    ("sip.from.user", "from_user"),
    ("sip.to.user", "to_user"),
    ("sip.Via.branch", "branch"),
];

/// What a comparison covered.
#[derive(Debug, Default)]
pub struct Agreement {
    /// Frames with one SIP message in tshark's reading, compared.
    pub frames: usize,
    /// Values tshark read there, each equal to sipline's (or adjudicated).
    pub values: usize,
    /// Of those, values from messages sipline found malformed.
    pub from_malformed: usize,
    /// Differences adjudicated by RFC, by reason.
    pub adjudicated: BTreeMap<&'static str, usize>,
    /// Of the frames compared, those whose message sipline placed in
    /// another frame (found by Call-ID, CSeq and method or code).
    pub by_key: usize,
    /// Frames where tshark saw several SIP messages, not compared.
    pub several: usize,
}

/// Compares tshark's fields with `sipline export`'s rows on `capture`;
/// `None` when tshark is missing and not required (said so on the test's
/// output). `sipline_args` are added to export's (`--port` for a capture on
/// another port, say); `tshark_args` to tshark's (`-d` to decode it so).
/// `refused`: the Call-IDs of messages sipline refuses on purpose, each
/// with why (tshark reads them, sipline counts them under `not_read`).
pub fn agree(
    capture: &Path,
    sipline_args: &[&str],
    tshark_args: &[&str],
    refused: &[(&str, &'static str)],
) -> Option<Agreement> {
    let skipped = format!("tshark's fields of {}", capture.display());
    if !crate::common::have_program(&crate::common::TSHARK, "tshark", &["--version"], &skipped) {
        return None;
    }
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(capture).args(tshark_args);
    cmd.args([
        "-Y",
        "sip",
        "-T",
        "fields",
        "-E",
        "occurrence=a",
        "-E",
        "aggregator=\u{1}",
    ]);
    cmd.args(["-e", "frame.number"]);
    for (f, _) in FIELDS {
        cmd.args(["-e", f]);
    }
    // The Via fields: whether the top one has a branch.
    cmd.args(["-e", "sip.Via"]);
    let out = cmd.output().expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark on {}: {}",
        capture.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let tshark = String::from_utf8_lossy(&out.stdout).into_owned();

    let rows = export(capture, sipline_args);
    let mine_by_frame = by_frame(&rows);
    // With --strict, the lenient reading too: a value strict refuses and
    // lenient reads is the RFC's grammar at work, not a value lost.
    let strict = sipline_args.contains(&"--strict");
    let lenient_args: Vec<&str> = sipline_args
        .iter()
        .copied()
        .filter(|a| *a != "--strict")
        .collect();
    let lenient_rows = if strict {
        export(capture, &lenient_args)
    } else {
        Vec::new()
    };
    let lenient = by_frame(&lenient_rows);
    let mut by_key: BTreeMap<String, VecDeque<&Value>> = BTreeMap::new();
    for r in &rows {
        let key = ["cid", "cseq", "cseq_method", "method", "response_code"]
            .map(|c| text(&r[c]))
            .join("\t");
        by_key.entry(key).or_default().push_back(r);
    }

    let mut a = Agreement::default();
    let mut differences = Vec::new();
    for line in tshark.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let Some(frame) = cols.first().and_then(|n| n.parse::<u64>().ok()) else {
            continue;
        };
        let value = |i: usize| cols.get(i + 1).copied().unwrap_or("");
        // One message: one method or status code in the frame.
        let starts = [0, 1]
            .iter()
            .map(|&i| value(i))
            .filter(|v| !v.is_empty())
            .map(|v| v.split('\u{1}').count())
            .sum::<usize>();
        if starts != 1 {
            a.several += 1;
            continue;
        }
        let mine = mine_by_frame.get(&frame).map_or(&[][..], Vec::as_slice);
        let row = match mine {
            [row] => *row,
            // A message over several segments or fragments: tshark names
            // the frame that completed it, sipline the one it began in;
            // and a segment may end one message and begin the next. Found
            // then by what names it: Call-ID, CSeq, method or code.
            _ => {
                let key = [value(2), value(3), value(4), value(0), value(1)].join("\t");
                match by_key.get_mut(&key).and_then(|rows| rows.pop_front()) {
                    Some(row) => {
                        a.by_key += 1;
                        row
                    }
                    None => {
                        if let Some((_, why)) = refused.iter().find(|(c, _)| *c == value(2)) {
                            *a.adjudicated.entry(why).or_default() += 1;
                            continue;
                        }
                        differences.push(format!(
                            "frame {frame}: tshark reads one message ({key:?}), sipline {} rows there and none with its Call-ID, CSeq and method or code",
                            mine.len()
                        ));
                        continue;
                    }
                }
            }
        };
        a.frames += 1;
        let malformed = row["kind"] == "error";
        for (i, (field, column)) in FIELDS.iter().enumerate() {
            let theirs = value(i);
            if theirs.is_empty() {
                continue;
            }
            // tshark lists the branches of the Vias that have one: the
            // first is the top Via's only when the top Via has one.
            let theirs = theirs.split('\u{1}').next().unwrap_or("");
            let top_via = value(FIELDS.len()).split('\u{1}').next().unwrap_or("");
            let top_via = top_via.split(',').next().unwrap_or("");
            let theirs = if *field == "sip.Via.branch"
                && !top_via.to_ascii_lowercase().contains("branch=")
            {
                ""
            } else {
                theirs
            };
            if theirs.is_empty() {
                continue;
            }
            let ours = text(&row[*column]);
            if theirs == ours {
                a.values += 1;
                a.from_malformed += usize::from(malformed);
            } else if strict
                && lenient
                    .get(&frame)
                    .and_then(|r| r.first())
                    .is_some_and(|r| text(&r[*column]) == theirs)
            {
                *a.adjudicated
                    .entry(
                        "strict refuses what RFC 3261's grammar does not allow; lenient reads it",
                    )
                    .or_default() += 1;
            } else if let Some(why) = adjudicate(field, &ours, value(3), row) {
                *a.adjudicated.entry(why).or_default() += 1;
            } else {
                differences.push(format!(
                    "frame {frame}: {field} is {theirs:?} to tshark, {column} is {ours:?} to sipline ({})",
                    row["error"].as_str().unwrap_or("parsed")
                ));
            }
        }
    }
    assert!(
        differences.is_empty(),
        "{}: sipline and tshark differ:\n{}",
        capture.display(),
        differences.join("\n")
    );
    println!("tshark fields of {}: {a:?}", capture.display());
    Some(a)
}

/// `sipline export`'s JSON rows of `capture`.
fn export(capture: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["export", "--format", "jsonl"])
        .args(args)
        .arg(capture)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON row"))
        .collect()
}

/// Rows by the frame they came from.
fn by_frame(rows: &[Value]) -> BTreeMap<u64, Vec<&Value>> {
    let mut m: BTreeMap<u64, Vec<&Value>> = BTreeMap::new();
    for r in rows {
        if let Some(n) = r["frame"].as_u64() {
            m.entry(n).or_default().push(r);
        }
    }
    m
}

/// A column's value as tshark prints one ("" for null).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Why tshark's reading of a field is not the RFC's, when it is not.
fn adjudicate(field: &str, ours: &str, their_seq: &str, row: &Value) -> Option<&'static str> {
    match field {
        // RFC 3261 8.1.1.5: the CSeq number "MUST be less than 2**31";
        // tshark reads any 32-bit number.
        "sip.CSeq.seq" | "sip.CSeq.method"
            if ours.is_empty()
                && row["cseq"].is_null()
                && their_seq.parse::<u64>().is_ok_and(|n| n >= 1 << 31) =>
        {
            Some("a CSeq number of 2^31 or more (RFC 3261 8.1.1.5: less than 2^31)")
        }
        _ => None,
    }
}
