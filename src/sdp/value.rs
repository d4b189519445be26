//! The values of the SDP lines and attributes that sipline reads (RFC 8866
//! §5, §6; RFC 3605 `a=rtcp`; RFC 5888 `a=group`), each parsed from a
//! line's value. A parse error is the offset in the value of the byte that
//! breaks the grammar.

use core::net::IpAddr;

/// A token character of RFC 8866 §9 (`token-char`): wider than SIP's
/// token, it includes `#$&^{|}`.
pub(crate) fn is_token_char(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

static TOKEN: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = matches!(b, 0x21 | 0x23..=0x27 | 0x2a..=0x2b | 0x2d..=0x2e | 0x30..=0x39 | 0x41..=0x5a | 0x5e..=0x7e);
        b += 1;
    }
    t
};

/// An attribute line's name (leading whitespace skipped when `loose`),
/// checked to be a token up to `:` or the end: its bytes, or the offset of
/// the first byte that is not a token character.
pub(crate) fn attribute_name(v: &[u8], loose: bool) -> Result<&[u8], usize> {
    let lead = if loose {
        v.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
    } else {
        0
    };
    let rest = v.get(lead..).unwrap_or_default();
    let end = rest
        .iter()
        .position(|&b| !is_token_char(b))
        .unwrap_or(rest.len());
    match rest.get(end) {
        Some(b':') | None if end > 0 => Ok(rest.get(..end).unwrap_or_default()),
        _ => Err(lead + end),
    }
}

/// `true` when every byte is a token character and there is one.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| is_token_char(b))
}

/// The fields of a value separated by one SP (strict) or runs of SP and
/// HTAB (`loose`): each field's offset in the value and its bytes. In
/// strict mode an empty field (two SPs, a leading or trailing SP) is
/// yielded as empty, for the caller to refuse.
#[derive(Clone, Debug)]
pub(crate) struct Fields<'a> {
    value: &'a [u8],
    pos: usize,
    loose: bool,
    done: bool,
}

pub(crate) fn fields(value: &[u8], loose: bool) -> Fields<'_> {
    Fields {
        value,
        pos: 0,
        loose,
        done: false,
    }
}

impl<'a> Fields<'a> {
    /// What is left, from the start of the next field (for a last field
    /// that runs to the end, spaces and all).
    pub(crate) fn rest(&mut self) -> Option<(usize, &'a [u8])> {
        if self.done {
            return None;
        }
        self.skip_space();
        self.done = true;
        let rest = self.value.get(self.pos..)?;
        Some((self.pos, rest))
    }

    fn skip_space(&mut self) {
        if self.loose {
            while matches!(self.value.get(self.pos), Some(b' ' | b'\t')) {
                self.pos += 1;
            }
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (usize, &'a [u8]);

    fn next(&mut self) -> Option<(usize, &'a [u8])> {
        if self.done {
            return None;
        }
        self.skip_space();
        let start = self.pos;
        let rest = self.value.get(start..)?;
        if self.loose && rest.is_empty() {
            self.done = true;
            return None;
        }
        let len = rest
            .iter()
            .position(|&b| b == b' ' || (self.loose && b == b'\t'))
            .unwrap_or(rest.len());
        let field = rest.get(..len)?;
        if len == rest.len() {
            self.done = true;
        } else {
            self.pos = start + len + 1;
        }
        Some((start, field))
    }
}

/// `s` as text when it is UTF-8 (the grammar of every field read as text
/// here is ASCII).
pub(crate) fn text(s: &[u8]) -> Option<&str> {
    core::str::from_utf8(s).ok()
}

/// A whole value as text (one UTF-8 check per line, not one per field), or
/// the offset of its first byte that is not UTF-8.
fn whole(v: &[u8]) -> Result<&str, usize> {
    core::str::from_utf8(v).map_err(|e| e.valid_up_to())
}

/// The part `x` of the value `v`, as text through `vs` (`v` as text): the
/// fields are split at ASCII bytes, so they are whole characters.
fn sub<'a>(vs: &'a str, v: &[u8], x: &[u8]) -> Option<&'a str> {
    let at = (x.as_ptr() as usize).checked_sub(v.as_ptr() as usize)?;
    vs.get(at..at.checked_add(x.len())?)
}

/// A decimal number of at most `max`, digits only.
pub(crate) fn number(s: &[u8], max: u64) -> Option<u64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in s {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    (n <= max).then_some(n)
}

/// The next field, which must be a token: its text, or the offset where it
/// fails.
fn token_field<'a>(f: &mut Fields<'_>, vs: &'a str, v: &[u8]) -> Result<(usize, &'a str), usize> {
    let (at, s) = f.next().ok_or(v.len())?;
    match sub(vs, v, s) {
        Some(t) if is_token(s) => Ok((at, t)),
        _ => Err(at),
    }
}

