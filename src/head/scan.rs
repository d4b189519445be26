//! The resumable, line-at-a-time scan that frames and checks a head, and
//! the entry points built on it: [`parse_head`] and [`parse_head_into`].

use ::nom::Err as NomErr;

use crate::config::ParserConfig;
use crate::error::{Error, ErrorKind};
use crate::header::field::{check_field_line, content_length, is_content_length, HeaderField};
use crate::parsed::Parsed;
use crate::start::start_line::start_line;
#[cfg(feature = "std")]
use crate::text::chars::is_line_stop;
use crate::text::simd::find_line_stop;

use super::index::HeaderIndex;
use super::span::{slice, StartMeta};
use super::view::{Head, HeadInfo};
use super::whole::{self, FieldSink};

#[derive(Clone, Copy, Debug, Default)]
struct FieldAt {
    name: (usize, usize),
    value: usize,
    is_content_length: bool,
    /// A control byte (`chars::is_line_stop`) stands in one of its lines:
    /// only then is the value checked for controls outside quoted-pairs.
    has_control: bool,
}

/// An incremental, line-at-a-time scan of a message head. Each call looks
/// only at bytes it has not looked at before (the search for the next LF
/// resumes where it stopped), so feeding a head one byte at a time costs
/// O(length) overall.
#[derive(Clone, Debug, Default)]
pub(crate) struct HeadScan {
    scanned: usize,
    pos: usize,
    start: Option<(StartMeta, usize)>,
    headers: usize,
    field: Option<FieldAt>,
    content_length: Option<u64>,
    early_checked: bool,
    /// The line being scanned holds a control byte before `scanned`.
    control_in_line: bool,
    /// The buffer length up to which a call that finds no line end has
    /// nothing to check ([`nothing_new`](Self::nothing_new)): the head's
    /// limit, or before the start line ends, its limit once its first bytes
    /// are checked. 0 until then.
    quick_until: usize,
    index: HeaderIndex,
}

/// The searcher for the end of a head (CRLF CRLF), built once: building
/// one costs more than a search through a head.
#[cfg(feature = "std")]
fn head_end() -> &'static memchr::memmem::Finder<'static> {
    static END: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    END.get_or_init(|| memchr::memmem::Finder::new(b"\r\n\r\n"))
}

/// How many bytes of a partial start line are worth parsing before its line
/// end arrives: enough to reject a wrong version or status code early,
/// little enough that byte-at-a-time feeding stays linear.
const EARLY_START_CHECK: usize = 16;

impl HeadScan {
    /// A scan that indexes the proxy fields as it goes.
    pub(crate) fn new() -> HeadScan {
        let mut scan = HeadScan::default();
        scan.index.built = true;
        scan
    }

    /// A scan that does not index (its caller collects every field).
    pub(crate) fn without_index() -> HeadScan {
        HeadScan::default()
    }

    /// Scans `msg` (the message from its first byte on). `Ok(None)`: more
    /// bytes are needed. Errors carry offsets within `msg`.
    ///
    /// One pass of [`find_line_stop`] over the head finds each line end, any
    /// bare CR and any control byte in a value; only field names are looked
    /// at byte by byte, and only values that hold a control byte are looked
    /// at again (for quoted-pairs).
    pub(crate) fn advance(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
    ) -> Result<Option<HeadInfo>, Error> {
        self.advance_with(cfg, msg, &mut ())
    }

    /// [`advance`](Self::advance), handing each finished field to `sink`.
    #[inline]
    pub(crate) fn advance_with<S: FieldSink>(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
        sink: &mut S,
    ) -> Result<Option<HeadInfo>, Error> {
        // A fresh scan of a head that is whole: the pass with no resumable
        // state, which leaves the scan as it was when it does not answer.
        if self.is_fresh() {
            if let Some(info) = whole::scan(cfg, msg, self.index.built, sink) {
                return Ok(Some(info));
            }
        }
        self.advance_resumable(cfg, msg, sink)
    }

    /// A stream's scan: the whole-head pass is tried only when one search
    /// finds the head's end (CRLF CRLF) in what is buffered, so that a head
    /// that arrives in pieces is not read twice.
    #[cfg(feature = "std")]
    #[inline]
    pub(crate) fn advance_stream(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
    ) -> Result<Option<HeadInfo>, Error> {
        if self.is_fresh() && head_end().find(msg).is_some() {
            if let Some(info) = whole::scan(cfg, msg, self.index.built, &mut ()) {
                return Ok(Some(info));
            }
        }
        self.advance_resumable(cfg, msg, &mut ())
    }

