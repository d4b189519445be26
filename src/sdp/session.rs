//! A session description: [`parse_sdp`] checks a whole body in one pass and
//! gives an [`Sdp`] view over it, which reads its lines again when asked
//! (no allocation, nothing copied).

use memchr::{memchr, memchr3};

use super::line::{Line, Lines};
use super::media::MediaSections;
use super::value::{
    attribute_name, check_attribute, check_timing, parse_attribute, parse_connection,
    parse_media_line, parse_origin, text, Attribute, Connection, Direction, Origin,
};
use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};

/// A session description (RFC 8866), checked, borrowed from its body.
///
/// ```
/// use sipline::sdp::parse_sdp;
/// use sipline::ParserConfig;
///
/// let body = b"v=0\r\n\
///     o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\n\
///     s=-\r\n\
///     c=IN IP4 192.0.2.101\r\n\
///     t=0 0\r\n\
///     m=audio 49172 RTP/AVP 0\r\n\
///     a=rtpmap:0 PCMU/8000\r\n";
/// let sdp = parse_sdp(body, &ParserConfig::strict())?;
/// assert_eq!(sdp.origin().unwrap().session_version, "2890844526");
/// let audio = sdp.media().next().unwrap();
/// assert_eq!(audio.line().port, 49172);
/// assert_eq!(audio.connection().unwrap().ip(), Some([192, 0, 2, 101].into()));
///
/// // The errors say what and where:
/// let bad = parse_sdp(b"v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 70000 RTP/AVP 0\r\n",
///                     &ParserConfig::strict()).unwrap_err();
/// assert_eq!((bad.kind(), bad.offset()), (sipline::ErrorKind::SdpValue, 43));
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sdp<'a> {
    text: &'a [u8],
    /// Where the first `m=` line starts (the body's length when none does).
    media_at: usize,
    media_count: usize,
    origin: Option<Origin<'a>>,
    connection: Option<Connection<'a>>,
    direction: Option<Direction>,
}

/// Where a line type may stand (RFC 8866 §9): its rank at session level and
/// in a media description, and whether it may repeat. `None`: not allowed
/// there.
fn rank(kind: u8, in_media: bool) -> Option<(u8, bool)> {
    if in_media {
        return Some(match kind {
            b'm' => (0, false),
            b'i' => (1, false),
            b'c' => (2, true),
            b'b' => (3, true),
            b'k' => (4, false),
            b'a' => (5, true),
            _ => return None,
        });
    }
    Some(match kind {
        b'v' => (0, false),
        b'o' => (1, false),
        b's' => (2, false),
        b'i' => (3, false),
        b'u' => (4, false),
        b'e' => (5, true),
        b'p' => (6, true),
        b'c' => (7, false),
        b'b' => (8, true),
        b't' => (9, true),
        b'r' => (10, true),
        b'z' => (11, false),
        b'k' => (12, false),
        b'a' => (13, true),
        _ => return None,
    })
}

/// The line types RFC 8866 defines.
fn is_defined(kind: u8) -> bool {
    matches!(
        kind,
        b'v' | b'o'
            | b's'
            | b'i'
            | b'u'
            | b'e'
            | b'p'
            | b'c'
            | b'b'
            | b't'
            | b'r'
            | b'z'
            | b'k'
            | b'a'
            | b'm'
    )
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8).
fn check_bandwidth(v: &[u8]) -> Result<(), usize> {
    let colon = memchr(b':', v).ok_or(0usize)?;
    let (kind, n) = (
        v.get(..colon).unwrap_or_default(),
        v.get(colon + 1..).unwrap_or_default(),
    );
    if !super::value::is_token(kind) {
        return Err(0);
    }
    super::value::number(n, u64::MAX)
        .map(|_| ())
        .ok_or(colon + 1)
}

