//! `--follow`: a capture read as it is written, and a folder of them read
//! as a ring buffer, until SIGINT; then the same report as the whole file
//! gives, a packet cut by the stop counted, exit 0.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// The recorded capture split into its file header and its records.
fn records() -> (Vec<u8>, Vec<Vec<u8>>) {
    let whole = std::fs::read(common::workspace_root().join("corpus/captures/loopback.pcap"))
        .expect("the bundled capture");
    let header = whole[..24].to_vec();
    let mut records = Vec::new();
    let mut at = 24;
    while at + 16 <= whole.len() {
        let len = u32::from_le_bytes(whole[at + 8..at + 12].try_into().unwrap()) as usize;
        records.push(whole[at..at + 16 + len].to_vec());
        at += 16 + len;
    }
    (header, records)
}

/// A fresh folder of this test's own.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("sipline-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// SIGINT to `child`, then what it printed and its exit status.
fn interrupt(child: Child) -> (String, i32) {
    let killed = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn append(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

/// Long enough for a follower that looks every 200 ms to read what came.
fn settle() {
    std::thread::sleep(Duration::from_millis(700));
}

fn messages(path: &Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--json", "--no-calls", path.to_str().unwrap()])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    v["totals"]["messages"].as_u64().unwrap()
}

#[test]
fn a_capture_being_written_is_read_until_interrupted() {
    let (header, records) = records();
    let dir = temp_dir("follow-file");
    let path = dir.join("live.pcap");
    std::fs::write(&path, &header).unwrap();
    let child = start(&[
        "stats",
        "--json",
        "--no-calls",
        "--follow",
        path.to_str().unwrap(),
    ]);
    settle();
    let half = records.len() / 2;
    for r in &records[..half] {
        append(&path, r);
    }
    settle();
    for r in &records[half..] {
        append(&path, r);
    }
    // A packet the writer had begun when it was stopped.
    append(&path, &records[0][..20]);
    settle();
    let (text, code) = interrupt(child);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let whole = dir.join("whole.pcap");
    std::fs::write(&whole, [header.clone(), records.concat()].concat()).unwrap();
    assert_eq!(v["totals"]["messages"].as_u64(), Some(messages(&whole)));
    assert_eq!(v["not_read"]["packets-cut-short"], 1);
    assert_eq!(v["input_errors"], serde_json::json!([]));
}

#[test]
fn a_ring_buffer_is_read_file_after_file() {
    let (header, records) = records();
    let dir = temp_dir("follow-ring");
    let ring = dir.join("ring");
    std::fs::create_dir_all(&ring).unwrap();
    let half = records.len() / 2;
    let first = ring.join("cap_00001.pcap");
    std::fs::write(&first, [header.clone(), records[..half].concat()].concat()).unwrap();
    let child = start(&["calls", "--json", "--follow", ring.to_str().unwrap()]);
    settle();
    // The writer moves on to the next file.
    let second = ring.join("cap_00002.pcap");
    std::fs::write(&second, &header).unwrap();
    settle();
    for r in &records[half..] {
        append(&second, r);
    }
    settle();
    let (text, code) = interrupt(child);
    assert_eq!(code, 0);
    let followed = text.lines().count();
    // The same calls as the two files read at once.
    let both = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args([
            "calls",
            "--json",
            first.to_str().unwrap(),
            second.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let expected = String::from_utf8_lossy(&both.stdout).lines().count();
    assert!(expected > 0);
    assert_eq!(followed, expected);
}

#[test]
fn follow_reads_one_input() {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(["stats", "--follow", "a.pcap", "b.pcap"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--follow reads one input"));
}

/// `export --follow --rotate`: DuckDB reads the folder again and again
/// while sipline writes it, and never fails on a part (each is written
/// under a hidden name and renamed when complete); after the stop, its
/// count is `stats`' count, and each part holds only its window's rows.
#[test]
fn duckdb_reads_rotated_parts_while_they_are_written() {
    if !common::have_program(
        &common::ENGINES,
        "python3",
        &["-c", "import duckdb"],
        "DuckDB reading rotated parts while they are written",
    ) {
        return;
    }
    let (header, records) = records();
    let dir = temp_dir("rotate");
    let path = dir.join("live.pcap");
    let out = dir.join("parts");
    let stop = dir.join("stop");
    std::fs::write(&path, &header).unwrap();
    let export = start(&[
        "export",
        "--follow",
        path.to_str().unwrap(),
        "--rotate",
        "10s",
        "--threads",
        "1",
        "-o",
        out.to_str().unwrap(),
    ]);
    // The reader: counts the rows of every complete part, as fast as it
    // can, until told to stop; any failure is kept.
    let script = format!(
        "import duckdb, json, os, glob\n\
         reads, failures, last = 0, [], 0\n\
         while not os.path.exists({stop:?}):\n\
         \x20   if glob.glob({glob:?}):\n\
         \x20       try:\n\
         \x20           last = duckdb.sql(\"select count(*) from read_parquet('\" + {glob:?} + \"')\").fetchall()[0][0]\n\
         \x20           reads += 1\n\
         \x20       except Exception as e:\n\
         \x20           failures.append(str(e))\n\
         print(json.dumps({{'reads': reads, 'failures': failures, 'last': last}}))\n",
        stop = stop.to_str().unwrap(),
        glob = out.join("*.parquet").to_str().unwrap(),
    );
    let reader = Command::new("python3")
        .args(["-c", &script])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    settle();
    for chunk in records.chunks(records.len().div_ceil(6)) {
        for r in chunk {
            append(&path, r);
        }
        settle();
    }
    let (_, code) = interrupt(export);
    assert_eq!(code, 0);
    std::fs::write(&stop, b"").unwrap();
    let read = reader.wait_with_output().unwrap();
    let v: Value = serde_json::from_slice(&read.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&read.stderr)));
    assert_eq!(v["failures"], serde_json::json!([]), "{v}");
    assert!(v["reads"].as_u64().unwrap() > 0, "{v}");
    let whole = dir.join("whole.pcap");
    std::fs::write(&whole, [header.clone(), records.concat()].concat()).unwrap();
    let expected = messages(&whole);
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 3, "{names:?}");
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("part-") && n.ends_with("Z.parquet")),
        "{names:?}"
    );
    // After the stop: every row, each in the part of its window.
    let window = |i: u8| {
        format!(
            "epoch(strptime(regexp_extract(filename, 'part-[0-9]+-([0-9TZ]+)-([0-9TZ]+)[.]parquet$', {i}), '%Y%m%dT%H%M%SZ'))"
        )
    };
    let check = format!(
        "import duckdb\n\
         print(duckdb.sql(\"select count(*), count(*) filter (where epoch(timestamp) < {} \
         or epoch(timestamp) >= {}) from read_parquet('{}', filename=true)\").fetchall()[0])",
        window(1),
        window(2),
        out.join("*.parquet").to_str().unwrap()
    );
    let after = Command::new("python3")
        .args(["-c", &check])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&after.stdout).into_owned();
    assert_eq!(
        text.trim(),
        format!("({expected}, 0)"),
        "{}",
        String::from_utf8_lossy(&after.stderr)
    );
}

