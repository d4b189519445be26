//! Writing a session description again with what a border controller
//! changes: the connection address, the origin, media ports, formats,
//! directions. Every line not changed is copied byte for byte, its line end
//! included, so a writer with no change gives the body back as it was.

use core::fmt;
use core::net::IpAddr;

use bytes::BytesMut;

use super::line::line_at;
use super::session::Sdp;
use super::value::{
    fields, is_token, parse_attribute, parse_connection, parse_media_line, parse_origin, Direction,
};

/// Why [`SdpWriter::write`] wrote nothing: what it was asked to write is
/// not something the body can hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SdpWriteError {
    /// An edit names media description `index`; the body has `count`.
    NoSuchMedia {
        /// The index asked for.
        index: usize,
        /// How many media descriptions the body has.
        count: usize,
    },
    /// An address is empty or holds a byte an address may not (a space,
    /// a control byte): which one (`"connection"`, `"origin"`).
    Address(&'static str),
    /// A format to keep in media description `index` is not one of its
    /// `m=` line's, or none is left.
    Formats {
        /// The media description's index.
        index: usize,
    },
}

impl fmt::Display for SdpWriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SdpWriteError::NoSuchMedia { index, count } => {
                write!(f, "no media description {index}: the body has {count}")
            }
            SdpWriteError::Address(which) => {
                write!(
                    f,
                    "the {which} address is empty or holds a space or control byte"
                )
            }
            SdpWriteError::Formats { index } => write!(
                f,
                "media description {index}: the formats to keep must be some of its m= line's"
            ),
        }
    }
}

impl std::error::Error for SdpWriteError {}

/// What to change in one media description.
#[derive(Clone, Copy, Debug, Default)]
struct MediaEdit<'x> {
    port: Option<u16>,
    rtcp_port: Option<u16>,
    formats: Option<&'x [&'x str]>,
    direction: Option<Direction>,
    connection: Option<&'x str>,
}

/// Most media descriptions a writer edits (by index); more are an error.
const MAX_EDITED: usize = 16;

