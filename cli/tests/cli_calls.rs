//! `sipline calls` on the recorded loopback capture (three baresip calls:
//! answered and hung up by the caller, refused busy, cancelled while
//! ringing; see corpus/record.sh), in its three output forms, and on the
//! same capture cut in two files named against their time order.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

fn sipline(args: &[&str]) -> (String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .output()
        .unwrap();
    (
        String::from_utf8(out.stdout).unwrap(),
        out.status.code().unwrap(),
    )
}

fn capture() -> String {
    common::workspace_root()
        .join("corpus/captures/loopback.pcap")
        .display()
        .to_string()
}

fn json_rows(out: &str) -> Vec<serde_json::Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn the_three_recorded_calls() {
    let (out, code) = sipline(&["calls", "--json", &capture()]);
    assert_eq!(code, 0);
    let rows = json_rows(&out);
    let got: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r["outcome"].as_str().unwrap(),
                r["final_code"].as_u64(),
                r["ended_by"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("established", Some(200), Some("caller")),
            ("failed", Some(486), None),
            ("cancelled", Some(487), None),
        ]
    );
    // The keys, every row.
    for key in [
        "call_id",
        "from_tag",
        "caller",
        "callee",
        "start",
        "outcome",
        "final_code",
        "final_reason",
        "q850_cause",
        "srd_ms",
        "pdd_ms",
        "duration_ms",
        "open_at_end",
        "ended_by",
        "invites",
        "auth_challenges",
        "retransmissions",
    ] {
        assert!(rows.iter().all(|r| r.get(key).is_some()), "{key}");
    }
    let answered = &rows[0];
    assert!(answered["duration_ms"].as_f64().unwrap() > 1000.0);
    assert!(answered["start"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        answered["start"].as_str().unwrap().len(),
        "2026-11-25T12:24:22.821775Z".len()
    );
    assert_eq!(
        rows[2]["srd_ms"],
        serde_json::Value::Null,
        "cancelled: no SRD"
    );
}

#[test]
fn csv_and_table() {
    let (json, _) = sipline(&["calls", "--json", &capture()]);
    let (csv, code) = sipline(&["calls", "--csv", &capture()]);
    assert_eq!(code, 0);
    let mut lines = csv.lines();
    let header: Vec<_> = lines.next().unwrap().split(',').collect();
    let first: serde_json::Value = json_rows(&json).remove(0);
    let keys: Vec<_> = first
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(header, keys, "the same columns in the same order");
    assert_eq!(lines.count(), 3);
    let (table, code) = sipline(&["calls", &capture()]);
    assert_eq!(code, 0);
    assert!(
        table.contains("486 Busy Here") && table.contains("cancelled"),
        "{table}"
    );
    assert!(table.contains("3 call attempt(s)"), "{table}");
}

