//! `sipline parse`: one status line as one JSON object.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Value};
use sipline::{parse_status_line_with, Parsed, ParserConfig, StatusLine};

/// The JSON object for a complete status line.
pub fn status_line_json(line: &StatusLine<'_>, consumed: usize) -> Value {
    let mut v = json!({
        "status": "complete",
        "version": String::from_utf8_lossy(line.version),
        "code": line.code.as_u16(),
        "class": line.code.class().name(),
        "reason": line.reason.to_string_lossy(),
        "canonical_reason": line.code.canonical_reason(),
        "consumed": consumed,
    });
    if line.reason.as_str().is_none() {
        v["reason_hex"] = Value::String(hex(line.reason.as_bytes()));
    }
    v
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

pub fn run(config: ParserConfig, file: Option<&PathBuf>) -> ExitCode {
    let buf = match crate::read_input(file) {
        Ok(b) => b,
        Err(e) => {
            let name = file.map_or("standard input".into(), |p| p.display().to_string());
            eprintln!("sipline parse: cannot read {name}: {e}");
            return ExitCode::from(crate::EXIT_USAGE);
        }
    };
    let (out, code) = match parse_status_line_with(&buf, &config) {
        Ok(Parsed::Complete { value, consumed }) => (status_line_json(&value, consumed), 0),
        Ok(Parsed::Incomplete { .. }) => (json!({"status": "incomplete"}), 3),
        Err(e) => (
            json!({
                "status": "error",
                "kind": e.kind().name(),
                "offset": e.offset(),
                "message": e.to_string(),
            }),
            1,
        ),
    };
    println!("{out}");
    ExitCode::from(code)
}
