//! The Reason header field (RFC 3326 §2) and the Date header field
//! (RFC 3261 §20.17), typed and borrowed.

use core::fmt;

use crate::chars::is_token;
use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::{is_ws as is_lws, trim_at};
use crate::via::{check_params, split_point, Params};

/// One Reason value: the protocol (`SIP`, `Q.850` or another token), and
/// its `cause` and `text` parameters.
///
/// ```
/// use sipline::{parse_reason, ParserConfig};
///
/// let v = br#"SIP ;cause=200 ;text="Call completed elsewhere", Q.850;cause=16;text="Terminated""#;
/// let r: Vec<_> = parse_reason(v, &ParserConfig::strict()).collect::<Result<_, _>>()?;
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
pub fn parse_reason<'a>(value: &'a [u8], _config: &ParserConfig) -> Reasons<'a> {
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

/// A Date value (§20.17): an RFC 1123 date, always in GMT.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SipDate {
    /// The year (four digits).
    pub year: u16,
    /// The month, 1–12.
    pub month: u8,
    /// The day of the month, 1–31.
    pub day: u8,
    /// The hour, 0–23.
    pub hour: u8,
    /// The minute, 0–59.
    pub minute: u8,
    /// The second, 0–60 (a leap second).
    pub second: u8,
}

/// Parses a Date value: `wkday "," SP 2DIGIT SP month SP 4DIGIT SP
/// 2DIGIT ":" 2DIGIT ":" 2DIGIT SP "GMT"` (§25.1; RFC 4475 "baddate"
/// sends `EST`, which is refused). Error offsets count from the start of `value`.
///
/// ```
/// use sipline::{parse_date, ParserConfig};
/// let d = parse_date(b"Sat, 13 Nov 2010 23:29:00 GMT", &ParserConfig::strict())?;
/// assert_eq!((d.year, d.month, d.day, d.hour), (2010, 11, 13, 23));
/// assert!(parse_date(b"Fri, 01 Jan 2010 16:00:00 EST", &ParserConfig::strict()).is_err());
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_date(value: &[u8], _config: &ParserConfig) -> Result<SipDate, Error> {
    let (at, b) = trim_at(value);
    let err = |i: usize| Error::at(ErrorKind::Date, at + i);
    if b.len() != 29 {
        return Err(err(b.len().min(29)));
    }
    const DAYS: [&[u8]; 7] = [b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun"];
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let part = |s: usize, e: usize| b.get(s..e).unwrap_or_default();
    if !DAYS.contains(&part(0, 3)) {
        return Err(err(0));
    }
    let num = |s: usize, e: usize| -> Result<u16, Error> {
        let p = part(s, e);
        if !p.iter().all(u8::is_ascii_digit) {
            return Err(err(s));
        }
        Ok(p.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0')))
    };
    for (i, c) in [
        (3, b','),
        (4, b' '),
        (7, b' '),
        (11, b' '),
        (16, b' '),
        (19, b':'),
        (22, b':'),
        (25, b' '),
    ] {
        if b.get(i) != Some(&c) {
            return Err(err(i));
        }
    }
    let month = MONTHS
        .iter()
        .position(|m| *m == part(8, 11))
        .ok_or_else(|| err(8))?;
    if part(26, 29) != b"GMT" {
        return Err(err(26));
    }
    let d = SipDate {
        day: num(5, 7)? as u8,
        month: month as u8 + 1,
        year: num(12, 16)?,
        hour: num(17, 19)? as u8,
        minute: num(20, 22)? as u8,
        second: num(23, 25)? as u8,
    };
    let checks = [
        (5, (1..=31).contains(&d.day)),
        (17, d.hour < 24),
        (20, d.minute < 60),
        (23, d.second <= 60),
    ];
    for (i, ok) in checks {
        if !ok {
            return Err(err(i));
        }
    }
    Ok(d)
}