/// Writes a session description again with changes; every line it does not
/// change is copied as it is.
///
/// - [`connection_address`](Self::connection_address): every `c=` line's
///   address (the address type follows it: `IP4` or `IP6`; a host name
///   keeps the line's; a multicast `/ttl` or `/count` stays only when the
///   type does), and `a=rtcp`'s when it carries one.
/// - [`origin`](Self::origin): `o=`'s address and session version (an
///   SBC's description of its own side, RFC 3264 §8).
/// - [`port`](Self::port), [`rtcp_port`](Self::rtcp_port),
///   [`formats`](Self::formats) (kept in the order given; the `a=rtpmap`,
///   `a=fmtp` and `a=rtcp-fb` lines of the others removed),
///   [`direction`](Self::direction) (the media description's direction
///   attribute replaced, or one added at its end), and
///   [`media_connection_address`](Self::media_connection_address), for
///   one media description.
///
/// ```
/// use bytes::BytesMut;
/// use sipline::sdp::{parse_sdp, Direction, SdpWriter};
/// use sipline::ParserConfig;
///
/// let body = b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
///              m=audio 4000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";
/// let sdp = parse_sdp(body, &ParserConfig::strict())?;
/// let mut out = BytesMut::new();
/// SdpWriter::new(&sdp)
///     .connection_address("2001:db8::7")
///     .port(0, 30000)
///     .formats(0, &["8", "0"])
///     .direction(0, Direction::SendOnly)
///     .write(&mut out)
///     .unwrap();
/// let written = parse_sdp(&out, &ParserConfig::strict())?;
/// let audio = written.media().next().unwrap();
/// assert_eq!(written.connection().unwrap().addr_type, "IP6");
/// assert_eq!((audio.line().port, audio.line().formats), (30000, "8 0"));
/// assert_eq!(audio.direction(), Direction::SendOnly);
/// assert!(audio.rtpmaps().next().is_none()); // 101's lines went with it
///
/// // No change: the same bytes.
/// let mut same = BytesMut::new();
/// SdpWriter::new(&sdp).write(&mut same).unwrap();
/// assert_eq!(&same[..], &body[..]);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SdpWriter<'s, 'a, 'x> {
    sdp: &'s Sdp<'a>,
    connection: Option<&'x str>,
    origin_address: Option<&'x str>,
    origin_version: Option<u64>,
    edits: [Option<(usize, MediaEdit<'x>)>; MAX_EDITED],
    too_many: Option<usize>,
}

impl<'s, 'a, 'x> SdpWriter<'s, 'a, 'x> {
    /// A writer that changes nothing yet.
    pub fn new(sdp: &'s Sdp<'a>) -> Self {
        SdpWriter {
            sdp,
            connection: None,
            origin_address: None,
            origin_version: None,
            edits: [None; MAX_EDITED],
            too_many: None,
        }
    }

    /// Every `c=` address (and `a=rtcp`'s), session and media level.
    pub fn connection_address(mut self, address: &'x str) -> Self {
        self.connection = Some(address);
        self
    }

    /// `o=`'s address (when `Some`) and session version (when `Some`).
    pub fn origin(mut self, address: Option<&'x str>, version: Option<u64>) -> Self {
        self.origin_address = address.or(self.origin_address);
        self.origin_version = version.or(self.origin_version);
        self
    }

    fn edit(&mut self, index: usize) -> Option<&mut MediaEdit<'x>> {
        let slot = self
            .edits
            .iter()
            .position(|e| matches!(e, Some((i, _)) if *i == index))
            .or_else(|| self.edits.iter().position(Option::is_none));
        match slot.and_then(|s| self.edits.get_mut(s)) {
            Some(e) => Some(&mut e.get_or_insert((index, MediaEdit::default())).1),
            None => {
                self.too_many = Some(index);
                None
            }
        }
    }

    /// Media description `index`'s port (`m=`); 0 rejects it.
    pub fn port(mut self, index: usize, port: u16) -> Self {
        if let Some(e) = self.edit(index) {
            e.port = Some(port);
        }
        self
    }

    /// Media description `index`'s `a=rtcp` port, where it has that line.
    pub fn rtcp_port(mut self, index: usize, port: u16) -> Self {
        if let Some(e) = self.edit(index) {
            e.rtcp_port = Some(port);
        }
        self
    }

    /// The formats media description `index` keeps, in this order (each
    /// one of its `m=` line's).
    pub fn formats(mut self, index: usize, formats: &'x [&'x str]) -> Self {
        if let Some(e) = self.edit(index) {
            e.formats = Some(formats);
        }
        self
    }

    /// Media description `index`'s direction.
    pub fn direction(mut self, index: usize, direction: Direction) -> Self {
        if let Some(e) = self.edit(index) {
            e.direction = Some(direction);
        }
        self
    }

    /// Media description `index`'s own `c=` address (and `a=rtcp`'s), over
    /// [`connection_address`](Self::connection_address).
    pub fn media_connection_address(mut self, index: usize, address: &'x str) -> Self {
        if let Some(e) = self.edit(index) {
            e.connection = Some(address);
        }
        self
    }

    fn check(&self) -> Result<(), SdpWriteError> {
        let count = self.sdp.media_count();
        if let Some(index) = self.too_many {
            return Err(SdpWriteError::NoSuchMedia { index, count });
        }
        let good = |a: &str| !a.is_empty() && a.bytes().all(|b| b > b' ' && b != 0x7f);
        if self.connection.is_some_and(|a| !good(a)) {
            return Err(SdpWriteError::Address("connection"));
        }
        if self.origin_address.is_some_and(|a| !good(a)) {
            return Err(SdpWriteError::Address("origin"));
        }
        for (index, e) in self.edits.iter().flatten() {
            let Some(media) = self.sdp.media().nth(*index) else {
                return Err(SdpWriteError::NoSuchMedia {
                    index: *index,
                    count,
                });
            };
            if e.connection.is_some_and(|a| !good(a)) {
                return Err(SdpWriteError::Address("connection"));
            }
            if let Some(keep) = e.formats {
                let ok = !keep.is_empty()
                    && keep.iter().all(|f| media.line().formats().any(|m| m == *f));
                if !ok {
                    return Err(SdpWriteError::Formats { index: *index });
                }
            }
        }
        Ok(())
    }

    /// Writes the body with the changes into `out`; nothing is written when
    /// a change cannot be made.
    pub fn write(&self, out: &mut BytesMut) -> Result<(), SdpWriteError> {
        self.check()?;
        let text = self.sdp.as_bytes();
        out.reserve(text.len() + 64);
        let mut pos = 0;
        // The media description being written: its index and edit.
        let mut media: Option<(usize, MediaEdit<'x>)> = None;
        let mut index = 0;
        let mut direction_written = false;
        // A `c=` to add to a media description that has none (after its
        // `m=` line and its `i=`, RFC 8866 §9's order).
        let mut pending_c: Option<&str> = None;
        let mut previous = 0u8;
        let ending = ending_of(text);
        while let Some((content, next)) = line_at(text, pos, text.len()) {
            let own_ending = text.get(pos + content.len()..next).unwrap_or_default();
            let kind = match content {
                [k, b'=', ..] => *k,
                _ => 0,
            };
            if let Some(address) = pending_c {
                if !(kind == b'i' && previous == b'm') {
                    self.add_connection(out, address, ending);
                    pending_c = None;
                }
            }
            let value = content.get(2..).unwrap_or_default();
            let line = LineOut {
                out: &mut *out,
                ending: own_ending,
            };
            if kind == b'm' {
                if let Some((_, e)) = media {
                    close_media(line.out, &e, direction_written, ending);
                }
                let e = self.media_edit(index);
                media = Some((index, e));
                pending_c = e.connection.filter(|_| {
                    self.sdp
                        .media()
                        .nth(index)
                        .is_some_and(|m| m.own_connection().is_none())
                });
                index += 1;
                direction_written = false;
                write_media_line(line, content, value, &e);
            } else {
                let e = media.map(|(_, e)| e).unwrap_or_default();
                let address = e.connection.or(self.connection);
                match kind {
                    b'c' if address.is_some() => write_connection(line, content, value, address),
                    b'o' if self.origin_address.is_some() || self.origin_version.is_some() => {
                        write_origin(
                            line,
                            content,
                            value,
                            self.origin_address,
                            self.origin_version,
                        )
                    }
                    b'a' if media.is_some() => {
                        direction_written |= write_media_attribute(
                            line,
                            content,
                            value,
                            &e,
                            address,
                            direction_written,
                        )
                    }
                    _ => line.copy(content),
                }
            }
            if kind != 0 {
                previous = kind;
            }
            pos = next;
        }
        if let Some(address) = pending_c {
            self.add_connection(out, address, ending);
        }
        if let Some((_, e)) = media {
            close_media(out, &e, direction_written, ending);
        }
        Ok(())
    }

    /// A `c=` line for media description `index`, which has none: of the
    /// session's network type (`IN` when the session has no `c=`).
    fn add_connection(&self, out: &mut BytesMut, address: &str, ending: &[u8]) {
        let net = self.sdp.connection().map_or("IN", |c| c.net_type);
        end_last_line(out, ending);
        for p in [
            b"c=".as_slice(),
            net.as_bytes(),
            b" ",
            addr_type(address, "IP4").as_bytes(),
            b" ",
            address.as_bytes(),
            ending,
        ] {
            out.extend_from_slice(p);
        }
    }

    fn media_edit(&self, index: usize) -> MediaEdit<'x> {
        self.edits
            .iter()
            .flatten()
            .find(|(i, _)| *i == index)
            .map(|(_, e)| *e)
            .unwrap_or_default()
    }
}

