//! SDP lines (RFC 8866 §5): `<type>=<value>`, one per line, ended by CRLF
//! (a bare LF with `allow_lf_line_ends`). The splitting here runs on a body
//! that [`parse_sdp`](super::parse_sdp) has checked, so it cannot fail.

use memchr::memchr;

/// One line of a session description.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// The type letter (`b'v'`, `b'm'`, `b'a'`, …).
    pub kind: u8,
    /// The value after `=`, line end excluded.
    pub value: &'a [u8],
    /// The offset of the type letter in the body.
    pub at: usize,
    /// The offset just past the line end (the next line's start).
    pub end: usize,
}

/// The lines of `text[from..to]`, blank lines skipped (lenient mode keeps
/// them; strict mode refused them at parse time).
#[derive(Clone, Debug)]
pub struct Lines<'a> {
    text: &'a [u8],
    pos: usize,
    to: usize,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a [u8], from: usize, to: usize) -> Lines<'a> {
        Lines {
            text,
            pos: from,
            to: to.min(text.len()),
        }
    }
}

/// The line starting at `at`: its content (line end excluded) and where the
/// next one starts.
pub(crate) fn line_at(text: &[u8], at: usize, to: usize) -> Option<(&[u8], usize)> {
    let rest = text.get(at..to)?;
    if rest.is_empty() {
        return None;
    }
    let (content, next) = match memchr(b'\n', rest) {
        Some(lf) => (rest.get(..lf)?, at + lf + 1),
        None => (rest, to),
    };
    let content = content.strip_suffix(b"\r").unwrap_or(content);
    Some((content, next))
}

impl<'a> Iterator for Lines<'a> {
    type Item = Line<'a>;

    fn next(&mut self) -> Option<Line<'a>> {
        loop {
            let at = self.pos;
            let (content, next) = line_at(self.text, at, self.to)?;
            self.pos = next;
            if let [kind, b'=', value @ ..] = content {
                return Some(Line {
                    kind: *kind,
                    value,
                    at,
                    end: next,
                });
            }
        }
    }
}
