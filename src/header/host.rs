//! What several header fields share: a host (name, IPv4 address or IPv6
//! reference) and `;name=value` parameters, with the scans that find and
//! check them outside quoted strings.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::header::field::{is_ws as is_lws, trim_at};
use crate::text::chars::is_token;

/// A host: a name, an IPv4 address, or an IPv6 reference (`[…]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Host<'a> {
    /// A hostname, as sent (compare case-insensitively).
    Name(&'a str),
    /// An IPv4 address.
    Ipv4(Ipv4Addr),
    /// An IPv6 address, written `[…]` on the wire.
    Ipv6(Ipv6Addr),
}

impl fmt::Display for Host<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ipv4(a) => write!(f, "{a}"),
            Host::Ipv6(a) => write!(f, "[{a}]"),
        }
    }
}

/// Parses a host: an IPv6 reference, an IPv4 address, or a hostname
/// (letters, digits, `-` and `.`, RFC 3261 §25.1).
pub(crate) fn parse_host(text: &str) -> Option<Host<'_>> {
    let b = text.as_bytes();
    if let Some(inner) = text.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        if let Ok(a) = inner.parse() {
            return Some(Host::Ipv6(a));
        }
        // RFC 5118 §4.6: tolerate the three colons RFC 3261's ABNF allows
        // before an embedded IPv4 address (`2001:db8:::192.0.2.1`).
        let at = inner.find(":::")?;
        let mut buf = [0u8; 64];
        let fixed = buf.get_mut(..inner.len() - 1)?;
        let (head, tail) = fixed.split_at_mut(at + 1);
        head.copy_from_slice(inner.get(..at + 1)?.as_bytes());
        tail.copy_from_slice(inner.get(at + 2..)?.as_bytes());
        return core::str::from_utf8(fixed)
            .ok()?
            .parse()
            .ok()
            .map(Host::Ipv6);
    }
    // The callers took only letters, digits, `-` and `.` here.
    if b.is_empty()
        || !b
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
    {
        return None;
    }
    if b.first().is_some_and(u8::is_ascii_digit)
        && b.iter().all(|&c| c.is_ascii_digit() || c == b'.')
    {
        if let Ok(a) = text.parse::<Ipv4Addr>() {
            return Some(Host::Ipv4(a));
        }
    }
    Some(Host::Name(text))
}

/// The parameters of a header value: `;name[=value]` in order.
#[derive(Clone, Debug)]
pub struct Params<'a> {
    rest: &'a str,
}

impl<'a> Params<'a> {
    /// The parameters in `rest` (`;a=b;c`), already checked. Text after a
    /// byte that is not UTF-8 is left out.
    pub(crate) fn new(rest: &'a [u8]) -> Params<'a> {
        let rest = match core::str::from_utf8(rest) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(rest.get(..e.valid_up_to()).unwrap_or_default())
                .unwrap_or_default(),
        };
        Params { rest }
    }

    /// The parameters in `rest`, text already.
    pub(crate) const fn of_text(rest: &'a str) -> Params<'a> {
        Params { rest }
    }
}

impl<'a> Params<'a> {
    /// The first parameter named `name` (case-insensitive): `None` when
    /// absent, `Some(None)` when present without a value.
    pub(crate) fn named(mut self, name: &str) -> Option<Option<&'a str>> {
        self.find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Writes the parameters as `;name=value` (or `;name`), in order.
    pub(crate) fn write_to(self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, v) in self {
            match v {
                Some(v) => write!(f, ";{n}={v}")?,
                None => write!(f, ";{n}")?,
            }
        }
        Ok(())
    }
}

/// `s` without leading and trailing LWS.
fn trim_str(s: &str) -> &str {
    // The bytes trimmed are ASCII, so both ends stay on char boundaries.
    let (start, kept) = trim_at(s.as_bytes());
    s.get(start..start + kept.len()).unwrap_or_default()
}

impl<'a> Iterator for Params<'a> {
    type Item = (&'a str, Option<&'a str>);