    /// Nothing scanned yet: the whole-head pass may read the head.
    #[inline(always)]
    fn is_fresh(&self) -> bool {
        self.scanned == 0 && self.pos == 0 && self.start.is_none()
    }

    /// The resumable scan, line by line from where it stopped.
    #[inline]
    pub(crate) fn advance_resumable<S: FieldSink>(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
        sink: &mut S,
    ) -> Result<Option<HeadInfo>, Error> {
        loop {
            let mut from = self.scanned.max(self.pos);
            // The next CR or LF; control bytes on the way are noted.
            let at = loop {
                let hay = msg.get(from..).unwrap_or_default();
                let Some(k) = find_line_stop(hay) else {
                    self.scanned = msg.len();
                    return self.need_more(cfg, msg).map(|()| None);
                };
                match hay.get(k) {
                    Some(b'\r' | b'\n') => break from + k,
                    _ => {
                        self.control_in_line = true;
                        from += k + 1;
                    }
                }
            };
            // The line's content ends at `at`; `lf` is its last byte.
            let (lf, bare_cr) = match (msg.get(at), msg.get(at + 1)) {
                (Some(b'\r'), None) => {
                    self.scanned = at;
                    return self.need_more(cfg, msg).map(|()| None);
                }
                (Some(b'\r'), Some(b'\n')) => (at + 1, false),
                (Some(b'\r'), Some(_)) => (at + 1, true),
                _ => (at, false),
            };
            self.scanned = lf + 1;
            // Whether the line just ended holds a control byte.
            let control = core::mem::take(&mut self.control_in_line);
            let line_start = self.pos;
            let Some((start, start_len)) = self.start else {
                // The start-line parser gives the first error in the line.
                let line = msg.get(..=lf).unwrap_or_default();
                let parsed = match start_line(cfg, line) {
                    Ok((left, sl)) => (StartMeta::of(msg, &sl), line.len() - left.len()),
                    Err(NomErr::Error(e) | NomErr::Failure(e)) => return Err(e.to_error(line)),
                    Err(NomErr::Incomplete(_)) => return Err(Error::at(ErrorKind::LineEnd, lf)),
                };
                self.start = Some(parsed);
                self.pos = parsed.1;
                continue;
            };
            // The start line has its own limit (checked by its parser, as
            // when its line end has not arrived yet); the rest of the head this one.
            if lf >= cfg.max_head_len {
                return Err(Error::at(ErrorKind::HeadTooLarge, cfg.max_head_len));
            }
            let content = msg.get(line_start..at).unwrap_or_default();
            // A bad name is reported before a bare CR or bare LF after it.
            let field = match content.first() {
                None | Some(b' ' | b'\t') => None,
                Some(_) => {
                    Some(check_field_line(content).map_err(|e| e.shifted(line_start as u64))?)
                }
            };
            if bare_cr {
                return Err(Error::at(ErrorKind::LineEnd, lf));
            }
            if at == lf && !cfg.allow_lf_line_ends {
                return Err(Error::at(ErrorKind::LineEnd, lf));
            }
            match (content.first(), field) {
                (None, _) => {
                    self.finish_field(cfg, msg, line_start, sink)?;
                    return Ok(Some(HeadInfo {
                        start,
                        fields: (start_len, line_start),
                        head_len: lf + 1,
                        header_count: self.headers,
                        content_length: self.content_length,
                        loose_addresses: cfg.allow_loose_addresses,
                        index: self.index,
                    }));
                }
                (Some(_), None) => {
                    // A continuation line (folding, RFC 3261 §7.3.1).
                    match self.field.as_mut() {
                        Some(field) => field.has_control |= control,
                        None => return Err(Error::at(ErrorKind::HeaderName, line_start)),
                    }
                }
                (Some(_), Some((name, value_at))) => {
                    self.finish_field(cfg, msg, line_start, sink)?;
                    if self.headers >= cfg.max_headers {
                        return Err(Error::at(ErrorKind::TooManyHeaders, line_start));
                    }
                    self.headers += 1;
                    self.field = Some(FieldAt {
                        name: (line_start, line_start + name.len()),
                        value: line_start + value_at,
                        is_content_length: is_content_length(name),
                        has_control: control,
                    });
                }
            }
            self.pos = lf + 1;
        }
    }

