//! Recognising SIP on any port by its first line, with the parser's own
//! start-line grammar.

use sipline::{parse_start_line, Method, Parsed, ParserConfig};

/// How much of a new flow is looked at, at most, to recognise SIP.
pub const PROBE_LEN: usize = 2048;

/// `true` when enough of a flow's first bytes are there to judge them with
/// [`looks_like_sip`]: a line end after the leading CRLFs (within
/// [`PROBE_LEN`] bytes of them), or [`PROBE_LEN`] bytes without one, or
/// [`PROBE_LEN`] bytes of nothing but line ends. The verdict then depends on
/// the bytes only, never on how they were cut into segments.
pub fn probe_ready(buf: &[u8]) -> bool {
    let crlfs = leading_line_ends(buf);
    if crlfs >= PROBE_LEN {
        return true;
    }
    let rest = buf.get(crlfs..).unwrap_or_default();
    rest.len() >= PROBE_LEN || memchr::memchr(b'\n', rest).is_some()
}

fn leading_line_ends(data: &[u8]) -> usize {
    data.iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()
}

/// The grammar used to recognise SIP: lenient, as real devices send it.
const SNIFF: ParserConfig = ParserConfig::lenient();

/// `true` when `data` starts like a SIP message, so that SIP is recognised
/// on any port: leading CRLFs aside, its first line (at most [`PROBE_LEN`]
/// bytes) is a start line by the lenient grammar; or it is broken SIP, which
/// is reported rather than ignored: a status line whose `SIP/2.0` was read
/// before it failed (a bad code or phrase), or a line of the request form
/// `method SP … SP SIP/x.y` that the grammar refuses (a bad Request-URI,
/// another version).
///
/// ```
/// use sipline_capture::looks_like_sip;
/// assert!(looks_like_sip(b"INVITE sip:bob@b SIP/2.0\r\n"));
/// assert!(looks_like_sip(b"\r\nSIP/2.0 200 OK\r\n"));
/// assert!(looks_like_sip(b"SIP/2.0 2000 OK\r\n"), "SIP, malformed");
/// assert!(looks_like_sip(b"OPTIONS sip:a@b SIP/3.0\r\n"), "SIP, another version");
/// assert!(!looks_like_sip(b"GET / HTTP/1.1\r\n"));
/// assert!(!looks_like_sip(b"HTTP/1.1 200 OK\r\n"));
/// assert!(looks_like_sip(b"INVITE <sip:bob@b> SIP/2.0\r\n"), "SIP, bad Request-URI");
/// assert!(!looks_like_sip(b"INVITE sip:bob@b SIP/2.0"), "no line end yet");
/// ```
pub fn looks_like_sip(data: &[u8]) -> bool {
    let data = data.get(leading_line_ends(data)..).unwrap_or_default();
    let data = data.get(..PROBE_LEN).unwrap_or(data);
    let line = match memchr::memchr(b'\n', data) {
        Some(lf) => data.get(..=lf).unwrap_or(data),
        None => data,
    };
    let is_status = line
        .get(..7)
        .is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/2.0"));
    match parse_start_line(line, &SNIFF) {
        Ok(Parsed::Complete { .. }) => true,
        // The version was read; the rest of the line is still to come.
        Ok(Parsed::Incomplete { .. }) => is_status && line.len() > 7,
        Err(e) if is_status => e.offset() >= 7,
        Err(_) => request_form(line),
    }
}

/// `method SP … SP SIP/x.y` and a line end: the method a token, the last
/// word a SIP version of any number.
fn request_form(line: &[u8]) -> bool {
    if line.last() != Some(&b'\n') {
        return false;
    }
    let line = line
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
        .and_then(|end| line.get(..=end))
        .unwrap_or_default();
    let (Some(first_sp), Some(last_sp)) = (memchr::memchr(b' ', line), memchr::memrchr(b' ', line))
    else {
        return false;
    };
    let method = line.get(..first_sp).unwrap_or_default();
    let version = line.get(last_sp + 1..).unwrap_or_default();
    first_sp < last_sp
        && Method::from_bytes(method).is_some()
        && version.len() >= 7
        && version
            .get(..4)
            .is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/"))
        && version
            .get(4..)
            .is_some_and(|n| n.iter().all(|b| b.is_ascii_digit() || *b == b'.'))
}