/// A last line written without its line end (lenient mode) gets one before
/// a line is added after it.
fn end_last_line(out: &mut BytesMut, ending: &[u8]) {
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(ending);
    }
}

/// The end of a media description: its direction, when one was asked and
/// none of its lines held one.
fn close_media(out: &mut BytesMut, e: &MediaEdit<'_>, written: bool, ending: &[u8]) {
    if let (Some(d), false) = (e.direction, written) {
        end_last_line(out, ending);
        out.extend_from_slice(b"a=");
        out.extend_from_slice(d.as_str().as_bytes());
        out.extend_from_slice(ending);
    }
}

/// The line end the body uses (its first line's): CRLF unless that one is a
/// bare LF.
fn ending_of(text: &[u8]) -> &'static [u8] {
    match memchr::memchr(b'\n', text) {
        Some(lf) if lf == 0 || text.get(lf - 1) != Some(&b'\r') => b"\n",
        _ => b"\r\n",
    }
}

/// One line being written: into `out`, ended as the original was.
struct LineOut<'o, 'e> {
    out: &'o mut BytesMut,
    ending: &'e [u8],
}

impl LineOut<'_, '_> {
    fn copy(self, content: &[u8]) {
        self.out.extend_from_slice(content);
        self.out.extend_from_slice(self.ending);
    }

    /// Writes the parts, then the line end.
    fn parts(self, parts: &[&[u8]]) {
        for p in parts {
            self.out.extend_from_slice(p);
        }
        self.out.extend_from_slice(self.ending);
    }
}

/// The address type an address is written with: its IP version, or for a
/// host name the type the line had.
fn addr_type<'t>(address: &str, was: &'t str) -> &'t str {
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => "IP4",
        Ok(IpAddr::V6(_)) => "IP6",
        Err(_) => was,
    }
}

/// The part of a `c=` address after the address (`/ttl/count`), as sent.
fn address_suffix(value: &[u8], address: &str) -> usize {
    // The address field is the last; its suffix starts at its first `/`.
    let last = fields(value, true).last().map_or(value.len(), |(at, _)| at);
    last + address.len()
}

