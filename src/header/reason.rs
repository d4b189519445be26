//! The Reason header field (RFC 3326 §2), typed and borrowed.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::{is_ws as is_lws, trim_at};
use crate::header::host::{check_params, split_point, Params};
use crate::header::typed::Header;
use crate::text::chars::is_token;

/// One Reason value: the protocol (`SIP`, `Q.850` or another token), and
/// its `cause` and `text` parameters.
///
/// ```
/// use sipline::{parse_reason, ParserConfig};
///
/// let v = br#"SIP ;cause=200 ;text="Call completed elsewhere", Q.850;cause=16;text="Terminated""#;
/// let r: Vec<_> = parse_reason(v).collect::<Result<_, _>>()?;
/// assert_eq!((r[0].protocol, r[0].cause, r[0].text), ("SIP", Some(200), Some("Call completed elsewhere")));
/// assert_eq!((r[1].protocol, r[1].cause), ("Q.850", Some(16)));
/// assert_eq!(r[1].q850_cause(), Some(16));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Reason<'a> {
    /// The protocol token, as sent (compare case-insensitively).
    pub protocol: &'a str,
    /// The `cause` parameter (a SIP status code, or a Q.850 cause value).
    pub cause: Option<u16>,
    /// The `text` parameter's content, quotes removed, `\` escapes kept.
    pub text: Option<&'a str>,
    params: &'a [u8],
}

impl<'a> Reason<'a> {
    /// Every parameter in order, `cause` and `text` included.
    pub fn params(&self) -> Params<'a> {
        Params::new(self.params)
    }

    /// The cause when the protocol is Q.850 (the ISDN cause a gateway reports).
    pub fn q850_cause(&self) -> Option<u16> {
        self.cause
            .filter(|_| self.protocol.eq_ignore_ascii_case("Q.850"))
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.protocol)?;
        self.params().write_to(f)
    }
}

/// The values of a Reason field ([`parse_reason`]).
#[derive(Clone, Debug)]
pub struct Reasons<'a> {
    whole: &'a [u8],
    at: usize,
    done: bool,
}

/// Parses a Reason value: `reason-value *(COMMA reason-value)`. Error
/// offsets count from the start of `value`.
pub fn parse_reason(value: &[u8]) -> Reasons<'_> {
    Reasons {
        whole: value,
        at: 0,
        done: false,
    }
}

impl<'a> Iterator for Reasons<'a> {
    type Item = Result<Reason<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.whole.get(self.at..).unwrap_or_default();
        let end = split_point(rest, b',').unwrap_or(rest.len());
        let base = self.at;
        self.at += end + 1;
        self.done = end == rest.len();
        let r = reason_value(rest.get(..end).unwrap_or_default())
            .map_err(|at| Error::at(ErrorKind::Reason, base + at));
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

fn reason_value(b: &[u8]) -> Result<Reason<'_>, usize> {
    // UTF-8 throughout (quoted text included, RFC 3261 §25.1).
    core::str::from_utf8(b).map_err(|e| e.valid_up_to())?;
    let mut i = b.iter().position(|&c| !is_lws(c)).unwrap_or(b.len());
    let start = i;
    while b.get(i).is_some_and(|&c| is_token(c)) {
        i += 1;
    }
    if i == start {
        return Err(start);
    }
    let protocol = b
        .get(start..i)
        .and_then(|p| core::str::from_utf8(p).ok())
        .unwrap_or_default();
    let params_start = i;
    check_params(b, &mut i)?;
    let params = trim_at(b.get(params_start..i).unwrap_or_default()).1;
    let mut reason = Reason {
        protocol,
        cause: None,
        text: None,
        params,
    };
    for (name, value) in Params::new(params) {
        if name.eq_ignore_ascii_case("cause") {
            let v = value.unwrap_or_default();
            let n = v
                .parse::<u16>()
                .ok()
                .filter(|_| !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()));
            reason.cause = Some(n.ok_or(params_start)?);
        } else if name.eq_ignore_ascii_case("text") {
            let v = value.unwrap_or_default();
            let inner = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .ok_or(params_start)?;
            reason.text = Some(inner);
        }
    }
    Ok(reason)
}

impl Header for Reason<'_> {
    const NAME: &'static str = "Reason";
    type Value<'a> = Reason<'a>;
    type Values<'a> = Reasons<'a>;

    /// [`parse_reason`]; the configuration does not change this field's grammar.
    fn parse<'a>(value: &'a [u8], _config: &ParserConfig) -> Self::Values<'a> {
        parse_reason(value)
    }
}
