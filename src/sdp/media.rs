//! A media description (RFC 8866 §5.14): its `m=` line and the lines up to
//! the next one, read through the session's defaults (`c=`, direction).

use super::line::{line_at, Line, Lines};
use super::value::{
    number, parse_attribute, parse_connection, parse_fmtp, parse_media_line, parse_ptime,
    parse_rtcp, parse_rtpmap, static_payload, text, Attribute, Connection, Direction, MediaLine,
    Rtcp, RtpMap,
};

/// Where a value starts past its leading SP and HTAB.
fn trim_start(v: &[u8]) -> usize {
    v.iter().take_while(|&&b| b == b' ' || b == b'\t').count()
}

/// `Some(value)` when `line` is the attribute `name` (`Some(None)` with no
/// value), without parsing it.
fn named<'a>(line: &Line<'a>, name: &[u8]) -> Option<Option<&'a [u8]>> {
    if line.kind != b'a' {
        return None;
    }
    let v = line.value.get(trim_start(line.value)..)?;
    let rest = v.strip_prefix(name)?;
    match rest.split_first() {
        None => Some(None),
        Some((b':', value)) => Some(Some(value)),
        Some(_) => None,
    }
}

/// Values are read again with extra whitespace allowed: what the parse
/// checked (in either mode) reads the same that way.
const LOOSE: bool = true;

/// One media description of a session description.
///
/// ```
/// use sipline::sdp::{parse_sdp, Direction};
/// use sipline::ParserConfig;
///
/// let body = b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n\
///              m=audio 49170 RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\na=sendonly\r\n";
/// let sdp = parse_sdp(body, &ParserConfig::strict())?;
/// let audio = sdp.media().next().unwrap();
/// assert_eq!((audio.line().media, audio.line().port), ("audio", 49170));
/// assert_eq!(audio.connection().unwrap().address, "192.0.2.1"); // the session's
/// assert_eq!(audio.codec(0).unwrap().encoding, "PCMU");          // static (RFC 3551)
/// assert_eq!(audio.codec(101).unwrap().clock_rate, 8000);        // a=rtpmap
/// assert_eq!(audio.direction(), Direction::SendOnly);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Media<'a> {
    text: &'a [u8],
    /// The `m=` line's offset in the body, and the section's end.
    at: usize,
    end: usize,
    index: usize,
    line: MediaLine<'a>,
    session_connection: Option<Connection<'a>>,
    session_direction: Option<Direction>,
}

