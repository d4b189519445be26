//! `sipline parse`: one status line as one JSON object.

use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::{json, Map, Value};
use sipline::{parse_status_line_with, Parsed, ParserConfig, StatusLine};

use crate::json::{error_fields, status_fields};

/// The JSON object for a complete status line.
pub fn status_line_json(line: &StatusLine<'_>, consumed: usize) -> Value {
    let mut v = Map::new();
    v.insert("status".into(), json!("complete"));
    v.insert(
        "version".into(),
        json!(String::from_utf8_lossy(line.version)),
    );
    v.extend(status_fields(line));
    v.insert("class".into(), json!(line.code.class().name()));
    v.insert(
        "canonical_reason".into(),
        json!(line.code.canonical_reason()),
    );
    v.insert("consumed".into(), json!(consumed));
    Value::Object(v)
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
        Err(e) => {
            // `kind` is 0.1's name for `error_kind`, kept for scripts.
            let mut v = Map::new();
            v.insert("status".into(), json!("error"));
            v.insert("kind".into(), json!(e.kind().name()));
            v.extend(error_fields(&e));
            (Value::Object(v), 1)
        }
    };
    println!("{out}");
    ExitCode::from(code)
}