/// A capture in two files (tcpdump -C/-G), the later half in the file whose
/// name sorts first: read in time order, a call spanning both is one call.
#[test]
fn rotated_captures_are_read_in_time_order() {
    let bytes = std::fs::read(capture()).unwrap();
    let (header, mut rest) = bytes.split_at(24);
    let mut records = Vec::new();
    while rest.len() >= 16 {
        let len = u32::from_le_bytes(rest[8..12].try_into().unwrap()) as usize;
        records.push(&rest[..16 + len]);
        rest = &rest[16 + len..];
    }
    // Cut right after the first call's INVITE: its answer and BYE are in
    // the other file.
    let cut = 1 + records
        .iter()
        .position(|r| r.windows(15).any(|w| w == b"INVITE sip:bob@"))
        .unwrap();
    let part = |rs: &[&[u8]]| {
        let mut f = header.to_vec();
        for r in rs {
            f.extend_from_slice(r);
        }
        f
    };
    let late = common::write_temp("trace10.pcap", &part(&records[cut..]));
    let early = common::write_temp("trace9.pcap", &part(&records[..cut]));
    let (whole, _) = sipline(&["calls", "--json", &capture()]);
    let (split, code) = sipline(&[
        "calls",
        "--json",
        late.to_str().unwrap(),
        early.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    let strip = |s: &str| -> Vec<serde_json::Value> {
        json_rows(s)
            .into_iter()
            .map(|mut r| {
                r.as_object_mut().unwrap().remove("flow");
                r
            })
            .collect()
    };
    assert_eq!(strip(&split), strip(&whole));
}

/// `stats`: the calls section, in the table and under `"calls"`, by
/// default (`--calls` says the same); with `--no-calls` the JSON is what it
/// was before calls existed, and the other counts do not move.
#[test]
fn stats_calls_section() {
    let (plain, code) = sipline(&["stats", "--no-calls", "--json", &capture()]);
    assert_eq!(code, 0);
    let plain: serde_json::Value = serde_json::from_str(&plain).unwrap();
    assert!(plain.get("calls").is_none());
    let (out, code) = sipline(&["stats", "--json", &capture()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (flagged, _) = sipline(&["stats", "--calls", "--json", &capture()]);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&flagged).unwrap(),
        v
    );
    // The counts that existed stay as they were.
    assert_eq!(v["responses"], plain["responses"]);
    assert_eq!(v["requests"], plain["requests"]);
    let c = &v["calls"];
    assert_eq!(c["attempts"], 3);
    assert_eq!(c["by_outcome"]["established"], 1);
    assert_eq!(c["by_outcome"]["failed"], 1);
    assert_eq!(c["by_outcome"]["cancelled"], 1);
    assert_eq!(c["finals"]["486"], 1);
    let r = &c["rfc6076"];
    // SER: 1 established ÷ (3 − 0 redirected) = 33.333 %.
    assert_eq!(r["ser"], serde_json::json!(33.333));
    // SEER: 200 and 486 ÷ 3 = 66.667 %; ISA: no 408/500/503/504, 0 %.
    assert_eq!(r["seer"], serde_json::json!(66.667));
    assert_eq!(r["isa"], serde_json::json!(0.0));
    // SCR: the established call ended with a BYE answered 200: 1 ÷ 3.
    assert_eq!(r["scr"], serde_json::json!(33.333));
    assert_eq!(r["srd"]["success"]["count"], 1);
    assert_eq!(r["srd"]["failure"]["count"], 1);
    assert_eq!(r["sdt"]["count"], 1);
    assert!(r["sdt"]["mean"].as_f64().unwrap() > 1.0, "seconds");
    assert_eq!(v["calls"]["industry"]["asr"], serde_json::json!(33.333));
    // The loopback capture's REGISTERs: RRD and IRA are measured.
    assert!(r["register_attempts"].as_u64().unwrap() > 0);
    let (table, _) = sipline(&["stats", &capture()]);
    assert!(
        table.contains("RFC 6076") && table.contains("SER  33.3 %"),
        "{table}"
    );
    let (table, _) = sipline(&["stats", "--no-calls", &capture()]);
    assert!(!table.contains("RFC 6076"), "{table}");
}

/// SIPp against SIPp on loopback (corpus/sipp/record.sh, Debian sip-tester):
/// 100 calls of each kind, whose outcome the scenarios fix. sipline finds
/// every call SIPp counted, with the outcome its scenario gives it, and the
/// RFC 6076 figures worked out by hand from those counts.
#[test]
fn sipp_calls_match_sipps_counts() {
    check_sipp_set("calls.pcap", "expected.tsv", 503);
}

/// The same five kinds through Kamailio as a transaction-stateful proxy
/// (`record.sh 100 proxy`): every call is seen on two legs, caller to proxy
/// and proxy to callee, and is still one attempt. The caller's leg decides:
/// Kamailio turns the callee's 503 into 500 (RFC 3261 §16.7), so that is
/// the final the caller got.
#[test]
fn sipp_calls_through_kamailio_are_one_attempt_each() {
    let rows = check_sipp_set("proxy.pcap", "expected_proxy.tsv", 500);
    // Two legs: every INVITE the caller sent went on to the callee.
    let pcap = common::workspace_root().join("corpus/sipp/proxy.pcap");
    let (out, _) = sipline(&["stats", "--json", pcap.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let invites: u64 = rows.iter().map(|r| r["invites"].as_u64().unwrap()).sum();
    assert_eq!(v["requests"]["INVITE"].as_u64(), Some(2 * invites));
    // The callee's 503s are in the capture, on the second leg only.
    assert_eq!(v["responses"]["503"].as_u64(), Some(100));
    assert_eq!(v["responses"]["500"].as_u64(), Some(100));
}

/// Checks one recorded SIPp set against SIPp's counts; returns the rows.
fn check_sipp_set(pcap: &str, tsv: &str, fail503_final: u16) -> Vec<serde_json::Value> {
    let dir = common::workspace_root().join("corpus/sipp");
    let expected = std::fs::read_to_string(dir.join(tsv)).unwrap();
    let pcap = dir.join(pcap);
    let (out, code) = sipline(&["calls", "--json", pcap.to_str().unwrap()]);
    assert_eq!(code, 0);
    let rows = json_rows(&out);
    // kind -> (outcome, final code, invites, auth challenges, ended by)
    let want = |kind: &str| match kind {
        "answer" => ("established", Some(200), 1, 0, Some("caller")),
        "busy" => ("failed", Some(486), 1, 0, None),
        "fail503" => ("failed", Some(fail503_final), 1, 0, None),
        "cancel" => ("cancelled", Some(487), 1, 0, None),
        "challenge" => ("established", Some(200), 2, 1, Some("caller")),
        other => panic!("{other}"),
    };
    let mut total = 0;
    for line in expected.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        let (kind, ok, failed): (&str, u64, u64) =
            (f[0], f[1].parse().unwrap(), f[2].parse().unwrap());
        assert_eq!(failed, 0, "SIPp failed {kind} calls when recording");
        let prefix = format!("sip:{kind}@");
        let mine: Vec<_> = rows
            .iter()
            .filter(|r| r["callee"].as_str().unwrap().starts_with(&prefix))
            .collect();
        assert_eq!(mine.len() as u64, ok, "{kind}: one attempt per SIPp call");
        let (outcome, final_code, invites, challenges, ended_by) = want(kind);
        for r in &mine {
            assert_eq!(r["outcome"], outcome, "{kind}: {r}");
            assert_eq!(
                r["final_code"].as_u64().map(|c| c as u16),
                final_code,
                "{kind}: {r}"
            );
            assert_eq!(r["invites"], invites, "{kind}: {r}");
            assert_eq!(r["auth_challenges"], challenges, "{kind}: {r}");
            assert_eq!(r["ended_by"].as_str(), ended_by, "{kind}: {r}");
            assert_eq!(r["retransmissions"], 0, "{kind}: loopback loses nothing");
        }
        total += ok;
    }
    assert_eq!(rows.len() as u64, total);
    // 500 attempts: 200 established (answer, challenge), 100 busy, 100 503,
    // 100 cancelled after ringing. SER = 200 / 500 = 40 %; SEER adds the
    // 486s: 60 %; ISA counts the 503s (or the 500s the proxy made of them):
    // 20 %; SCR: the 200 established calls ended by a BYE answered 200:
    // 40 %; NER adds busy and ring-no-answer: 80 %.
    let (out, _) = sipline(&["stats", "--calls", "--json", pcap.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &v["calls"]["rfc6076"];
    assert_eq!(
        (r["ser"].as_f64(), r["seer"].as_f64()),
        (Some(40.0), Some(60.0))
    );
    assert_eq!(
        (r["isa"].as_f64(), r["scr"].as_f64()),
        (Some(20.0), Some(40.0))
    );
    assert_eq!(v["calls"]["industry"]["ner"].as_f64(), Some(80.0));
    assert_eq!(r["sdt"]["count"], 200);
    assert_eq!(r["srd"]["success"]["count"], 200);
    assert_eq!(r["srd"]["failure"]["count"], 200);
    // Loopback delays are fractions of a millisecond: seconds keep the
    // microseconds (they printed as 0 with three decimals).
    for (k, bucket) in [("srd", "success"), ("srd", "failure")] {
        let mean = r[k][bucket]["mean"].as_f64().unwrap();
        assert!(mean > 0.0 && mean < 0.01, "{k} {bucket}: {mean}");
    }
    rows
}

/// `stats --by callee|peer` (RFC 6076 §5.1): one slice per SIPp kind, each
/// with the ratio its scenario fixes; --by implies --calls.
#[test]
fn stats_by_slices() {
    let pcap = common::workspace_root().join("corpus/sipp/calls.pcap");
    let (out, code) = sipline(&["stats", "--by", "callee", "--json", pcap.to_str().unwrap()]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let by = &v["calls"]["by"];
    assert_eq!(by["by"], "callee");
    let slices = by["slices"].as_object().unwrap();
    assert_eq!(slices.len(), 5);
    let ser = |k: &str| slices[k]["rfc6076"]["ser"].as_f64();
    assert_eq!(ser("answer@127.0.0.1:5061"), Some(100.0));
    assert_eq!(ser("busy@127.0.0.1:5062"), Some(0.0));
    assert_eq!(
        slices["busy@127.0.0.1:5062"]["rfc6076"]["seer"].as_f64(),
        Some(100.0)
    );
    assert_eq!(
        slices["fail503@127.0.0.1:5063"]["rfc6076"]["isa"].as_f64(),
        Some(100.0)
    );
    assert!(slices.values().all(|s| s["attempts"] == 100));
    let (out, _) = sipline(&["stats", "--by", "peer", "--json", pcap.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        v["calls"]["by"]["slices"].as_object().unwrap().len(),
        5,
        "one UAS port each"
    );
    let (_, code) = sipline(&["stats", "--by", "nobody", pcap.to_str().unwrap()]);
    assert_eq!(code, 2, "a usage error");
}

/// `calls --by`: every row carries its slice (a `slice` key, a last CSV
/// column), and the table ends with each slice's ratios; without --by the
/// columns are as documented, with no `slice`.
#[test]
fn calls_by_slices() {
    let pcap = common::workspace_root().join("corpus/sipp/calls.pcap");
    let pcap = pcap.to_str().unwrap();
    let (out, code) = sipline(&["calls", "--json", "--by", "callee", pcap]);
    assert_eq!(code, 0);
    let rows = json_rows(&out);
    assert_eq!(rows.len(), 500);
    for r in &rows {
        let callee = r["callee"].as_str().unwrap();
        let want = callee.trim_start_matches("sip:");
        assert_eq!(r["slice"].as_str(), Some(want), "{r}");
    }
    let (plain, _) = sipline(&["calls", "--json", pcap]);
    assert!(json_rows(&plain).iter().all(|r| r.get("slice").is_none()));
    // CSV: the slice is the last column, after the documented ones (the
    // media columns included).
    let (csv, _) = sipline(&["calls", "--csv", "--by", "peer", pcap]);
    let mut lines = csv.lines();
    assert!(lines
        .next()
        .unwrap()
        .ends_with(",one_way_audio,heard,slice"));
    let first = lines.next().unwrap();
    let peer = first.rsplit(',').next().unwrap();
    assert!(first.contains(&format!("-> {peer},")), "{first}");
    // The table's summary: busy calls are all effective, none established.
    let (table, _) = sipline(&["calls", "--by", "callee", pcap]);
    let busy = table
        .lines()
        .find(|l| l.starts_with("busy@"))
        .expect("a busy slice");
    let cols: Vec<&str> = busy.split_whitespace().collect();
    assert_eq!(cols[1..], ["100", "0.0", "100.0", "0.0", "0.0", "100.0"]);
}