/// No field may follow.
fn finished(f: &mut Fields<'_>) -> Result<(), usize> {
    match f.next() {
        None => Ok(()),
        Some((at, _)) => Err(at),
    }
}

/// `o=`: who made the session description, and which version it is
/// (RFC 8866 §5.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Origin<'a> {
    /// The user's login on the originating host, `-` when none.
    pub username: &'a str,
    /// The session's numeric identifier, as sent.
    pub session_id: &'a str,
    /// The version, as sent: an answer or a re-offer that changes the
    /// session description increments it (RFC 3264 §8).
    pub session_version: &'a str,
    /// The network type (`IN`).
    pub net_type: &'a str,
    /// The address type (`IP4`, `IP6`).
    pub addr_type: &'a str,
    /// The originating host's address or name.
    pub address: &'a str,
}

pub(crate) fn parse_origin(v: &[u8], loose: bool) -> Result<Origin<'_>, usize> {
    let vs = whole(v)?;
    let mut f = fields(v, loose);
    let (at, user) = f.next().ok_or(0usize)?;
    let username = sub(vs, v, user)
        .filter(|u| !u.is_empty() && user.iter().all(|&b| b > b' ' && b != 0x7f))
        .ok_or(at)?;
    let mut digits = || -> Result<&str, usize> {
        let (at, s) = f.next().ok_or(v.len())?;
        match sub(vs, v, s) {
            Some(t) if !s.is_empty() && s.iter().all(u8::is_ascii_digit) => Ok(t),
            _ => Err(at),
        }
    };
    let session_id = digits()?;
    let session_version = digits()?;
    let (_, net_type) = token_field(&mut f, vs, v)?;
    let (_, addr_type) = token_field(&mut f, vs, v)?;
    let (at, addr) = f.next().ok_or(v.len())?;
    let address = sub(vs, v, addr)
        .filter(|a| !a.is_empty() && addr.iter().all(|&b| b > b' ' && b != 0x7f))
        .ok_or(at)?;
    finished(&mut f)?;
    Ok(Origin {
        username,
        session_id,
        session_version,
        net_type,
        addr_type,
        address,
    })
}

/// `c=`: where media goes (RFC 8866 §5.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Connection<'a> {
    /// The network type (`IN`).
    pub net_type: &'a str,
    /// The address type (`IP4`, `IP6`).
    pub addr_type: &'a str,
    /// The address (or host name), without `/ttl` or `/count`.
    pub address: &'a str,
    /// IPv4 multicast: the TTL after the first `/`.
    pub ttl: Option<u8>,
    /// Multicast: how many consecutive addresses (the last `/` number).
    pub count: Option<u32>,
}