    /// The fast path of a stream fed in small pieces: `true` when the bytes
    /// that came since the last call (at most 16) hold no line end and no
    /// control byte, or only a CR as their last byte once the start line is
    /// read, and the buffer is below [`quick_until`](Self::quick_until), so
    /// that [`advance`](Self::advance) would only find that it needs more;
    /// they are noted as scanned. Only the stream decoder (`std`) feeds a
    /// head in pieces.
    #[cfg(feature = "std")]
    #[inline(always)]
    pub(crate) fn nothing_new(&mut self, msg: &[u8]) -> bool {
        let len = msg.len();
        // `scanned` is never before `pos`. One compare for 1 to 16 new bytes.
        let from = self.scanned;
        if len.wrapping_sub(from).wrapping_sub(1) >= 16 || len > self.quick_until {
            return false;
        }
        let Some(new) = msg.get(from..) else {
            return false;
        };
        match new.iter().position(|&b| is_line_stop(b)) {
            None => {
                self.scanned = len;
                true
            }
            // A CR whose LF has not come: the resumable scan stops before it.
            Some(k) if k + 1 == new.len() && new.get(k) == Some(&b'\r') && self.start.is_some() => {
                self.scanned = len - 1;
                true
            }
            Some(_) => false,
        }
    }

    /// No line end in what is buffered: check the limits, and the start of a
    /// start line early.
    fn need_more(&mut self, cfg: &ParserConfig, msg: &[u8]) -> Result<(), Error> {
        if self.start.is_none() {
            // The first bytes of the start line are checked as they come, up
            // to EARLY_START_CHECK of them, however the stream was cut.
            if !self.early_checked {
                let window = msg.get(..EARLY_START_CHECK).unwrap_or(msg);
                if let Err(NomErr::Error(e) | NomErr::Failure(e)) = start_line(cfg, window) {
                    return Err(e.to_error(window));
                }
                self.early_checked = window.len() == EARLY_START_CHECK;
            }
            if msg.len() >= cfg.max_line_len {
                // Too long: the parser reports a syntax error before the
                // limit if there is one (as it would once the line end came).
                return match start_line(cfg, msg) {
                    Err(NomErr::Error(e) | NomErr::Failure(e)) => Err(e.to_error(msg)),
                    _ => Err(Error::at(ErrorKind::LineTooLong, cfg.max_line_len)),
                };
            }
        }
        if msg.len() > cfg.max_head_len {
            return Err(Error::at(ErrorKind::HeadTooLarge, cfg.max_head_len));
        }
        self.quick_until = match self.start {
            Some(_) => cfg.max_head_len,
            // Below the start line's limit, once its first bytes are
            // checked (until then each new byte is checked as it comes).
            None if self.early_checked => cfg.max_line_len.saturating_sub(1).min(cfg.max_head_len),
            None => 0,
        };
        Ok(())
    }

    /// The input ends here: when it ends right after a complete line of a
    /// head whose start line was read, the head is taken to end there too
    /// (no empty line, no body).
    pub(crate) fn finish_at_end(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
    ) -> Result<Option<HeadInfo>, Error> {
        let Some((start, start_len)) = self.start else {
            return Ok(None);
        };
        if self.pos != msg.len() {
            return Ok(None);
        }
        self.finish_field(cfg, msg, msg.len(), &mut ())?;
        Ok(Some(HeadInfo {
            start,
            fields: (start_len, msg.len()),
            head_len: msg.len(),
            header_count: self.headers,
            content_length: self.content_length,
            loose_addresses: cfg.allow_loose_addresses,
            index: self.index,
        }))
    }