/// A capture followed by name that is truncated in place, then replaced
/// under its name: each is said, the new content is read from its start,
/// and nothing written is missed.
#[test]
fn a_followed_capture_truncated_or_replaced_is_read_again() {
    let (header, records) = records();
    let dir = temp_dir("follow-rotated");
    let path = dir.join("live.pcap");
    std::fs::write(&path, &header).unwrap();
    let child = start(&[
        "stats",
        "--json",
        "--no-calls",
        "--follow",
        path.to_str().unwrap(),
    ]);
    settle();
    let third = records.len() / 3;
    for r in &records[..third] {
        append(&path, r);
    }
    settle();
    // Truncated in place (copytruncate), then written again from a header.
    std::fs::write(&path, &header).unwrap();
    for r in &records[third..2 * third] {
        append(&path, r);
    }
    settle();
    // Rotated away: renamed, a new capture under the name.
    std::fs::rename(&path, dir.join("live.pcap.1")).unwrap();
    std::fs::write(
        &path,
        [header.clone(), records[2 * third..].concat()].concat(),
    )
    .unwrap();
    settle();
    let (text, code) = interrupt(child);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    let whole = dir.join("whole.pcap");
    std::fs::write(&whole, [header.clone(), records.concat()].concat()).unwrap();
    assert_eq!(
        v["totals"]["messages"].as_u64(),
        Some(messages(&whole)),
        "{v}"
    );
    assert_eq!(v["skipped"]["captures-truncated"], 1, "{v}");
    assert_eq!(v["skipped"]["captures-replaced"], 1, "{v}");
    assert_eq!(v["not_read"]["captures-truncated"], 1);
    assert_eq!(v["all_read"], false);
}