impl Connection<'_> {
    /// The address as an IP address, when it is one of its type (`IP4`,
    /// `IP6`); `None` for a host name.
    ///
    /// ```
    /// use sipline::sdp::parse_sdp;
    /// use sipline::ParserConfig;
    ///
    /// let sdp = parse_sdp(b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n", &ParserConfig::strict())?;
    /// assert_eq!(sdp.connection().unwrap().ip(), Some([192, 0, 2, 1].into()));
    /// # Ok::<(), sipline::Error>(())
    /// ```
    pub fn ip(&self) -> Option<IpAddr> {
        let ip: IpAddr = self.address.parse().ok()?;
        let matches = match ip {
            IpAddr::V4(_) => self.addr_type.eq_ignore_ascii_case("IP4"),
            IpAddr::V6(_) => self.addr_type.eq_ignore_ascii_case("IP6"),
        };
        matches.then_some(ip)
    }
}

pub(crate) fn parse_connection(v: &[u8], loose: bool) -> Result<Connection<'_>, usize> {
    let vs = whole(v)?;
    let mut f = fields(v, loose);
    let (_, net_type) = token_field(&mut f, vs, v)?;
    let (_, addr_type) = token_field(&mut f, vs, v)?;
    let (at, whole) = f.next().ok_or(v.len())?;
    finished(&mut f)?;
    let mut parts = whole.split(|&b| b == b'/');
    let addr = parts.next().unwrap_or_default();
    let address = sub(vs, v, addr)
        .filter(|a| !a.is_empty() && addr.iter().all(|&b| b > b' ' && b != 0x7f))
        .ok_or(at)?;
    let after = at + addr.len() + 1;
    let (ttl, count) = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => (None, None),
        (Some(n), None, _) if addr_type.eq_ignore_ascii_case("IP6") => (
            None,
            Some(number(n, u64::from(u32::MAX)).ok_or(after)? as u32),
        ),
        (Some(t), None, _) => (Some(number(t, 255).ok_or(after)? as u8), None),
        (Some(t), Some(n), None) => (
            Some(number(t, 255).ok_or(after)? as u8),
            Some(number(n, u64::from(u32::MAX)).ok_or(after + t.len() + 1)? as u32),
        ),
        (Some(_), Some(_), Some(_)) => return Err(after),
    };
    Ok(Connection {
        net_type,
        addr_type,
        address,
        ttl,
        count,
    })
}

/// `m=`: a media description's first line (RFC 8866 §5.14).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MediaLine<'a> {
    /// `audio`, `video`, `text`, `application`, `message`, or another token.
    pub media: &'a str,
    /// The transport port; 0 rejects or disables the stream (RFC 3264 §6).
    pub port: u16,
    /// How many ports, when sent as `port/count`.
    pub port_count: Option<u16>,
    /// The transport protocol (`RTP/AVP`, `RTP/SAVP`, `UDP/TLS/RTP/SAVPF`, …).
    pub proto: &'a str,
    /// The formats as sent, separated by SP (payload type numbers for RTP).
    pub formats: &'a str,
}

impl<'a> MediaLine<'a> {
    /// The formats, one by one.
    pub fn formats(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.formats.split([' ', '\t']).filter(|f| !f.is_empty())
    }

    /// `true` for an RTP profile (`RTP/AVP`, `RTP/SAVP`, `RTP/AVPF`,
    /// `RTP/SAVPF`, with or without a `UDP/TLS/` prefix).
    pub fn is_rtp(&self) -> bool {
        self.proto.split('/').any(|p| p.eq_ignore_ascii_case("RTP"))
    }

    /// `true` for a secure RTP profile (`RTP/SAVP`, `RTP/SAVPF`): the RTP
    /// headers are still in the clear.
    pub fn is_srtp(&self) -> bool {
        self.proto
            .split('/')
            .any(|p| p.eq_ignore_ascii_case("SAVP") || p.eq_ignore_ascii_case("SAVPF"))
    }
}

