//! The Via header field (RFC 3261 §20.42, §25.1), typed and borrowed:
//! sent-protocol, sent-by (hostname, IPv4 address or IPv6 reference, port)
//! and parameters, for every value of every Via field in order.

use core::fmt;
use core::net::{Ipv4Addr, Ipv6Addr};

use crate::chars::is_token;
use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::{is_ws as is_lws, trim};

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

/// One Via value: `SIP/2.0/UDP host:port;branch=…;…`.
///
/// ```
/// use sipline::{parse_via, Host, ParserConfig};
///
/// let value = b"SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK776;rport, SIP/2.0/TCP p.example.com";
/// let vias: Vec<_> = parse_via(value, &ParserConfig::strict()).collect::<Result<_, _>>()?;
/// assert_eq!(vias.len(), 2);
/// assert_eq!(vias[0].transport, "UDP");
/// assert_eq!(vias[0].host, Host::Ipv6("2001:db8::9".parse().unwrap()));
/// assert_eq!(vias[0].port, Some(5070));
/// assert_eq!(vias[0].branch(), Some("z9hG4bK776"));
/// assert_eq!(vias[0].rport(), Some(None), "rport without a value");
/// assert_eq!(vias[1].host, Host::Name("p.example.com"));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Via<'a> {
    /// The protocol name (`SIP`).
    pub protocol: &'a str,
    /// The protocol version (`2.0`).
    pub version: &'a str,
    /// The transport (`UDP`, `TCP`, `TLS`, `SCTP`, `WS`, `WSS` …), as sent.
    pub transport: &'a str,
    /// The sent-by host.
    pub host: Host<'a>,
    /// The sent-by port, when sent.
    pub port: Option<u16>,
    params: &'a [u8],
}

impl<'a> Via<'a> {
    /// The parameters in order, as `(name, value)`; a parameter without `=`
    /// has no value.
    pub fn params(&self) -> Params<'a> {
        Params::new(self.params)
    }

    /// The first parameter named `name` (case-insensitive): `None` when
    /// absent, `Some(None)` when present without a value.
    pub fn param(&self, name: &str) -> Option<Option<&'a str>> {
        self.params().named(name)
    }

    /// The `branch` parameter, which names the transaction (§17).
    pub fn branch(&self) -> Option<&'a str> {
        self.param("branch").flatten()
    }

    /// The `received` parameter (§18.2.1).
    pub fn received(&self) -> Option<&'a str> {
        self.param("received").flatten()
    }

    /// The `rport` parameter (RFC 3581): `Some(None)` when present without a
    /// value (as a client sends it), `Some(Some(port))` with one.
    pub fn rport(&self) -> Option<Option<u16>> {
        self.param("rport").map(|v| v.and_then(|p| p.parse().ok()))
    }

    /// The `maddr` parameter.
    pub fn maddr(&self) -> Option<&'a str> {
        self.param("maddr").flatten()
    }

    /// The `ttl` parameter (0–255).
    pub fn ttl(&self) -> Option<u8> {
        self.param("ttl").flatten().and_then(|t| t.parse().ok())
    }
}

/// Two Vias are equal when their parts and their parameters (names and
/// values, in order) are, however the white space between them was written.
impl PartialEq for Via<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.protocol == other.protocol
            && self.version == other.version
            && self.transport == other.transport
            && self.host == other.host
            && self.port == other.port
            && self.params().eq(other.params())
    }
}

impl Eq for Via<'_> {}

impl core::hash::Hash for Via<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (
            self.protocol,
            self.version,
            self.transport,
            self.host,
            self.port,
        )
            .hash(state);
        for p in self.params() {
            p.hash(state);
        }
    }
}

impl fmt::Display for Via<'_> {
    /// `SIP/2.0/UDP host:port;params`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{} {}",
            self.protocol, self.version, self.transport, self.host
        )?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        self.params().write_to(f)
    }
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
    s.trim_matches(|c: char| matches!(c, ' ' | '\t' | '\r' | '\n'))
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