/// Parses and checks a session description (RFC 8866): every line is a
/// type letter, `=` and a value ending in CRLF (or LF, with
/// [`allow_lf_line_ends`](ParserConfig::allow_lf_line_ends)); `v=0` comes
/// first; `o=`, `c=`, `m=`, `t=` and `b=` follow their grammar. Strict mode
/// also checks the order of the lines, that `o=`, `s=` and `t=` are there,
/// that every media description has an address, and the values of `rtpmap`,
/// `fmtp`, `rtcp` and `ptime` ([`allow_loose_sdp`](ParserConfig::allow_loose_sdp)
/// relaxes these). Errors count from the body's first byte.
///
/// One pass, no allocation; the [`Sdp`] reads the lines again as it is
/// asked.
pub fn parse_sdp<'a>(body: &'a [u8], cfg: &ParserConfig) -> Result<Sdp<'a>, Error> {
    let loose = cfg.allow_loose_sdp;
    let ws = cfg.allow_extra_whitespace;
    let mut pos = 0;
    let mut sdp = Sdp {
        text: body,
        media_at: body.len(),
        media_count: 0,
        origin: None,
        connection: None,
        direction: None,
    };
    // (rank, in media) of the last line, for the order check.
    let mut last: Option<(u8, bool)> = None;
    let mut seen = [false; 4]; // v, o, s, t
    let mut media_has_c = true;
    let mut media_line_at = 0;
    let mut missing_c: Option<usize> = None;
    while pos < body.len() {
        let rest = body.get(pos..).unwrap_or_default();
        // The first LF, CR or NUL: CRLF (or LF) ends the line, anything
        // else is refused there.
        let (content, next) = match memchr3(b'\n', b'\r', 0, rest) {
            Some(i) => {
                let content = rest.get(..i).unwrap_or_default();
                match (rest.get(i), rest.get(i + 1)) {
                    (Some(b'\r'), Some(b'\n')) => (content, pos + i + 2),
                    (Some(b'\n'), _) if cfg.allow_lf_line_ends => (content, pos + i + 1),
                    (Some(b'\n' | b'\r'), _) => return Err(Error::at(ErrorKind::LineEnd, pos + i)),
                    _ => return Err(Error::at(ErrorKind::SdpLine, pos + i)),
                }
            }
            None if loose => (rest, body.len()),
            None => return Err(Error::at(ErrorKind::SdpLine, body.len())),
        };
        let at = pos;
        pos = next;
        if content.is_empty() {
            if loose {
                continue;
            }
            return Err(Error::at(ErrorKind::SdpLine, at));
        }
        let (kind, value) = match content {
            [k @ b'a'..=b'z', b'=', value @ ..] => (*k, value),
            [b'a'..=b'z', ..] => return Err(Error::at(ErrorKind::SdpLine, at + 1)),
            _ => return Err(Error::at(ErrorKind::SdpLine, at)),
        };
        let vat = at + 2;
        let bad_value = |e: usize| Error::at(ErrorKind::SdpValue, vat + e);
        if !seen[0] {
            if kind != b'v' {
                return Err(Error::at(ErrorKind::SdpOrder, at));
            }
        } else if kind == b'v' {
            return Err(Error::at(ErrorKind::SdpOrder, at));
        }
        if !is_defined(kind) {
            if loose {
                continue;
            }
            return Err(Error::at(ErrorKind::SdpLine, at));
        }
        let in_media = kind == b'm' || last.is_some_and(|(_, m)| m);
        if !loose {
            let (r, repeats) = rank(kind, in_media).ok_or(Error::at(ErrorKind::SdpOrder, at))?;
            let ok = match last {
                None => true,
                Some((_, was_media)) if kind == b'm' && (was_media || seen[3]) => true,
                Some((l, _)) if r > l => true,
                Some((l, _)) if r == l => repeats,
                // t= again after r= (a second time description).
                Some((10, false)) => kind == b't',
                Some(_) => false,
            };
            if !ok {
                return Err(Error::at(ErrorKind::SdpOrder, at));
            }
            last = Some((r, in_media));
        } else {
            last = Some((0, in_media));
        }
        if kind == b'm' && !media_has_c && missing_c.is_none() {
            missing_c = Some(media_line_at);
        }
        match kind {
            b'v' => {
                if value != b"0" {
                    return Err(bad_value(0));
                }
                seen[0] = true;
            }
            b'o' => {
                sdp.origin = Some(parse_origin(value, ws).map_err(bad_value)?);
                seen[1] = true;
            }
            b's' => {
                if value.is_empty() && !loose {
                    return Err(bad_value(0));
                }
                seen[2] = true;
            }
            b't' => {
                check_timing(value, ws).map_err(bad_value)?;
                seen[3] = true;
            }
            b'c' => {
                let c = parse_connection(value, ws).map_err(bad_value)?;
                if in_media {
                    media_has_c = true;
                } else if sdp.connection.is_none() {
                    sdp.connection = Some(c);
                }
            }
            b'b' if !loose => check_bandwidth(value).map_err(bad_value)?,
            b'm' => {
                parse_media_line(value, ws).map_err(bad_value)?;
                if sdp.media_count == 0 {
                    sdp.media_at = at;
                }
                sdp.media_count += 1;
                media_has_c = false;
                media_line_at = at;
            }
            b'a' => {
                let name = attribute_name(value, ws).map_err(bad_value)?;
                if !loose {
                    let a = parse_attribute(value, ws).map_err(bad_value)?;
                    // Its value's offset in the line's value.
                    let base =
                        value.len() - a.value.map_or(value.len() - a.name.len(), <[u8]>::len);
                    check_attribute(&a, ws).map_err(|e| bad_value(base + e))?;
                }
                if !in_media {
                    let d = match name {
                        b"sendrecv" => Some(Direction::SendRecv),
                        b"sendonly" => Some(Direction::SendOnly),
                        b"recvonly" => Some(Direction::RecvOnly),
                        b"inactive" => Some(Direction::Inactive),
                        _ => None,
                    };
                    if let Some(d) = d {
                        sdp.direction.get_or_insert(d);
                    }
                }
            }
            _ => {}
        }
    }
    if !seen[0] {
        return Err(Error::at(ErrorKind::SdpOrder, 0));
    }
    if !loose {
        if !(seen[1] && seen[2] && seen[3]) {
            return Err(Error::at(ErrorKind::SdpOrder, body.len()));
        }
        if sdp.media_count > 0 && !media_has_c && missing_c.is_none() {
            missing_c = Some(media_line_at);
        }
        if let (Some(m), None) = (missing_c, sdp.connection) {
            return Err(Error::at(ErrorKind::SdpConnection, m));
        }
    }
    Ok(sdp)
}