pub(crate) fn parse_media_line(v: &[u8], loose: bool) -> Result<MediaLine<'_>, usize> {
    let vs = whole(v)?;
    let mut f = fields(v, loose);
    let (_, media) = token_field(&mut f, vs, v)?;
    let (at, port_field) = f.next().ok_or(v.len())?;
    let mut port_parts = port_field.splitn(2, |&b| b == b'/');
    let port = number(port_parts.next().unwrap_or_default(), 65_535).ok_or(at)? as u16;
    let port_count = match port_parts.next() {
        None => None,
        Some(n) => match number(n, 65_535) {
            Some(c) if c > 0 => Some(c as u16),
            _ => return Err(at + port_field.len() - n.len()),
        },
    };
    let (at, proto_b) = f.next().ok_or(v.len())?;
    let proto = sub(vs, v, proto_b)
        .filter(|_| proto_b.split(|&b| b == b'/').all(is_token))
        .ok_or(at)?;
    let (fmt_at, formats_b) = f.rest().ok_or(v.len())?;
    let formats_b = if loose {
        let end = formats_b
            .iter()
            .rposition(|&b| b != b' ' && b != b'\t')
            .map_or(0, |i| i + 1);
        formats_b.get(..end).unwrap_or_default()
    } else {
        formats_b
    };
    // Tokens separated by one SP (strict) or runs of SP and HTAB, in one
    // pass: an empty field is refused where it starts, a field with a
    // byte that is not a token character where it starts.
    let (mut start, mut after_sep) = (0, true);
    for (i, &b) in formats_b.iter().enumerate() {
        if b == b' ' || (loose && b == b'\t') {
            if after_sep && !loose {
                return Err(fmt_at + i);
            }
            after_sep = true;
        } else {
            if after_sep {
                start = i;
                after_sep = false;
            }
            if !is_token_char(b) {
                return Err(fmt_at + start);
            }
        }
    }
    if after_sep {
        return Err(fmt_at + formats_b.len());
    }
    Ok(MediaLine {
        media,
        port,
        port_count,
        proto,
        formats: sub(vs, v, formats_b).ok_or(fmt_at)?,
    })
}

/// `t=`: a start and a stop time (RFC 8866 §5.9); checked, not kept.
pub(crate) fn check_timing(v: &[u8], loose: bool) -> Result<(), usize> {
    let mut f = fields(v, loose);
    for _ in 0..2 {
        let (at, n) = f.next().ok_or(v.len())?;
        number(n, u64::MAX).ok_or(at)?;
    }
    finished(&mut f)
}

/// An attribute line's value (`a=`, RFC 8866 §5.13): a name, and after a
/// colon a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Attribute<'a> {
    /// The name (a token; compare case-sensitively, RFC 8866 §5.13).
    pub name: &'a str,
    /// The value after `:`, as sent (any bytes but NUL, CR and LF).
    pub value: Option<&'a [u8]>,
}

impl<'a> Attribute<'a> {
    /// The value as text, when it is UTF-8.
    pub fn value_str(&self) -> Option<&'a str> {
        text(self.value?)
    }
}

pub(crate) fn parse_attribute(v: &[u8], loose: bool) -> Result<Attribute<'_>, usize> {
    let lead = if loose {
        v.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
    } else {
        0
    };
    let v = v.get(lead..).unwrap_or_default();
    let (name, value) = match memchr::memchr(b':', v) {
        Some(colon) => (v.get(..colon).unwrap_or_default(), v.get(colon + 1..)),
        None => (v, None),
    };
    if !is_token(name) {
        return Err(lead + name.iter().position(|&b| !is_token_char(b)).unwrap_or(0));
    }
    Ok(Attribute {
        name: text(name).ok_or(0usize)?,
        value,
    })
}

/// The direction of a media stream (RFC 8866 §6.7, RFC 3264 §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Both ways (the default when no direction attribute is present).
    SendRecv,
    /// The description's author sends only.
    SendOnly,
    /// The description's author receives only.
    RecvOnly,
    /// Neither way (on hold both ways).
    Inactive,
}