    /// The field that ended before `end`: take its Content-Length.
    #[inline(always)]
    fn finish_field<S: FieldSink>(
        &mut self,
        cfg: &ParserConfig,
        msg: &[u8],
        end: usize,
        sink: &mut S,
    ) -> Result<(), Error> {
        let Some(field) = self.field.take() else {
            return Ok(());
        };
        if self.index.built {
            self.index.note(msg, field.name, end);
        }
        if S::WANTS {
            let ws = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'));
            let mut start = field.value;
            while start < end && ws(msg.get(start)) {
                start += 1;
            }
            let mut stop = end;
            while stop > start && ws(msg.get(stop - 1)) {
                stop -= 1;
            }
            sink.field(msg, field.name, (start, stop))?;
        }
        if field.has_control && !cfg.allow_controls_in_values {
            let value = msg.get(field.value..end).unwrap_or_default();
            if let Some(bad) = control_outside_quoted_pair(value) {
                return Err(Error::at(ErrorKind::HeaderValue, field.value + bad));
            }
        }
        if !field.is_content_length {
            return Ok(());
        }
        let value = msg.get(field.value..end).unwrap_or_default();
        let n =
            content_length(value, cfg.max_body_len).map_err(|e| e.shifted(field.value as u64))?;
        match self.content_length {
            Some(m) if m != n => Err(Error::at(ErrorKind::ContentLength, field.value)),
            _ => {
                self.content_length = Some(n);
                Ok(())
            }
        }
    }
}

/// The index of the first control byte of `value` (HTAB, and the CR/LF of
/// folded lines, excepted) that is not the second byte of a quoted-pair in a
/// quoted string (§25.1). One pass of a cheap test; quotes are tracked only
/// when a control byte is present.
fn control_outside_quoted_pair(value: &[u8]) -> Option<usize> {
    let is_ctl = |b: u8| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f;
    value.iter().position(|&b| is_ctl(b))?;
    let mut quoted = false;
    let mut i = 0;
    while let Some(&b) = value.get(i) {
        match b {
            b'"' => quoted = !quoted,
            b'\\' if quoted => i += 1,
            b if is_ctl(b) => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses the message head at the start of `buf` (no leading CRLFs).
///
/// Checks the start line, every header line (name, colon, value bytes, line
/// ends, folding) and Content-Length; the header fields are then walked
/// with [`Head::headers`] without allocating.
pub fn parse_head<'b>(buf: &'b [u8], config: &ParserConfig) -> Result<Parsed<Head<'b>>, Error> {
    let mut scan = HeadScan::new();
    Ok(match scan.advance(config, buf)? {
        Some(info) => Parsed::Complete {
            value: info.head(buf),
            consumed: info.head_len,
        },
        None => Parsed::Incomplete { needed: None },
    })
}

/// [`parse_head`] that also fills `fields` with every header field, in
/// order, as the one checking pass finds it (httparse-style: no second walk).
/// Returns the head and how many fields were written; more fields than
/// `fields` holds is [`ErrorKind::TooManyHeaders`].
///
/// ```
/// use sipline::{parse_head_into, HeaderField, ParserConfig};
///
/// let buf = b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP a\r\nl: 0\r\n\r\n";
/// let mut fields = [HeaderField::EMPTY; 16];
/// let (head, n) = parse_head_into(buf, &ParserConfig::strict(), &mut fields)?.value().unwrap();
/// assert_eq!(n, 2);
/// assert_eq!(fields[0].value, b"SIP/2.0/UDP a");
/// assert!(fields[1].is("Content-Length"));
/// assert_eq!(head.content_length(), Some(0));
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn parse_head_into<'b>(
    buf: &'b [u8],
    config: &ParserConfig,
    fields: &mut [HeaderField<'b>],
) -> Result<Parsed<(Head<'b>, usize)>, Error> {
    struct Fill<'b, 'f> {
        buf: &'b [u8],
        out: &'f mut [HeaderField<'b>],
        n: usize,
    }
    impl FieldSink for Fill<'_, '_> {
        const WANTS: bool = true;
        #[inline(always)]
        fn field(
            &mut self,
            _: &[u8],
            name: (usize, usize),
            value: (usize, usize),
        ) -> Result<(), Error> {
            let Some(slot) = self.out.get_mut(self.n) else {
                return Err(Error::at(ErrorKind::TooManyHeaders, name.0));
            };
            *slot = HeaderField {
                name: slice(self.buf, name),
                value: slice(self.buf, value),
            };
            self.n += 1;
            Ok(())
        }
        fn reset(&mut self) {
            self.n = 0;
        }
    }
    let mut fill = Fill {
        buf,
        out: fields,
        n: 0,
    };
    let mut scan = HeadScan::without_index();
    Ok(match scan.advance_with(config, buf, &mut fill)? {
        Some(info) => Parsed::Complete {
            value: (info.head(buf), fill.n),
            consumed: info.head_len,
        },
        None => Parsed::Incomplete { needed: None },
    })
}
