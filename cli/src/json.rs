//! The CLI's one JSON vocabulary: the same key means the same thing in
//! `parse`, `lines`, `stats` and `check` (docs/cli.md, "JSON vocabulary").

use std::fmt::Write as _;

use serde_json::{json, Map, Value};
use sipline::header::Header;
use sipline::{Error, Head, HeaderField, Message, Salvage, StartLine, StatusLine};
use sipline_capture::Location;

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// `error_kind`, `message` and `offset` of a parse error: the keys every
/// error object has, whichever command prints it.
pub fn error_fields(e: &Error) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("error_kind".into(), json!(e.kind().name()));
    m.insert("message".into(), json!(e.to_string()));
    m.insert("offset".into(), json!(e.offset()));
    m
}

/// `file`, `frame`, `flow` and `offset` of a place in an input.
pub fn location_fields(at: &Location<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("file".into(), json!(at.file));
    m.insert("frame".into(), json!(at.frame));
    m.insert("flow".into(), json!(at.flow.map(|f| f.to_string())));
    m.insert("offset".into(), json!(at.offset));
    m
}

/// `code`, `reason` (and `reason_hex` when it is not UTF-8) of a status line.
pub fn status_fields(s: &StatusLine<'_>) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("code".into(), json!(s.code.as_u16()));
    m.insert("reason".into(), json!(s.reason.to_string_lossy()));
    if s.reason.as_str().is_none() {
        m.insert("reason_hex".into(), json!(hex(s.reason.as_bytes())));
    }
    m
}

/// The `lines` record of a message found at `offset`.
pub fn message_record(offset: u64, m: &Message<'_>) -> Value {
    let mut v = Map::new();
    v.insert("offset".into(), json!(offset));
    match m.head.start_line {
        StartLine::Status(s) => {
            v.insert("kind".into(), json!("response"));
            v.extend(status_fields(&s));
        }
        StartLine::Request(r) => {
            v.insert("kind".into(), json!("request"));
            v.insert("method".into(), json!(r.method.as_str()));
            v.insert("uri".into(), json!(String::from_utf8_lossy(r.uri)));
        }
    }
    v.insert("headers".into(), json!(m.head.header_count()));
    v.insert("body_len".into(), json!(m.body.len()));
    v.extend(transaction_fields(&m.head));
    Value::Object(v)
}

/// Where header fields are looked up: a parsed [`Head`], or what
/// [`sipline::salvage`] read of a message that did not parse.
pub trait Lookup<'a> {
    /// The first field named `name`.
    fn header(&self, name: &str) -> Option<HeaderField<'a>>;
    /// The first value of the typed field `H`.
    fn get<H: Header + 'a>(&self) -> Option<Result<H::Value<'a>, Error>>;
}

impl<'a> Lookup<'a> for Head<'a> {
    fn header(&self, name: &str) -> Option<HeaderField<'a>> {
        Head::header(self, name)
    }
    fn get<H: Header + 'a>(&self) -> Option<Result<H::Value<'a>, Error>> {
        Head::get::<H>(self)
    }
}

impl<'a> Lookup<'a> for Salvage<'a> {
    fn header(&self, name: &str) -> Option<HeaderField<'a>> {
        Salvage::header(self, name)
    }
    fn get<H: Header + 'a>(&self) -> Option<Result<H::Value<'a>, Error>> {
        Salvage::get::<H>(self)
    }
}

/// The transaction and dialog fields of a message: `call_id`, `cseq`,
/// `cseq_method`, `branch` (top Via), `from_tag`, `to_tag`, and the users
/// of From and To (`from_user`, `to_user`); `null` when the header is
/// absent or does not parse.
pub fn transaction_fields<'a>(head: &impl Lookup<'a>) -> Map<String, Value> {
    let mut v = Map::new();
    let call_id = head.get::<sipline::header::CallId>().and_then(Result::ok);
    let cseq = head.get::<sipline::CSeq>().and_then(Result::ok);
    let top_via = head.get::<sipline::Via>().and_then(Result::ok);
    let from = head.get::<sipline::header::From>().and_then(Result::ok);
    let to = head.get::<sipline::header::To>().and_then(Result::ok);
    v.insert(
        "call_id".into(),
        json!(call_id.map(|c| String::from_utf8_lossy(c).into_owned())),
    );
    v.insert("cseq".into(), json!(cseq.map(|c| c.number)));
    v.insert("cseq_method".into(), json!(cseq.map(|c| c.method.as_str())));
    v.insert("branch".into(), json!(top_via.and_then(|t| t.branch())));
    v.insert(
        "from_tag".into(),
        json!(from.as_ref().and_then(|f| f.tag())),
    );
    v.insert("to_tag".into(), json!(to.as_ref().and_then(|t| t.tag())));
    v.insert("from_user".into(), json!(from.and_then(|f| f.uri.user)));
    v.insert("to_user".into(), json!(to.and_then(|t| t.uri.user)));
    v
}

/// `lines --validate`: `owed` (the status a request's sender is owed, or
/// null: valid, or a response, which is discarded), `why` and `rule`
/// (null when valid), `valid`; `to_forward`: judged as a proxy about to
/// forward (`validate_to_forward()`: Max-Forwards 0 owes 483).
pub fn validation_fields(head: &Head<'_>, to_forward: bool) -> Map<String, Value> {
    let mut v = Map::new();
    let verdict = if to_forward {
        head.validate_to_forward()
    } else {
        head.validate()
    };
    v.insert("valid".into(), json!(verdict.is_ok()));
    let e = verdict.err();
    v.insert(
        "owed".into(),
        json!(e.and_then(|e| e.status()).map(|s| s.as_u16())),
    );
    v.insert("why".into(), json!(e.map(|e| e.to_string())));
    v.insert("rule".into(), json!(e.map(|e| e.rule())));
    v
}

/// The `lines` record of a malformed message: `kind: "error"`, the error's
/// fields, `error` (the kind's name, as 0.1 printed it), and what could
/// still be read of its bytes (`salvaged`): `method` or `code` (when the
/// start line gives one) and the [`transaction_fields`].
pub fn error_record(e: &Error, salvaged: &Salvage<'_>) -> Value {
    let mut v = Map::new();
    v.insert("offset".into(), json!(e.offset()));
    v.insert("kind".into(), json!("error"));
    v.insert("error".into(), json!(e.kind().name()));
    v.extend(error_fields(e));
    if let Some(m) = salvaged.method() {
        v.insert("method".into(), json!(m.as_str()));
    }
    if let Some(c) = salvaged.code() {
        v.insert("code".into(), json!(c.as_u16()));
    }
    v.extend(transaction_fields(salvaged));
    Value::Object(v)
}