impl Direction {
    /// The direction an attribute name states, if it states one.
    pub fn from_attribute(name: &str) -> Option<Direction> {
        Some(match name {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }

    /// The attribute name (`sendrecv`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// `true` when the description's author sends media.
    pub const fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// `true` when the description's author receives media.
    pub const fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    /// The direction seen from the other end (`sendonly` ↔ `recvonly`): what
    /// an answer states to accept this offer's direction as it is (RFC 3264
    /// §6.1).
    pub const fn reversed(self) -> Direction {
        match self {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            d => d,
        }
    }
}

/// `a=rtpmap:<payload type> <encoding>/<clock rate>[/<channels>]`
/// (RFC 8866 §6.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RtpMap<'a> {
    /// The RTP payload type (0–127).
    pub payload_type: u8,
    /// The encoding name as sent (`PCMU`, `opus`, `telephone-event`);
    /// compare case-insensitively.
    pub encoding: &'a str,
    /// The RTP clock rate in Hz.
    pub clock_rate: u32,
    /// The encoding parameters (audio: channels), as sent.
    pub params: Option<&'a str>,
}

pub(crate) fn parse_rtpmap(v: &[u8], loose: bool) -> Result<RtpMap<'_>, usize> {
    let vs = whole(v)?;
    let mut f = fields(v, loose);
    let (at, pt) = f.next().ok_or(0usize)?;
    let payload_type = number(pt, 127).ok_or(at)? as u8;
    let (at, rest) = f.next().ok_or(v.len())?;
    finished(&mut f)?;
    let mut parts = rest.splitn(3, |&b| b == b'/');
    let enc = parts.next().unwrap_or_default();
    if !is_token(enc) {
        return Err(at);
    }
    let rate_at = at + enc.len() + 1;
    let rate = parts.next().ok_or(at + enc.len())?;
    let clock_rate = number(rate, u64::from(u32::MAX))
        .filter(|&r| r > 0)
        .ok_or(rate_at)? as u32;
    let params = match parts.next() {
        Some(p) if is_token(p) => Some(sub(vs, v, p).ok_or(rate_at + rate.len() + 1)?),
        Some(_) => return Err(rate_at + rate.len() + 1),
        None => None,
    };
    Ok(RtpMap {
        payload_type,
        encoding: sub(vs, v, enc).ok_or(at)?,
        clock_rate,
        params,
    })
}

/// `a=fmtp:<format> <parameters>` (RFC 8866 §6.15): the format and its
/// parameters as sent.
pub(crate) fn parse_fmtp(v: &[u8]) -> Option<(&str, &[u8])> {
    let sp = memchr::memchr2(b' ', b'\t', v).unwrap_or(v.len());
    let fmt = v.get(..sp)?;
    let params = v.get(sp..).unwrap_or_default();
    let params = match params.iter().position(|&b| b != b' ' && b != b'\t') {
        Some(i) => params.get(i..).unwrap_or_default(),
        None => &[],
    };
    is_token(fmt).then_some(())?;
    Some((text(fmt)?, params))
}

/// `a=rtcp:<port> [<nettype> <addrtype> <address>]` (RFC 3605).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rtcp<'a> {
    /// The RTCP port.
    pub port: u16,
    /// The address, when one is given.
    pub connection: Option<Connection<'a>>,
}

pub(crate) fn parse_rtcp(v: &[u8], loose: bool) -> Result<Rtcp<'_>, usize> {
    let sp = v
        .iter()
        .position(|&b| b == b' ' || (loose && b == b'\t'))
        .unwrap_or(v.len());
    let port = number(v.get(..sp).unwrap_or_default(), 65_535).ok_or(0usize)? as u16;
    let rest = v.get(sp..).unwrap_or_default();
    let connection = match rest.iter().position(|&b| b != b' ' && b != b'\t') {
        None => None,
        Some(i) => {
            let at = sp + i;
            let c = parse_connection(v.get(at..).unwrap_or_default(), loose).map_err(|e| at + e)?;
            Some(c)
        }
    };
    Ok(Rtcp { port, connection })
}

