//! `sipline export` (issue 14): the rows of every format count what
//! `sipline stats --json` counts, call rows are `sipline calls`' rows,
//! retransmissions and malformed messages are marked, Parquet parts stay
//! within their size, and bad usage exits 2. The engines (DuckDB,
//! ClickHouse's chdb, Spark) are in `cli_export_engines.rs`.

#[path = "../../tests/common/mod.rs"]
mod common;
mod engines;
mod tshark_fields;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use engines::sipline;
use etherparse::PacketBuilder;
use serde_json::Value;

/// Responses by code, requests by method, malformed: what `stats` counts.
#[derive(Debug, Default, PartialEq, Eq)]
struct Counts {
    responses: BTreeMap<String, u64>,
    requests: BTreeMap<String, u64>,
    malformed: u64,
}

fn stats_counts(paths: &[&Path]) -> Counts {
    let mut args = vec!["stats", "--json", "--no-calls"];
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(names.iter().map(String::as_str));
    let (out, err, code) = sipline(&args);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_slice(&out).unwrap();
    let map = |k: &str| -> BTreeMap<String, u64> {
        v[k].as_object()
            .unwrap()
            .iter()
            .map(|(k, n)| (k.clone(), n.as_u64().unwrap()))
            .collect()
    };
    Counts {
        responses: map("responses"),
        requests: map("requests"),
        malformed: v["malformed"].as_u64().unwrap(),
    }
}

impl Counts {
    fn add(&mut self, kind: &str, method: Option<&str>, code: Option<i64>) {
        match kind {
            "request" => {
                *self
                    .requests
                    .entry(method.unwrap().to_string())
                    .or_default() += 1
            }
            "response" => *self.responses.entry(code.unwrap().to_string()).or_default() += 1,
            "error" => self.malformed += 1,
            other => panic!("kind {other}"),
        }
    }
}

fn jsonl_counts(out: &[u8]) -> (Counts, Vec<Value>) {
    let mut c = Counts::default();
    let rows: Vec<Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    for r in &rows {
        c.add(
            r["kind"].as_str().unwrap(),
            r["method"].as_str(),
            r["response_code"].as_i64(),
        );
    }
    (c, rows)
}

fn csv_counts(out: &[u8]) -> Counts {
    let mut c = Counts::default();
    let mut r = csv::Reader::from_reader(out);
    let h = r.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|x| x == name).unwrap();
    let (kind, method, code) = (at("kind"), at("method"), at("response_code"));
    for rec in r.records() {
        let rec = rec.unwrap();
        c.add(
            &rec[kind],
            Some(&rec[method]).filter(|s| !s.is_empty()),
            rec[code].parse().ok(),
        );
    }
    c
}

#[cfg(feature = "parquet")]
fn parquet_counts(files: &[PathBuf]) -> (Counts, u64) {
    use arrow_array::cast::AsArray;
    use arrow_array::types::Int32Type;
    use arrow_array::Array;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let mut c = Counts::default();
    let mut rows = 0;
    for f in files {
        let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(f).unwrap())
            .unwrap()
            .build()
            .unwrap();
        for rb in reader {
            let rb = rb.unwrap();
            let kind = rb.column_by_name("kind").unwrap().as_string::<i32>();
            let method = rb.column_by_name("method").unwrap().as_string::<i32>();
            let code = rb
                .column_by_name("response_code")
                .unwrap()
                .as_primitive::<Int32Type>();
            for i in 0..rb.num_rows() {
                rows += 1;
                c.add(
                    kind.value(i),
                    method.is_valid(i).then(|| method.value(i)),
                    code.is_valid(i).then(|| i64::from(code.value(i))),
                );
            }
        }
    }
    (c, rows)
}

#[cfg(feature = "parquet")]
fn parts(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
        .collect();
    v.sort();
    v
}

fn fresh_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sipline-export-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn udp4(src: [u8; 4], dst: [u8; 4], msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([3; 6], [4; 6])
        .ipv4(src, dst, 64)
        .udp(5060, 5060)
        .write(&mut out, msg)
        .unwrap();
    out
}

fn udp6(msg: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let (a, b) = ([0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], {
        let mut b = [0u8; 16];
        b[0] = 0x20;
        b[1] = 1;
        b[15] = 2;
        b
    });
    PacketBuilder::ethernet2([3; 6], [4; 6])
        .ipv6(a, b, 64)
        .udp(5062, 5060)
        .write(&mut out, msg)
        .unwrap();
    out
}

