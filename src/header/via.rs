//! The Via header field (RFC 3261 §20.42, §25.1), typed and borrowed:
//! sent-protocol, sent-by (hostname, IPv4 address or IPv6 reference, port)
//! and parameters, for every value of every Via field in order.

use core::fmt;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::{is_ws as is_lws, trim};
use crate::header::typed::Header;
use crate::text::chars::is_token;

use super::host::{check_params_finding, parse_host, split_point, Host, Params};

/// One Via value: `SIP/2.0/UDP host:port;branch=…;…`.
///
/// ```
/// use sipline::{parse_via, Host, ParserConfig};
///
/// let value = b"SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK776;rport, SIP/2.0/TCP p.example.com";
/// let vias: Vec<_> = parse_via(value).collect::<Result<_, _>>()?;
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
    /// The `branch` parameter's value, noted while the parameters were
    /// checked (what `param("branch")` finds, without a second walk).
    branch: Option<&'a str>,
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
        self.branch
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

    /// Where a response to the request this Via names goes, by RFC 3261
    /// §18.2.2 and RFC 3581 §4, when that is an address without a DNS
    /// lookup: the `received` address if any (else the sent-by host, when
    /// it is an IP address), at the `rport` port if it has a value (else
    /// the sent-by port; 5060, or 5061 for TLS). `None` when the host is a
    /// name and no `received` says its address (resolve it as RFC 3263
    /// says).
    ///
    /// ```
    /// use sipline::parse_via;
    /// let v = parse_via(b"SIP/2.0/UDP pc33.example.com;branch=z9hG4bKx;received=192.0.2.7;rport=4711")
    ///     .next().unwrap()?;
    /// assert_eq!(v.reply_address(), Some("192.0.2.7:4711".parse().unwrap()));
    /// let v = parse_via(b"SIP/2.0/TLS [2001:db8::1];branch=z9hG4bKx").next().unwrap()?;
    /// assert_eq!(v.reply_address(), Some("[2001:db8::1]:5061".parse().unwrap()));
    /// let v = parse_via(b"SIP/2.0/UDP pc33.example.com").next().unwrap()?;
    /// assert_eq!(v.reply_address(), None);
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn reply_address(&self) -> Option<core::net::SocketAddr> {
        let ip: core::net::IpAddr = match self.received() {
            Some(r) => r
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .ok()?,
            None => match self.host {
                Host::Ipv4(a) => a.into(),
                Host::Ipv6(a) => a.into(),
                Host::Name(_) => return None,
            },
        };
        let default_port = if self.transport.eq_ignore_ascii_case("TLS") {
            5061
        } else {
            5060
        };
        let port = match self.rport() {
            Some(Some(p)) => p,
            _ => self.port.unwrap_or(default_port),
        };
        Some(core::net::SocketAddr::new(ip, port))
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

/// The values of a Via header field's value (`a, b, c`), each parsed.
/// Error offsets count from the start of `value`.
pub fn parse_via(value: &[u8]) -> Vias<'_> {
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

impl<'a> Vias<'a> {
    /// The bytes after the values read so far (after their comma), as
    /// sent; empty after the last.
    pub fn remaining(&self) -> &'a [u8] {
        if self.done {
            return &[];
        }
        self.whole.get(self.at..).unwrap_or_default()
    }
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
    let branch = check_params_finding(b, &mut i, b"branch")?
        .flatten()
        .and_then(|(s, e)| text.get(s..e));
    Ok(Via {
        protocol,
        version,
        transport,
        host,
        port,
        params: trim(b.get(params_start..i).unwrap_or_default()),
        branch,
    })
}

impl Header for Via<'_> {
    const NAME: &'static str = "Via";
    type Value<'a> = Via<'a>;
    type Values<'a> = Vias<'a>;

    /// [`parse_via`]; the configuration does not change this field's grammar.
    fn parse<'a>(value: &'a [u8], _config: &ParserConfig) -> Self::Values<'a> {
        parse_via(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_branch_is_the_first_branch_parameter() {
        let cases: [(&[u8], Option<&str>); 6] = [
            (b"SIP/2.0/UDP h;branch=z9hG4bK1", Some("z9hG4bK1")),
            (
                b"SIP/2.0/UDP h ; rport ; BRANCH = z9hG4bK2 ;x=1",
                Some("z9hG4bK2"),
            ),
            (b"SIP/2.0/UDP h;branch;branch=z9hG4bK3", None),
            (
                b"SIP/2.0/UDP h;x=\"a;branch=b\";branch=\"q\"",
                Some("\"q\""),
            ),
            (b"SIP/2.0/UDP h;received=[2001:db8::1];branch=z", Some("z")),
            (b"SIP/2.0/UDP h;branchx=1", None),
        ];
        for (value, branch) in cases {
            let via = parse_via(value).next().unwrap().unwrap();
            assert_eq!(via.branch(), branch, "{via}");
            assert_eq!(via.param("branch").flatten(), branch, "{via}");
        }
    }

    proptest! {
        #[test]
        fn the_noted_branch_is_what_the_parameter_walk_finds(
            params in proptest::collection::vec(
                prop::sample::select(&[
                    ";branch=z9hG4bK1", ";Branch = x", ";branch", ";rport", ";received=[::1]",
                    ";x=\"a;branch=q\"", " ; branch=\"b\\\"c\" ", ";ttl=3", ";maddr=h.example",
                ][..]),
                0..6,
            )
        ) {
            let value = format!("SIP/2.0/TCP h.example:5060{}", params.concat());
            if let Some(Ok(via)) = parse_via(value.as_bytes()).next() {
                prop_assert_eq!(via.branch(), via.param("branch").flatten(), "{}", value);
            }
        }
    }
}