fn write_connection(line: LineOut<'_, '_>, content: &[u8], value: &[u8], address: Option<&str>) {
    let (Some(address), Ok(c)) = (address, parse_connection(value, true)) else {
        return line.copy(content);
    };
    // `/ttl/count` (IP4) and `/count` (IP6) read differently: kept only
    // when the address type stays.
    let new_type = addr_type(address, c.addr_type);
    let suffix = if new_type.eq_ignore_ascii_case(c.addr_type) {
        value
            .get(address_suffix(value, c.address)..)
            .unwrap_or_default()
    } else {
        &[]
    };
    line.parts(&[
        b"c=",
        c.net_type.as_bytes(),
        b" ",
        new_type.as_bytes(),
        b" ",
        address.as_bytes(),
        suffix,
    ]);
}

fn write_origin(
    line: LineOut<'_, '_>,
    content: &[u8],
    value: &[u8],
    address: Option<&str>,
    version: Option<u64>,
) {
    let Ok(o) = parse_origin(value, true) else {
        return line.copy(content);
    };
    let mut digits = [0u8; 20];
    let version = match version {
        Some(v) => decimal(v, &mut digits),
        None => o.session_version.as_bytes(),
    };
    let address = address.unwrap_or(o.address);
    line.parts(&[
        b"o=",
        o.username.as_bytes(),
        b" ",
        o.session_id.as_bytes(),
        b" ",
        version,
        b" ",
        o.net_type.as_bytes(),
        b" ",
        addr_type(address, o.addr_type).as_bytes(),
        b" ",
        address.as_bytes(),
    ]);
}

/// `n` in decimal, in `buf`.
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(d) = buf.get_mut(i) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.get(i..).unwrap_or_default()
}

fn write_media_line(line: LineOut<'_, '_>, content: &[u8], value: &[u8], e: &MediaEdit<'_>) {
    let (None, None) = (e.port, e.formats) else {
        let Ok(m) = parse_media_line(value, true) else {
            return line.copy(content);
        };
        let mut digits = [0u8; 20];
        let port = decimal(u64::from(e.port.unwrap_or(m.port)), &mut digits);
        let out = line.out;
        out.extend_from_slice(b"m=");
        out.extend_from_slice(m.media.as_bytes());
        out.extend_from_slice(b" ");
        out.extend_from_slice(port);
        if let Some(count) = m.port_count {
            let mut digits = [0u8; 20];
            out.extend_from_slice(b"/");
            out.extend_from_slice(decimal(u64::from(count), &mut digits));
        }
        out.extend_from_slice(b" ");
        out.extend_from_slice(m.proto.as_bytes());
        match e.formats {
            Some(keep) => {
                for f in keep {
                    out.extend_from_slice(b" ");
                    out.extend_from_slice(f.as_bytes());
                }
            }
            None => {
                out.extend_from_slice(b" ");
                out.extend_from_slice(m.formats.as_bytes());
            }
        }
        out.extend_from_slice(line.ending);
        return;
    };
    line.copy(content);
}

/// A media-level attribute: dropped when it belongs to a format removed,
/// replaced when it is the direction or `a=rtcp`; `true` when it was the
/// direction and the edit sets one.
fn write_media_attribute(
    line: LineOut<'_, '_>,
    content: &[u8],
    value: &[u8],
    e: &MediaEdit<'_>,
    address: Option<&str>,
    direction_written: bool,
) -> bool {
    let Ok(a) = parse_attribute(value, true) else {
        line.copy(content);
        return false;
    };
    if let (Some(keep), "rtpmap" | "fmtp" | "rtcp-fb") = (e.formats, a.name) {
        let fmt = a
            .value
            .and_then(|v| fields(v, true).next())
            .map(|(_, f)| f)
            .unwrap_or_default();
        if fmt != b"*" && is_token(fmt) && !keep.iter().any(|k| k.as_bytes() == fmt) {
            return false;
        }
    }
    if let Some(d) = e.direction {
        if Direction::from_attribute(a.name).is_some() {
            if !direction_written {
                line.parts(&[b"a=", d.as_str().as_bytes()]);
            }
            return true;
        }
    }
    if a.name == "rtcp" && (e.rtcp_port.is_some() || address.is_some()) {
        if let Some(Ok(r)) = a.value.map(|v| super::value::parse_rtcp(v, true)) {
            let mut digits = [0u8; 20];
            let port = decimal(u64::from(e.rtcp_port.unwrap_or(r.port)), &mut digits);
            let out = line.out;
            out.extend_from_slice(b"a=rtcp:");
            out.extend_from_slice(port);
            if let Some(c) = r.connection {
                let addr = address.unwrap_or(c.address);
                for p in [
                    b" ".as_slice(),
                    c.net_type.as_bytes(),
                    b" ",
                    addr_type(addr, c.addr_type).as_bytes(),
                    b" ",
                    addr.as_bytes(),
                ] {
                    out.extend_from_slice(p);
                }
            }
            out.extend_from_slice(line.ending);
            return false;
        }
    }
    line.copy(content);
    false
}
