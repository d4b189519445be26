//! The engines that read what `sipline export` writes (DuckDB, chdb,
//! PySpark; `cli/tests/engines.py` runs them), for the tests of
//! `cli_export.rs` and `cli_capture_cases.rs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Runs the `sipline` binary: standard output, standard error, exit status.
pub fn sipline(args: &[&str]) -> (Vec<u8>, String, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .output()
        .unwrap();
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

/// What an engine printed (cli/tests/engines.py), or `None` when the
/// engines are not installed (through the tests' helper for outside inputs:
/// a skip line, or a failure when `SIPLINE_REQUIRE` names `engines`, as CI
/// does). An engine that is installed and fails fails the test.
pub fn engine(engine: &str, format: &str, messages: &Path, calls: &Path) -> Option<Value> {
    let skipped = format!("{engine} reading {format}");
    let have =
        crate::common::have_program(
            &crate::common::ENGINES,
            "python3",
            &["-c", "import duckdb, chdb, pyspark"],
            &skipped,
        ) && crate::common::have_program(&crate::common::ENGINES, "java", &["-version"], &skipped);
    if !have {
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/engines.py");
    let out = Command::new("python3")
        .arg(script)
        .args([engine, format])
        .arg(messages)
        .arg(calls)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{engine} {format} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

/// What `stats --json` says of `paths`, in the shape engines.py prints.
pub fn stats_as_engine(paths: &[&Path]) -> Value {
    let mut args = vec!["stats".to_string(), "--json".to_string()];
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (out, err, code) = sipline(&args);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_slice(&out).unwrap();
    let nonzero = |o: &Value| -> Value {
        Value::Object(
            o.as_object()
                .unwrap()
                .iter()
                .filter(|(_, n)| n.as_u64() != Some(0))
                .map(|(k, n)| (k.clone(), n.clone()))
                .collect(),
        )
    };
    serde_json::json!({
        "responses": v["responses"],
        "requests": v["requests"],
        "malformed": v["malformed"],
        "attempts": v["calls"]["attempts"],
        "by_outcome": nonzero(&v["calls"]["by_outcome"]),
        "finals": v["calls"]["finals"],
    })
}

/// Exports `captures` (messages and calls) as `format` into `dir`.
pub fn export_both(format: &str, captures: &[&Path], dir: &Path) -> (PathBuf, PathBuf) {
    let ext = if format == "parquet" {
        "parquet"
    } else {
        format
    };
    let (m, c) = (
        dir.join(format!("messages.{ext}")),
        dir.join(format!("calls.{ext}")),
    );
    for (what, out) in [("messages", &m), ("calls", &c)] {
        let mut args = vec![
            "export".to_string(),
            "--format".into(),
            format.into(),
            "--what".into(),
            what.into(),
            "-o".into(),
            out.display().to_string(),
        ];
        args.extend(captures.iter().map(|p| p.display().to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (_, err, code) = sipline(&args);
        assert_eq!(code, 0, "{err}");
    }
    (m, c)
}

/// DuckDB and chdb read `capture`'s rows in every format (written into
/// `dir`), and their GROUP BYs equal `stats --json`. `false` when the
/// engines are not installed (and not required).
pub fn engines_count_what_stats_counts(capture: &Path, dir: &Path) -> bool {
    let want = stats_as_engine(&[capture]);
    let formats: &[&str] = if cfg!(feature = "parquet") {
        &["parquet", "csv", "jsonl"]
    } else {
        &["csv", "jsonl"]
    };
    for &format in formats {
        let (m, c) = export_both(format, &[capture], dir);
        for eng in ["duckdb", "chdb"] {
            let Some(got) = engine(eng, format, &m, &c) else {
                return false;
            };
            assert_eq!(got, want, "{eng} {format} {}", capture.display());
        }
    }
    true
}
