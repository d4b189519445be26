//! `sipline lines`: frame a stream (or one datagram) into messages, one JSON
//! object per line.

use std::io::{BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use bytes::BytesMut;
use serde_json::{json, Value};
use sipline::{
    parse_datagram, Datagram, Error, Frame, Message, ParserConfig, StartLine, StreamDecoder,
};

use crate::parse::hex;

/// How much is read from the input at a time.
const CHUNK: usize = 64 * 1024;

/// The JSON object for one message found at `offset`.
pub fn message_json(offset: u64, m: &Message<'_>) -> Value {
    let mut v = match m.head.start_line {
        StartLine::Status(s) => {
            let mut v = json!({
                "offset": offset,
                "kind": "response",
                "code": s.code.as_u16(),
                "reason": s.reason.to_string_lossy(),
            });
            if s.reason.as_str().is_none() {
                v["reason_hex"] = Value::String(hex(s.reason.as_bytes()));
            }
            v
        }
        StartLine::Request(r) => json!({
            "offset": offset,
            "kind": "request",
            "method": r.method.as_str(),
            "uri": String::from_utf8_lossy(r.uri),
        }),
    };
    v["headers"] = json!(m.head.header_count());
    v["body_len"] = json!(m.body.len());
    v
}

/// The JSON object for a malformed message.
pub fn error_json(e: &Error) -> Value {
    json!({
        "offset": e.offset(),
        "kind": "error",
        "error": e.kind().name(),
        "message": e.to_string(),
    })
}

fn open(file: Option<&PathBuf>) -> std::io::Result<Box<dyn Read>> {
    Ok(match file {
        Some(p) if p.as_os_str() != "-" => Box::new(std::fs::File::open(p)?),
        _ => Box::new(std::io::stdin().lock()),
    })
}

pub fn run(config: ParserConfig, datagram: bool, file: Option<&PathBuf>) -> ExitCode {
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
        one_datagram(&config, &mut input, &mut out)
    } else {
        stream(config, &mut input, &mut out)
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

fn stream(config: ParserConfig, input: &mut dyn Read, out: &mut dyn Write) -> std::io::Result<u8> {
    let mut dec = StreamDecoder::new(config);
    let mut buf = BytesMut::with_capacity(CHUNK);
    loop {
        loop {
            match dec.decode(&mut buf) {
                Ok(Some(Frame::Message(m))) => {
                    writeln!(out, "{}", message_json(m.offset(), &m.message()))?
                }
                Ok(Some(Frame::KeepAlive { offset })) => {
                    writeln!(out, "{}", json!({"offset": offset, "kind": "keep-alive"}))?
                }
                Ok(None) => break,
                Err(e) => {
                    writeln!(out, "{}", error_json(&e))?;
                    return Ok(1);
                }
            }
        }
        // Memory stays bounded: the decoder fails before a message outgrows
        // the limits, so the buffer never holds more than one message and a chunk.
        buf.reserve(CHUNK);
        let start = buf.len();
        buf.resize(start + CHUNK, 0);
        let n = loop {
            match input.read(&mut buf[start..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        buf.truncate(start + n);
        if n == 0 {
            if dec.is_between_messages(&buf) {
                return Ok(0);
            }
            writeln!(
                out,
                "{}",
                json!({"offset": dec.stream_offset(), "kind": "incomplete"})
            )?;
            return Ok(3);
        }
    }
}

fn one_datagram(
    config: &ParserConfig,
    input: &mut dyn Read,
    out: &mut dyn Write,
) -> std::io::Result<u8> {
    // A datagram is at most a head and a body within the limits.
    let cap = config.head_len_limit() as u64 + config.body_len_limit();
    let mut buf = Vec::new();
    input.take(cap + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > cap {
        let e = Error::new(
            sipline::ErrorKind::HeadTooLarge,
            config.head_len_limit() as u64,
        );
        writeln!(out, "{}", error_json(&e))?;
        return Ok(1);
    }
    match parse_datagram(&buf, config) {
        Ok(Datagram::Message(m)) => {
            let skipped = m.head.as_bytes().as_ptr() as usize - buf.as_ptr() as usize;
            writeln!(out, "{}", message_json(skipped as u64, &m))?;
            Ok(0)
        }
        Ok(Datagram::KeepAlive) => {
            writeln!(out, "{}", json!({"offset": 0, "kind": "keep-alive"}))?;
            Ok(0)
        }
        Err(e) => {
            writeln!(out, "{}", error_json(&e))?;
            Ok(1)
        }
    }
}