fn tcp(seq: u32, payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4([10, 0, 0, 1], [10, 0, 0, 2], 64)
        .tcp(40000, 5060, seq, 65535)
        .ack(1)
        .write(&mut out, payload)
        .unwrap();
    out
}

fn msg(start: &str, branch: &str, call_id: &str, cseq: &str, to_tag: &str) -> Vec<u8> {
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 192.0.2.1;branch={branch}\r\n\
         From: \"Alice\" <sip:alice@example.com>;tag=a1\r\nTo: <sip:bob@192.0.2.2>{to_tag}\r\n\
         Call-ID: {call_id}\r\nCSeq: {cseq}\r\nUser-Agent: tester/1\r\nMax-Forwards: 69\r\n\
         Content-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

/// UDP over IPv4 and IPv6, TCP (two messages in a segment, one split over
/// two), a malformed datagram, a keep-alive, a datagram that is not SIP,
/// and retransmissions one second apart (the capture's clock).
fn mixed_capture() -> PathBuf {
    let (a, b) = ([192, 0, 2, 1], [192, 0, 2, 2]);
    let invite = msg(
        "INVITE sip:bob@192.0.2.2 SIP/2.0",
        "z9hG4bK1",
        "mix-1",
        "1 INVITE",
        "",
    );
    let ringing = msg(
        "SIP/2.0 180 Ringing",
        "z9hG4bK1",
        "mix-1",
        "1 INVITE",
        ";tag=b1",
    );
    let ok = msg("SIP/2.0 200 OK", "z9hG4bK1", "mix-1", "1 INVITE", ";tag=b1");
    let ack = msg(
        "ACK sip:bob@192.0.2.2 SIP/2.0",
        "z9hG4bK2",
        "mix-1",
        "1 ACK",
        ";tag=b1",
    );
    let mut frames = vec![
        udp4(a, b, &invite),
        udp4(a, b, &invite), // retransmission
        udp4(b, a, &ringing),
        udp4(b, a, &ringing), // retransmission
        udp4(b, a, &ok),
        udp4(a, b, &ack),
        udp4(a, b, b"SIP/2.0 2000 OK\r\n\r\n"),
        udp4(a, b, b"\r\n\r\n"),
        udp4(a, b, &[0x80, 0, 0x12, 0x34, 0, 0, 0, 0]),
        udp6(&msg(
            "OPTIONS sip:b@[2001:db8::2] SIP/2.0",
            "z9hG4bK6",
            "v6",
            "1 OPTIONS",
            "",
        )),
    ];
    let opt = |i: usize| {
        msg(
            "OPTIONS sip:t@10.0.0.2 SIP/2.0",
            &format!("z9hG4bKt{i}"),
            &format!("t{i}"),
            "1 OPTIONS",
            "",
        )
    };
    let two = [opt(1), opt(2)].concat();
    let third = opt(3);
    let (head, tail) = third.split_at(30);
    let mut seq = 1000u32;
    for p in [&two[..], head, tail] {
        frames.push(tcp(seq, p));
        seq += p.len() as u32;
    }
    // 40 seconds on, the INVITE again: past 64·T1, a new message.
    for i in 0..40 {
        frames.push(udp4(a, b, &opt(100 + i)));
    }
    frames.push(udp4(a, b, &invite));
    common::write_temp("export-mixed.pcap", &common::pcap(1, &frames))
}

fn captures() -> Vec<PathBuf> {
    let root = common::workspace_root();
    let mut v: Vec<PathBuf> = [
        "corpus/captures/loopback.pcap",
        "corpus/sipp/proxy.pcap",
        "tests/data/loopback.pcapng",
    ]
    .iter()
    .map(|p| root.join(p))
    .collect();
    v.push(mixed_capture());
    v
}

/// Every format's rows, grouped as an engine would, equal `stats --json`.
#[test]
fn rows_of_every_format_count_what_stats_counts() {
    let dir = fresh_dir("formats");
    for capture in captures() {
        let name = capture.display().to_string();
        let want = stats_counts(&[&capture]);
        assert!(!want.responses.is_empty(), "{name}");

        let (out, err, code) = sipline(&["export", "--format", "jsonl", &name]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(jsonl_counts(&out).0, want, "jsonl {name}");

        let csv_path = dir.join("rows.csv");
        let csv_name = csv_path.display().to_string();
        let (_, err, code) = sipline(&["export", "--format", "csv", "-o", &csv_name, &name]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(
            csv_counts(&std::fs::read(&csv_path).unwrap()),
            want,
            "csv {name}"
        );

        #[cfg(feature = "parquet")]
        {
            let p = dir.join("rows.parquet");
            let (_, err, code) = sipline(&["export", "-o", p.to_str().unwrap(), &name]);
            assert_eq!(code, 0, "{err}");
            assert!(err.contains("in 1 file(s)"), "{err}");
            assert_eq!(parquet_counts(&[p]).0, want, "parquet {name}");
        }
    }
}

/// The mixed capture's rows, field by field.
#[test]
fn message_rows_carry_their_fields() {
    let capture = mixed_capture();
    let (out, err, code) = sipline(&[
        "export",
        "--format",
        "jsonl",
        "--payload",
        capture.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, rows) = jsonl_counts(&out);
    let invite = &rows[0];
    assert_eq!(invite["kind"], "request");
    assert_eq!(invite["method"], "INVITE");
    assert_eq!(invite["src_ip"], "192.0.2.1");
    assert_eq!(invite["dst_port"], 5060);
    assert_eq!(invite["protocol"], "udp");
    assert_eq!(invite["frame"], 1);
    assert_eq!(invite["timestamp"], "2023-11-14T22:13:20.000000Z");
    assert_eq!(invite["ruri"], "sip:bob@192.0.2.2");
    assert_eq!(invite["ruri_user"], "bob");
    assert_eq!(invite["cid"], "mix-1");
    assert_eq!(invite["cseq"], 1);
    assert_eq!(invite["cseq_method"], "INVITE");
    assert_eq!(invite["caller"], "sip:alice@example.com");
    assert_eq!(invite["from_user"], "alice");
    assert_eq!(invite["from_host"], "example.com");
    assert_eq!(invite["from_tag"], "a1");
    assert_eq!(invite["to_host"], "192.0.2.2");
    assert_eq!(invite["to_tag"], Value::Null);
    assert_eq!(invite["branch"], "z9hG4bK1");
    assert_eq!(invite["user_agent"], "tester/1");
    assert_eq!(invite["max_forwards"], 69);
    assert_eq!(invite["body_len"], 0);
    assert_eq!(invite["retransmission"], false);
    let payload = invite["payload"].as_str().unwrap();
    assert!(payload.starts_with("INVITE sip:bob@192.0.2.2 SIP/2.0\r\n"));
    assert_eq!(Some(payload.len() as u64), invite["msg_len"].as_u64());

    let flags: Vec<(String, bool)> = rows
        .iter()
        .filter(|r| r["cid"] == "mix-1")
        .map(|r| {
            let what = r["method"]
                .as_str()
                .map_or_else(|| r["response_code"].to_string(), String::from);
            (what, r["retransmission"].as_bool().unwrap())
        })
        .collect();
    let expect = [
        ("INVITE", false),
        ("INVITE", true),
        ("180", false),
        ("180", true),
        ("200", false),
        ("ACK", false),
        // 40 s after the last copy: not a retransmission.
        ("INVITE", false),
    ];
    let expect: Vec<(String, bool)> = expect.iter().map(|(w, f)| (w.to_string(), *f)).collect();
    assert_eq!(flags, expect);

    let bad = rows.iter().find(|r| r["kind"] == "error").unwrap();
    assert_eq!(bad["error_kind"], "status-code");
    assert_eq!(bad["frame"], 7);
    assert!(
        bad["error"].as_str().unwrap().contains("status code"),
        "{bad}"
    );
    assert_eq!(bad["method"], Value::Null);

    let v6 = rows.iter().find(|r| r["cid"] == "v6").unwrap();
    assert_eq!(v6["src_ip"], "2001:db8::1");
    assert_eq!(v6["src_port"], 5062);
    let tcp: Vec<&Value> = rows.iter().filter(|r| r["protocol"] == "tcp").collect();
    assert_eq!(tcp.len(), 3);
    assert_eq!(tcp[1]["offset"], tcp[0]["msg_len"]);
}

/// `--what calls`: the rows of `sipline calls --json`, value for value,
/// and its CSV byte for byte.
#[test]
fn call_rows_are_the_calls_rows() {
    let root = common::workspace_root();
    for capture in ["corpus/captures/loopback.pcap", "corpus/sipp/proxy.pcap"] {
        let p = root.join(capture);
        let p = p.to_str().unwrap();
        let (calls, _, code) = sipline(&["calls", "--json", p]);
        assert_eq!(code, 0);
        let (rows, err, code) = sipline(&["export", "--what", "calls", "--format", "jsonl", p]);
        assert_eq!(code, 0, "{err}");
        let parse = |b: &[u8]| -> Vec<Value> {
            b.split(|&c| c == b'\n')
                .filter(|l| !l.is_empty())
                .map(|l| serde_json::from_slice(l).unwrap())
                .collect()
        };
        let (want, got) = (parse(&calls), parse(&rows));
        assert!(!want.is_empty());
        assert_eq!(got, want, "{capture}");
        let (calls_csv, _, _) = sipline(&["calls", "--csv", p]);
        let (rows_csv, _, _) =
            sipline(&["export", "--what", "calls", "--format", "csv", "-o", "-", p]);
        assert_eq!(
            String::from_utf8(rows_csv).unwrap(),
            String::from_utf8(calls_csv).unwrap(),
            "{capture}"
        );
    }
}

/// A folder gets part files of bounded size whose rows add up; a folder
/// that already holds parts is refused; Parquet needs -o.
#[cfg(feature = "parquet")]
#[test]
fn parquet_parts_and_usage() {
    // 6 000 messages with bodies of pseudo-random hex: about 4 MB that
    // Snappy cannot shrink much.
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let frames: Vec<Vec<u8>> = (0..6000)
        .map(|i| {
            let body: String = (0..40)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    format!("{x:016x}")
                })
                .collect();
            let m = format!(
                "MESSAGE sip:b@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKp{i}\r\n\
                 Call-ID: p{i}\r\nCSeq: 1 MESSAGE\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            udp4([192, 0, 2, 1], [192, 0, 2, 2], m.as_bytes())
        })
        .collect();
    let capture = common::write_temp("export-parts.pcap", &common::pcap(1, &frames));
    let capture = capture.to_str().unwrap();
    let dir = fresh_dir("parts");
    let out = dir.join("messages");
    let out_name = out.to_str().unwrap();
    let args = [
        "export",
        "--payload",
        "--batch-rows",
        "500",
        "--max-file-mb",
        "1",
        "-o",
        out_name,
        capture,
    ];
    let (_, err, code) = sipline(&args);
    assert_eq!(code, 0, "{err}");
    let files = parts(&out);
    assert!(files.len() >= 2, "{files:?}");
    assert!(files[0].ends_with("part-00000.parquet"));
    for f in &files[..files.len() - 1] {
        // A part closes at the first row group past 1 MiB.
        let size = std::fs::metadata(f).unwrap().len();
        assert!((1 << 20..3 << 20).contains(&size), "{f:?} {size}");
    }
    let want = stats_counts(&[Path::new(capture)]);
    let (got, rows) = parquet_counts(&files);
    assert_eq!(got, want);
    assert!(err.contains(&format!("{rows} row(s)")), "{err}");

    let (_, err, code) = sipline(&args);
    assert_eq!(code, 2);
    assert!(err.contains("already holds part-"), "{err}");
    let (_, err, code) = sipline(&["export", capture]);
    assert_eq!(code, 2);
    assert!(err.contains("-o"), "{err}");
    // An empty input still gives a readable file with the schema.
    let empty = common::write_temp("export-empty.pcap", &common::pcap(1, &[]));
    let p = dir.join("empty.parquet");
    let (_, err, code) = sipline(&["export", "-o", p.to_str().unwrap(), empty.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(parquet_counts(&[p]), (Counts::default(), 0));
}

/// An input that cannot be read: exit 2, named, and the others exported.
#[test]
fn an_unreadable_input_is_named_and_the_rest_exported() {
    let root = common::workspace_root();
    let good = root.join("corpus/captures/loopback.pcap");
    let (out, err, code) = sipline(&[
        "export",
        "--format",
        "jsonl",
        "no/such.pcap",
        good.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such.pcap"), "{err}");
    assert_eq!(jsonl_counts(&out).0, stats_counts(&[&good]));
}

/// DuckDB and ClickHouse (chdb) read the three formats of the bundled
/// captures, the shared corpus's capture and the mixed one, and their
/// GROUP BYs equal `stats --json`: responses by code, requests by method,
/// malformed, call attempts, outcomes and finals.
#[test]
fn duckdb_and_clickhouse_count_what_stats_counts() {
    let mut caps = captures();
    let root = common::workspace_root();
    caps.push(root.join("corpus/sipp/calls.pcap"));
    if let Some(shared) =
        common::shared_corpus("the shared capture in the engine counts (the bundled ones ran)")
    {
        caps.push(shared.join("captured/loopback.pcap"));
    }
    let dir = fresh_dir("engines");
    for capture in &caps {
        tshark_fields::agree(capture, &[], &[], &[]);
        if !engines::engines_count_what_stats_counts(capture, &dir) {
            return;
        }
    }
}

/// Spark (local mode) over one folder of Parquet parts from several
/// captures: the path past one machine. Its counts are those of `stats`
/// over the same captures.
#[cfg(feature = "parquet")]
#[test]
fn spark_reads_a_folder_of_parts_from_several_captures() {
    let root = common::workspace_root();
    let caps = [
        root.join("corpus/captures/loopback.pcap"),
        root.join("corpus/sipp/calls.pcap"),
        root.join("corpus/sipp/proxy.pcap"),
    ];
    let refs: Vec<&Path> = caps.iter().map(PathBuf::as_path).collect();
    let dir = fresh_dir("spark");
    let (m, c) = (dir.join("messages"), dir.join("calls"));
    for (what, out) in [("messages", &m), ("calls", &c)] {
        for (i, cap) in caps.iter().enumerate() {
            // One folder per capture's parts, as a fleet of SBCs would
            // write them; Spark reads the parent.
            let sub = out.join(format!("sbc={i}"));
            let (_, err, code) = sipline(&[
                "export",
                "--what",
                what,
                "--batch-rows",
                "1000",
                "-o",
                sub.to_str().unwrap(),
                cap.to_str().unwrap(),
            ]);
            assert_eq!(code, 0, "{err}");
        }
    }
    assert!(parts(&m.join("sbc=2")).len() == 1);
    let Some(got) = engines::engine("spark", "parquet", &m, &c) else {
        return;
    };
    assert_eq!(got, engines::stats_as_engine(&refs));
}

/// `export --threads N`: rows are made on N threads and put back in order,
/// so every format's output is the one-thread output, byte for byte
/// (retransmissions included, which are marked in capture order).
#[test]
fn threads_give_the_one_thread_rows() {
    let root = common::workspace_root();
    let mixed = mixed_capture();
    let caps = [
        mixed.to_str().unwrap().to_string(),
        root.join("corpus/sipp/proxy.pcap").display().to_string(),
        root.join("tests/data/loopback.pcapng")
            .display()
            .to_string(),
    ];
    let dir = fresh_dir("threads");
    let formats: &[&str] = if cfg!(feature = "parquet") {
        &["jsonl", "csv", "parquet"]
    } else {
        &["jsonl", "csv"]
    };
    for &format in formats {
        let mut outputs = Vec::new();
        for threads in ["1", "2", "3"] {
            let out = dir.join(format!("t{threads}.{format}"));
            // Small batches: many hand-offs between threads.
            let mut args = vec![
                "export",
                "--payload",
                "--batch-rows",
                "700",
                "--format",
                format,
                "--threads",
                threads,
                "-o",
            ];
            let out_name = out.display().to_string();
            args.push(&out_name);
            args.extend(caps.iter().map(String::as_str));
            let (_, err, code) = sipline(&args);
            assert_eq!(code, 0, "{err}");
            outputs.push(std::fs::read(&out).unwrap());
        }
        assert!(outputs[0].len() > 100_000, "{format}");
        assert!(outputs[1] == outputs[0], "{format}: 2 threads differ");
        assert!(outputs[2] == outputs[0], "{format}: 3 threads differ");
    }
    let (out, _, _) = sipline(&["export", "--format", "jsonl", "--threads", "2", &caps[0]]);
    let (_, rows) = jsonl_counts(&out);
    let marked = rows.iter().filter(|r| r["retransmission"] == true).count();
    assert_eq!(marked, 2);
}

/// An output that cannot be written: exit 2, named, with the reason.
#[test]
fn an_unwritable_output_is_named() {
    let root = common::workspace_root();
    let capture = root.join("corpus/sipp/proxy.pcap");
    let capture = capture.to_str().unwrap();
    for (args, reason) in [
        (vec!["--format", "csv", "-o", "/dev/full"], "No space left"),
        (
            vec!["--format", "jsonl", "--threads", "2", "-o", "/dev/full"],
            "No space left",
        ),
        (vec!["-o", "/dev/full/x.parquet"], "Not a directory"),
    ] {
        let mut all = vec!["export"];
        all.extend(args.iter().copied());
        all.push(capture);
        let (_, err, code) = sipline(&all);
        assert_eq!(code, 2, "{args:?}");
        let target = args.last().unwrap();
        assert!(
            err.contains(&format!("cannot write {target}: {reason}")),
            "{err}"
        );
    }
}
