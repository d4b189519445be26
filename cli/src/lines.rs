//! `sipline lines`: frame a stream (or one datagram) into messages, one JSON
//! object per line.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;
use sipline::nom::Offset as _;
use sipline::StreamError;
use sipline::{parse_datagram, Datagram, Error, ErrorKind, Frame, Frames, ParserConfig};

use crate::json::{error_record, message_record, validation_fields};

/// Whom `--validate` judges as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// A UAS: `validate()`.
    #[default]
    Uas,
    /// A proxy about to forward: `validate_to_forward()`.
    Proxy,
}

impl Role {
    fn name(self) -> &'static str {
        match self {
            Role::Uas => "uas",
            Role::Proxy => "proxy",
        }
    }
}

fn open(file: Option<&PathBuf>) -> std::io::Result<Box<dyn Read>> {
    Ok(match file {
        Some(p) if p.as_os_str() != "-" => Box::new(std::fs::File::open(p)?),
        _ => Box::new(std::io::stdin().lock()),
    })
}

/// `validate`: judge each message, as that role.
pub fn run(
    config: ParserConfig,
    datagram: bool,
    validate: Option<Role>,
    file: Option<&PathBuf>,
) -> ExitCode {
    let name = file.map_or("standard input".into(), |p| p.display().to_string());
    let mut input = match open(file) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("sipline lines: cannot read {name}: {e}");
            return ExitCode::from(crate::EXIT_USAGE);
        }
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    let result = if datagram {
        one_datagram(&config, validate, &mut input, &mut out)
    } else {
        stream(config, validate, input, &mut out)
    };
    let code = match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sipline lines: cannot read {name}: {e}");
            crate::EXIT_USAGE
        }
    };
    if out.flush().is_err() {
        return ExitCode::from(crate::EXIT_USAGE);
    }
    ExitCode::from(code)
}

/// Memory stays bounded: [`Frames`] fails before a message outgrows the
/// limits, so it never holds more than one message and a chunk.
fn stream(
    config: ParserConfig,
    validate: Option<Role>,
    input: impl Read,
    out: &mut dyn Write,
) -> std::io::Result<u8> {
    let mut frames = Frames::new(input, config);
    while let Some(frame) = frames.next() {
        match frame {
            Ok(Frame::Message(m)) => {
                let mut v = message_record(m.offset(), &m.message());
                if let Some(role) = validate {
                    add(&mut v, validation_fields(&m.head(), role == Role::Proxy));
                    v["as"] = json!(role.name());
                }
                writeln!(out, "{v}")?
            }
            Ok(Frame::KeepAlive { offset }) => {
                writeln!(out, "{}", json!({"offset": offset, "kind": "keep-alive"}))?
            }
            Err(StreamError::Parse(e)) if e.kind() == ErrorKind::IncompleteMessage => {
                let mut v = json!({"offset": e.offset(), "kind": "incomplete"});
                v["error_kind"] = json!(e.kind().name());
                v["message"] = json!(e.to_string());
                writeln!(out, "{v}")?;
                return Ok(3);
            }
            Err(StreamError::Parse(e)) => {
                let salvaged = sipline::salvage(frames.pending(), &config);
                writeln!(out, "{}", checked_error_record(&e, &salvaged, validate))?;
                return Ok(1);
            }
            Err(StreamError::Io(e)) => return Err(e),
        }
    }
    Ok(0)
}

fn one_datagram(
    config: &ParserConfig,
    validate: Option<Role>,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> std::io::Result<u8> {
    // A datagram is at most a head and a body within the limits.
    let cap = config.head_len_limit() as u64 + config.body_len_limit();
    let mut buf = Vec::new();
    input.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        let e = Error::new(ErrorKind::HeadTooLarge, config.head_len_limit() as u64);
        let salvaged = sipline::salvage(&buf, config);
        writeln!(out, "{}", checked_error_record(&e, &salvaged, validate))?;
        return Ok(1);
    }
    match parse_datagram(&buf, config) {
        Ok(Datagram::Message(m)) => {
            let skipped = buf.as_slice().offset(m.head.as_bytes());
            let mut v = message_record(skipped as u64, &m);
            if let Some(role) = validate {
                add(&mut v, validation_fields(&m.head, role == Role::Proxy));
                v["as"] = json!(role.name());
            }
            writeln!(out, "{v}")?;
            Ok(0)
        }
        Ok(Datagram::KeepAlive) => {
            writeln!(out, "{}", json!({"offset": 0, "kind": "keep-alive"}))?;
            Ok(0)
        }
        Err(e) => {
            let mut v = checked_error_record(&e, &sipline::salvage(&buf, config), validate);
            if validate.is_some() && buf.starts_with(b"SIP/") {
                // A response that does not parse is discarded, not answered.
                v["owed"] = serde_json::Value::Null;
            }
            writeln!(out, "{v}")?;
            Ok(1)
        }
    }
}

fn add(v: &mut serde_json::Value, fields: serde_json::Map<String, serde_json::Value>) {
    if let Some(o) = v.as_object_mut() {
        o.extend(fields);
    }
}

/// The error record; with --validate, what a request that failed so would
/// be owed (505 for the version, 513 for a limit, 400 otherwise).
fn checked_error_record(
    e: &Error,
    salvaged: &sipline::Salvage<'_>,
    validate: Option<Role>,
) -> serde_json::Value {
    let mut v = error_record(e, salvaged);
    if let Some(role) = validate {
        v["valid"] = json!(false);
        v["owed"] = json!(e.status_owed().as_u16());
        v["why"] = json!(e.to_string());
        v["rule"] = serde_json::Value::Null;
        v["as"] = json!(role.name());
    }
    v
}
