//! The Date header field (RFC 3261 §20.17): an RFC 1123 date in GMT.

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::trim_at;
use crate::header::typed::Header;

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
/// let d = parse_date(b"Sat, 13 Nov 2010 23:29:00 GMT")?;
/// assert_eq!((d.year, d.month, d.day, d.hour), (2010, 11, 13, 23));
/// assert!(parse_date(b"Fri, 01 Jan 2010 16:00:00 EST").is_err());
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_date(value: &[u8]) -> Result<SipDate, Error> {
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

impl Header for SipDate {
    const NAME: &'static str = "Date";
    type Value<'a> = SipDate;
    type Values<'a> = core::iter::Once<Result<SipDate, Error>>;

    /// [`parse_date`]; the configuration does not change this field's grammar.
    fn parse<'a>(value: &'a [u8], _config: &ParserConfig) -> Self::Values<'a> {
        core::iter::once(parse_date(value))
    }
}