impl<'a> Media<'a> {
    /// The media description whose `m=` line starts at `at` (checked by
    /// the parse), up to `end`.
    pub(crate) fn new(
        text: &'a [u8],
        at: usize,
        end: usize,
        index: usize,
        session_connection: Option<Connection<'a>>,
        session_direction: Option<Direction>,
    ) -> Option<Media<'a>> {
        let (content, _) = line_at(text, at, end)?;
        let line = parse_media_line(content.get(2..)?, LOOSE).ok()?;
        Some(Media {
            text,
            at,
            end,
            index,
            line,
            session_connection,
            session_direction,
        })
    }

    /// Its position among the body's media descriptions, from 0 (what an
    /// answer's media description is matched by, RFC 3264 §6).
    pub const fn index(&self) -> usize {
        self.index
    }

    /// The `m=` line.
    pub const fn line(&self) -> MediaLine<'a> {
        self.line
    }

    /// `true` when the port is 0: the stream is rejected or disabled.
    pub const fn is_rejected(&self) -> bool {
        self.line.port == 0
    }

    /// Where it starts and ends in the body (the `m=` line's first byte;
    /// past the last line's end).
    pub const fn span(&self) -> (usize, usize) {
        (self.at, self.end)
    }

    /// Its lines, `m=` first.
    pub fn lines(&self) -> Lines<'a> {
        Lines::new(self.text, self.at, self.end)
    }

    /// Its attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        self.lines()
            .filter(|l| l.kind == b'a')
            .filter_map(|l| parse_attribute(l.value, LOOSE).ok())
    }

    /// The first attribute named `name` (case-sensitive, RFC 8866 §5.13).
    pub fn attribute(&self, name: &str) -> Option<Attribute<'a>> {
        let line = self.lines().find(|l| named(l, name.as_bytes()).is_some())?;
        parse_attribute(line.value, LOOSE).ok()
    }

    /// The connection: its own first `c=`, else the session's (RFC 8866
    /// §5.7). `None` when neither has one (lenient mode only).
    pub fn connection(&self) -> Option<Connection<'a>> {
        self.own_connection().or(self.session_connection)
    }

    /// Its own first `c=` line, if it has one.
    pub fn own_connection(&self) -> Option<Connection<'a>> {
        self.lines()
            .find(|l: &Line<'_>| l.kind == b'c')
            .and_then(|l| parse_connection(l.value, LOOSE).ok())
    }

    /// The direction: its own attribute, else the session's, else
    /// `sendrecv` (RFC 8866 §6.7).
    pub fn direction(&self) -> Direction {
        self.attributes()
            .find_map(|a| Direction::from_attribute(a.name))
            .or(self.session_direction)
            .unwrap_or(Direction::SendRecv)
    }

    /// The `a=rtpmap` lines, in order.
    pub fn rtpmaps(&self) -> impl Iterator<Item = RtpMap<'a>> + 'a {
        self.lines()
            .filter_map(|l| named(&l, b"rtpmap").flatten())
            .filter_map(|v| parse_rtpmap(v, LOOSE).ok())
    }

    /// The codec of payload type `pt`: its `a=rtpmap`, else the static
    /// assignment of RFC 3551 for 0–34. `None` when neither names it.
    pub fn codec(&self, pt: u8) -> Option<RtpMap<'a>> {
        self.lines()
            .filter_map(|l| named(&l, b"rtpmap").flatten())
            .filter(|v| {
                // The payload type's number (`053` is 53), without the rest.
                let v = v.get(trim_start(v)..).unwrap_or_default();
                let end = v
                    .iter()
                    .position(|b| !b.is_ascii_digit())
                    .unwrap_or(v.len());
                number(v.get(..end).unwrap_or_default(), 127) == Some(u64::from(pt))
            })
            .find_map(|v| parse_rtpmap(v, LOOSE).ok())
            .or_else(|| {
                let (encoding, clock_rate) = static_payload(pt)?;
                Some(RtpMap {
                    payload_type: pt,
                    encoding,
                    clock_rate,
                    params: None,
                })
            })
    }

    /// The `a=fmtp` parameters of `format`, as sent.
    pub fn fmtp(&self, format: &str) -> Option<&'a [u8]> {
        self.attributes()
            .filter(|a| a.name == "fmtp")
            .filter_map(|a| parse_fmtp(a.value?))
            .find(|(f, _)| *f == format)
            .map(|(_, p)| p)
    }

    /// `a=ptime` in microseconds (`20` is 20 000).
    pub fn ptime_us(&self) -> Option<u32> {
        parse_ptime(self.attribute("ptime")?.value?)
    }

    /// `a=rtcp` (RFC 3605).
    pub fn rtcp(&self) -> Option<Rtcp<'a>> {
        parse_rtcp(self.attribute("rtcp")?.value?, LOOSE).ok()
    }

    /// `true` with `a=rtcp-mux` (RFC 5761): RTCP on the RTP port.
    pub fn rtcp_mux(&self) -> bool {
        self.attribute("rtcp-mux").is_some()
    }

    /// The RTCP port: the RTP port with `a=rtcp-mux`, else `a=rtcp`'s, else
    /// the RTP port + 1 (RFC 3550 §11). `None` for a rejected stream.
    pub fn rtcp_port(&self) -> Option<u16> {
        if self.is_rejected() {
            return None;
        }
        if self.rtcp_mux() {
            return Some(self.line.port);
        }
        match self.rtcp() {
            Some(r) => Some(r.port),
            None => self.line.port.checked_add(1),
        }
    }

    /// `a=mid` (RFC 5888).
    pub fn mid(&self) -> Option<&'a str> {
        text(self.attribute("mid")?.value?)
    }
}

/// The media descriptions of a session description, in order.
#[derive(Clone, Debug)]
pub struct MediaSections<'a> {
    pub(crate) text: &'a [u8],
    pub(crate) pos: usize,
    pub(crate) index: usize,
    pub(crate) session_connection: Option<Connection<'a>>,
    pub(crate) session_direction: Option<Direction>,
}

impl<'a> Iterator for MediaSections<'a> {
    type Item = Media<'a>;

    fn next(&mut self) -> Option<Media<'a>> {
        let at = self.pos;
        let (_, mut end) = line_at(self.text, at, self.text.len())?;
        while let Some((content, next)) = line_at(self.text, end, self.text.len()) {
            if content.starts_with(b"m=") {
                break;
            }
            end = next;
        }
        self.pos = end;
        let media = Media::new(
            self.text,
            at,
            end,
            self.index,
            self.session_connection,
            self.session_direction,
        );
        self.index += 1;
        media
    }
}