    fn next(&mut self) -> Option<Self::Item> {
        // The parameters were checked when the value was parsed; the
        // delimiters looked for are ASCII, so every slice is on a boundary.
        let s = self.rest;
        let semi = s.bytes().position(|c| c == b';')?;
        let after = s.get(semi + 1..)?;
        let end = split_point(after.as_bytes(), b';').unwrap_or(after.len());
        self.rest = after.get(end..).unwrap_or_default();
        let one = trim_str(after.get(..end)?);
        Some(match one.bytes().position(|c| c == b'=') {
            Some(eq) => (trim_str(one.get(..eq)?), Some(trim_str(one.get(eq + 1..)?))),
            None => (one, None),
        })
    }
}

/// The index of the first `sep` outside a quoted string.
pub(crate) fn split_point(b: &[u8], sep: u8) -> Option<usize> {
    // No quote before the first separator: that separator (the usual case).
    let first = if b.len() < 32 {
        b.iter().position(|&c| c == sep || c == b'"')
    } else {
        memchr::memchr2(sep, b'"', b)
    };
    match first {
        Some(i) if b.get(i) == Some(&sep) => return Some(i),
        None => return None,
        Some(_) => {}
    }
    let mut quoted = false;
    let mut escaped = false;
    for (i, &c) in b.iter().enumerate() {
        match c {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            c if c == sep && !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

/// `*( SEMI token [ EQUAL gen-value ] )` with LWS around, to the end of `b`.
pub(crate) fn check_params(b: &[u8], i: &mut usize) -> Result<(), usize> {
    check_params_finding(b, i, b"").map(|_| ())
}

/// [`check_params`], also noting the first parameter named `name`
/// (case-insensitive), as [`Params::named`] would find it: `Some(Some(span))`
/// with its value's span in `b` (white space around it left out),
/// `Some(None)` when it has no value, `None` when absent. An empty `name`
/// matches nothing.
pub(crate) fn check_params_finding(
    b: &[u8],
    i: &mut usize,
    name: &[u8],
) -> Result<Option<Option<(usize, usize)>>, usize> {
    let mut found = None;
    let skip_lws = |i: &mut usize| {
        while b.get(*i).is_some_and(|&c| is_lws(c)) {
            *i += 1;
        }
    };
    loop {
        skip_lws(i);
        match b.get(*i) {
            None => return Ok(found),
            Some(b';') => *i += 1,
            Some(_) => return Err(*i),
        }
        skip_lws(i);
        let start = *i;
        while b.get(*i).is_some_and(|&c| is_token(c)) {
            *i += 1;
        }
        if *i == start {
            return Err(start);
        }
        let wanted = found.is_none()
            && !name.is_empty()
            && b.get(start..*i)
                .is_some_and(|n| n.eq_ignore_ascii_case(name));
        skip_lws(i);
        if b.get(*i) != Some(&b'=') {
            if wanted {
                found = Some(None);
            }
            continue;
        }
        *i += 1;
        skip_lws(i);
        let value_start = *i;
        match b.get(*i) {
            Some(b'"') => {
                // A quoted string, with quoted-pairs.
                *i += 1;
                loop {
                    match b.get(*i) {
                        None => return Err(b.len()),
                        Some(b'\\') => *i += 2,
                        Some(b'"') => {
                            *i += 1;
                            break;
                        }
                        Some(_) => *i += 1,
                    }
                }
            }
            Some(b'[') => {
                let start = *i;
                while b.get(*i).is_some_and(|&c| c != b']') {
                    *i += 1;
                }
                *i += 1;
                let host = b
                    .get(start..*i)
                    .and_then(|h| core::str::from_utf8(h).ok())
                    .and_then(parse_host);
                if host.is_none() {
                    return Err(start);
                }
            }
            _ => {
                let start = *i;
                while b.get(*i).is_some_and(|&c| is_token(c) || c == b':') {
                    *i += 1;
                }
                if *i == start {
                    return Err(start);
                }
            }
        }
        if wanted {
            found = Some(Some((value_start, (*i).min(b.len()))));
        }
    }
}