/// What sipline checks of an attribute's value by its name: `rtpmap`,
/// `rtcp`, `ptime`/`maxptime`, `fmtp` and the attributes that take no value
/// (the directions, `rtcp-mux`). `Err` is the offset in the value (from
/// the end of the name when there is none).
pub(crate) fn check_attribute(a: &Attribute<'_>, loose: bool) -> Result<(), usize> {
    match (a.name, a.value) {
        ("rtpmap", Some(v)) => parse_rtpmap(v, loose).map(|_| ()),
        ("rtcp", Some(v)) => parse_rtcp(v, loose).map(|_| ()),
        ("ptime" | "maxptime", Some(v)) => parse_ptime(v).map(|_| ()).ok_or(0),
        ("fmtp", Some(v)) => parse_fmtp(v).map(|_| ()).ok_or(0),
        ("rtpmap" | "rtcp" | "ptime" | "maxptime" | "fmtp", None) => Err(0),
        ("sendrecv" | "sendonly" | "recvonly" | "inactive" | "rtcp-mux", Some(_)) => Err(0),
        _ => Ok(()),
    }
}

/// `a=ptime`: milliseconds, an integer or a decimal (`20`, `20.0`,
/// `0.125`), rounded down to whole microseconds.
pub(crate) fn parse_ptime(v: &[u8]) -> Option<u32> {
    let (int, frac) = match memchr::memchr(b'.', v) {
        Some(dot) => (v.get(..dot)?, v.get(dot + 1..)?),
        None => (v, &[][..]),
    };
    let ms = number(int, 1_000_000)? as u32;
    let mut us = 0u32;
    for (i, &b) in frac.iter().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        if i < 3 {
            us += u32::from(b - b'0') * [100, 10, 1][i];
        }
    }
    if frac.is_empty() && v.len() != int.len() {
        return None;
    }
    Some(ms * 1000 + us)
}

/// The clock rate and name of a static RTP payload type (RFC 3551 table
/// 4; G.722's 8 000 Hz clock is its stated exception).
pub fn static_payload(pt: u8) -> Option<(&'static str, u32)> {
    Some(match pt {
        0 => ("PCMU", 8_000),
        3 => ("GSM", 8_000),
        4 => ("G723", 8_000),
        5 => ("DVI4", 8_000),
        6 => ("DVI4", 16_000),
        7 => ("LPC", 8_000),
        8 => ("PCMA", 8_000),
        9 => ("G722", 8_000),
        10 | 11 => ("L16", 44_100),
        12 => ("QCELP", 8_000),
        13 => ("CN", 8_000),
        14 => ("MPA", 90_000),
        15 => ("G728", 8_000),
        16 => ("DVI4", 11_025),
        17 => ("DVI4", 22_050),
        18 => ("G729", 8_000),
        25 => ("CelB", 90_000),
        26 => ("JPEG", 90_000),
        28 => ("nv", 90_000),
        31 => ("H261", 90_000),
        32 => ("MPV", 90_000),
        33 => ("MP2T", 90_000),
        34 => ("H263", 90_000),
        _ => return None,
    })
}

/// `a=group:<semantics> *(SP <identification-tag>)` (RFC 5888).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Group<'a> {
    /// `BUNDLE`, `LS`, `FID`, …
    pub semantics: &'a str,
    tags: &'a str,
}

impl<'a> Group<'a> {
    /// The `a=mid` tags the group names, in order.
    pub fn tags(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.tags.split([' ', '\t']).filter(|t| !t.is_empty())
    }
}

pub(crate) fn parse_group(v: &[u8]) -> Option<Group<'_>> {
    let v = text(v)?;
    let (semantics, tags) = v.split_once(' ').unwrap_or((v, ""));
    is_token(semantics.as_bytes()).then_some(Group { semantics, tags })
}