/// The values of a Via header field's value (`a, b, c`), each parsed.
/// Error offsets count from the start of `value`.
pub fn parse_via<'a>(value: &'a [u8], _config: &ParserConfig) -> Vias<'a> {
    Vias {
        whole: value,
        at: 0,
        done: false,
    }
}

/// The values of one Via field, in order ([`parse_via`]).
#[derive(Clone, Debug)]
pub struct Vias<'a> {
    whole: &'a [u8],
    at: usize,
    done: bool,
}

impl<'a> Iterator for Vias<'a> {
    type Item = Result<Via<'a>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.whole.get(self.at..).unwrap_or_default();
        if trim(rest).is_empty() && self.at > 0 {
            return None;
        }
        let end = split_point(rest, b',').unwrap_or(rest.len());
        let one = rest.get(..end).unwrap_or_default();
        let base = self.at;
        self.at += end + 1;
        if end == rest.len() {
            self.done = true;
        }
        let r = via_value(one).map_err(|at| Error::at(ErrorKind::Via, base + at));
        if r.is_err() {
            self.done = true;
        }
        Some(r)
    }
}

/// One `via-parm`; an error is the offset of the first bad byte in `b`.
fn via_value(b: &[u8]) -> Result<Via<'_>, usize> {
    let text = core::str::from_utf8(b).map_err(|e| e.valid_up_to())?;
    let mut i = b.iter().position(|&c| !is_lws(c)).unwrap_or(b.len());
    let token = |i: &mut usize| -> Result<&str, usize> {
        let start = *i;
        while b.get(*i).is_some_and(|&c| is_token(c)) {
            *i += 1;
        }
        match text.get(start..*i) {
            Some(t) if !t.is_empty() => Ok(t),
            _ => Err(start),
        }
    };
    let skip_lws = |i: &mut usize| {
        while b.get(*i).is_some_and(|&c| is_lws(c)) {
            *i += 1;
        }
    };
    let slash = |i: &mut usize| -> Result<(), usize> {
        skip_lws(i);
        if b.get(*i) != Some(&b'/') {
            return Err(*i);
        }
        *i += 1;
        skip_lws(i);
        Ok(())
    };
    let protocol = token(&mut i)?;
    slash(&mut i)?;
    let version = token(&mut i)?;
    slash(&mut i)?;
    let transport = token(&mut i)?;
    // At least one LWS before sent-by.
    if !b.get(i).is_some_and(|&c| is_lws(c)) {
        return Err(i);
    }
    skip_lws(&mut i);
    let host_start = i;
    if b.get(i) == Some(&b'[') {
        while b.get(i).is_some_and(|&c| c != b']') {
            i += 1;
        }
        i += 1;
    } else {
        while b
            .get(i)
            .is_some_and(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'.')
        {
            i += 1;
        }
    }
    let host = text
        .get(host_start..i.min(b.len()))
        .and_then(parse_host)
        .ok_or(host_start)?;
    let mut port = None;
    skip_lws(&mut i);
    if b.get(i) == Some(&b':') {
        i += 1;
        skip_lws(&mut i);
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        let digits = b.get(start..i).unwrap_or_default();
        let n = core::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<u16>().ok())
            .filter(|_| digits.len() <= 5)
            .ok_or(start)?;
        port = Some(n);
        skip_lws(&mut i);
    }
    let params_start = i;
    check_params(b, &mut i)?;
    Ok(Via {
        protocol,
        version,
        transport,
        host,
        port,
        params: trim(b.get(params_start..i).unwrap_or_default()),
    })
}

/// `*( SEMI token [ EQUAL gen-value ] )` with LWS around, to the end of `b`.
pub(crate) fn check_params(b: &[u8], i: &mut usize) -> Result<(), usize> {
    let skip_lws = |i: &mut usize| {
        while b.get(*i).is_some_and(|&c| is_lws(c)) {
            *i += 1;
        }
    };
    loop {
        skip_lws(i);
        match b.get(*i) {
            None => return Ok(()),
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
        skip_lws(i);
        if b.get(*i) != Some(&b'=') {
            continue;
        }
        *i += 1;
        skip_lws(i);
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
    }
}