impl<'a> Sdp<'a> {
    /// The whole body as given.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.text
    }

    /// Its lines, in order (blank lines skipped).
    pub fn lines(&self) -> Lines<'a> {
        Lines::new(self.text, 0, self.text.len())
    }

    /// The session-level lines (before the first `m=`).
    pub fn session_lines(&self) -> Lines<'a> {
        Lines::new(self.text, 0, self.media_at)
    }

    /// `o=` (absent only in lenient mode).
    pub const fn origin(&self) -> Option<Origin<'a>> {
        self.origin
    }

    /// `s=`, as sent (any bytes but NUL, CR and LF; `-` or a space when the
    /// session has no name).
    pub fn session_name(&self) -> Option<&'a [u8]> {
        self.session_value(b's')
    }

    /// The first session-level line of type `kind`: its value.
    pub fn session_value(&self, kind: u8) -> Option<&'a [u8]> {
        self.session_lines()
            .find(|l: &Line<'_>| l.kind == kind)
            .map(|l| l.value)
    }

    /// The session-level `c=`, which media descriptions without their own
    /// use.
    pub const fn connection(&self) -> Option<Connection<'a>> {
        self.connection
    }

    /// The session-level direction attribute, if any (media descriptions
    /// without their own use it; `sendrecv` when neither has one).
    pub const fn direction(&self) -> Option<Direction> {
        self.direction
    }

    /// The session-level attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = Attribute<'a>> + 'a {
        let ws = true;
        self.session_lines()
            .filter(|l| l.kind == b'a')
            .filter_map(move |l| parse_attribute(l.value, ws).ok())
    }

    /// The first session-level attribute named `name` (case-sensitive).
    pub fn attribute(&self, name: &str) -> Option<Attribute<'a>> {
        self.attributes().find(|a| a.name == name)
    }

    /// `a=group` at session level (RFC 5888), in order.
    pub fn groups(&self) -> impl Iterator<Item = super::value::Group<'a>> + 'a {
        self.attributes()
            .filter(|a| a.name == "group")
            .filter_map(|a| super::value::parse_group(a.value?))
    }

    /// How many media descriptions it has.
    pub const fn media_count(&self) -> usize {
        self.media_count
    }

    /// Its media descriptions, in order.
    pub fn media(&self) -> MediaSections<'a> {
        MediaSections {
            text: self.text,
            pos: if self.media_count == 0 {
                self.text.len()
            } else {
                self.media_at
            },
            index: 0,
            session_connection: self.connection,
            session_direction: self.direction,
        }
    }

    /// The session's text when it is UTF-8 (for display).
    pub fn as_str(&self) -> Option<&'a str> {
        text(self.text)
    }
}
