//! The whole-head fast path: a head whose every byte is already in the
//! buffer, read in one pass with no resumable state.
//!
//! The resumable scan ([`HeadScan`](super::scan::HeadScan)) keeps where it
//! stopped in memory so that one scan can serve a stream fed in pieces:
//! the open field, the line being scanned, the control bytes seen. When the
//! head is whole, none of that is needed. This pass keeps its state in
//! locals and reads the heads clients send (CRLF line ends, no control
//! byte, no limit reached, a valid Content-Length; folded lines too). On
//! anything else, or when the head is not whole, it answers `None` having
//! changed nothing, and the resumable scan reads the head from its first
//! byte: so errors, their offsets and every odd case stay that scan's, and
//! this pass only has to give the same [`HeadInfo`] where it answers.
//! The fuzz target `whole_head` checks that on any input, whole and split.

use crate::config::ParserConfig;
use crate::error::Error;
use crate::header::field::{content_length, is_content_length};
use crate::start::start_line::start_line;
use crate::text::chars::is_token;
use crate::text::simd::find_line_stop;

use super::index::HeaderIndex;
use super::span::StartMeta;
use super::view::HeadInfo;

/// Receives each header field as a head scan finishes it: the spans of its
/// name and of its value (white space around it removed).
pub(crate) trait FieldSink {
    /// `false` for the sink that ignores fields, so that no work is done for it.
    const WANTS: bool;
    fn field(
        &mut self,
        msg: &[u8],
        name: (usize, usize),
        value: (usize, usize),
    ) -> Result<(), Error>;
    /// Forget every field given so far: the whole-head pass gave up, and the
    /// resumable scan gives them again from the first.
    fn reset(&mut self);
}

impl FieldSink for () {
    const WANTS: bool = false;
    #[inline(always)]
    fn field(&mut self, _: &[u8], _: (usize, usize), _: (usize, usize)) -> Result<(), Error> {
        Ok(())
    }
    fn reset(&mut self) {}
}

/// Reads the head at the start of `msg` when it is whole and plain (see the
/// module's text); `None` otherwise, with `sink` told to forget what it was
/// given. `index` says whether to note the proxy fields.
#[inline]
pub(crate) fn scan<S: FieldSink>(
    cfg: &ParserConfig,
    msg: &[u8],
    index: bool,
    sink: &mut S,
) -> Option<HeadInfo> {
    let info = lines(cfg, msg, index, sink);
    if info.is_none() && S::WANTS {
        sink.reset();
    }
    info
}

/// The end of the line that starts at `from`: the offset of its CR, when
/// the line holds no other CR, no LF and no control byte, and its CR is
/// followed by LF.
#[inline(always)]
fn crlf_line(msg: &[u8], from: usize) -> Option<usize> {
    let at = from + find_line_stop(msg.get(from..)?)?;
    match (msg.get(at), msg.get(at + 1)) {
        (Some(b'\r'), Some(b'\n')) => Some(at),
        _ => None,
    }
}

#[inline(always)]
fn lines<S: FieldSink>(
    cfg: &ParserConfig,
    msg: &[u8],
    index: bool,
    sink: &mut S,
) -> Option<HeadInfo> {
    // The start line, by the same parser as the resumable scan.
    let at = crlf_line(msg, 0)?;
    let line = msg.get(..at + 2)?;
    let (left, sl) = start_line(cfg, line).ok()?;
    if !left.is_empty() {
        return None;
    }
    let start = StartMeta::of(msg, &sl);
    let start_len = line.len();

    let mut idx = HeaderIndex {
        built: index,
        ..HeaderIndex::default()
    };
    let mut headers = 0usize;
    let mut length: Option<u64> = None;
    let mut pos = start_len;
    loop {
        let at = crlf_line(msg, pos)?;
        let next = at + 2;
        // The resumable scan refuses a line whose LF is past the limit.
        if next > cfg.max_head_len {
            return None;
        }
        if at == pos {
            return Some(HeadInfo {
                start,
                fields: (start_len, pos),
                head_len: next,
                header_count: headers,
                content_length: length,
                loose_addresses: cfg.allow_loose_addresses,
                index: idx,
            });
        }
        // A field line: token, optional white space, colon. (A line that
        // starts with white space here would fold into the start line:
        // the resumable scan refuses it.)
        let line = msg.get(pos..at)?;
        let name_len = line.iter().position(|&b| !is_token(b))?;
        if name_len == 0 {
            return None;
        }
        let mut v = name_len;
        while let Some(b' ' | b'\t') = line.get(v) {
            v += 1;
        }
        if line.get(v) != Some(&b':') {
            return None;
        }
        // The lines that fold into this field (RFC 3261 §7.3.1): `end` is
        // where the field's last line ends, `last` that line's CR.
        let (mut last, mut end) = (at, next);
        while let Some(b' ' | b'\t') = msg.get(end) {
            last = crlf_line(msg, end)?;
            end = last + 2;
            if end > cfg.max_head_len {
                return None;
            }
        }
        if headers >= cfg.max_headers {
            return None;
        }
        headers += 1;
        let name = (pos, pos + name_len);
        if index {
            idx.note(msg, name, end);
        }
        let value_at = pos + v + 1;
        if S::WANTS {
            // Trimmed as the resumable scan trims: white space and the line
            // ends of folding; an empty value sits after the field.
            let mut a = value_at;
            while a < last && matches!(msg.get(a), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                a += 1;
            }
            let value = if a >= last {
                (end, end)
            } else {
                let mut b = last;
                while b > a && matches!(msg.get(b - 1), Some(b' ' | b'\t' | b'\r' | b'\n')) {
                    b -= 1;
                }
                (a, b)
            };
            sink.field(msg, name, value).ok()?;
        }
        // Only `l` and `Content-Length` have these lengths.
        if (name_len == 1 || name_len == 14) && is_content_length(line.get(..name_len)?) {
            let n = content_length(msg.get(value_at..end)?, cfg.max_body_len).ok()?;
            match length {
                Some(m) if m != n => return None,
                _ => length = Some(n),
            }
        }
        pos = end;
    }
}

/// Checks the whole-head pass against the resumable scan on `msg`, as it
/// would be met: whole (when `split` is 0 or past the end), or given
/// `msg[..split]` first and then all of it. Where the pass answers, it must
/// give the head (every part of it, the index included) and the fields the
/// resumable scan gives; and the entry points, which try the pass first,
/// must answer what the resumable scan answers, errors and their offsets
/// included. Whether the pass answered on all of `msg`, or the first
/// difference found. For the fuzz target `whole_head` and the tests.
#[cfg(any(test, feature = "fuzzing"))]
pub fn differential(msg: &[u8], cfg: &ParserConfig, split: usize) -> Result<bool, &'static str> {
    use super::scan::HeadScan;

    /// The fields given, as spans (the first 64), and how many.
    struct Spans {
        fields: [((usize, usize), (usize, usize)); 64],
        n: usize,
    }
    impl FieldSink for Spans {
        const WANTS: bool = true;
        fn field(
            &mut self,
            _: &[u8],
            name: (usize, usize),
            value: (usize, usize),
        ) -> Result<(), Error> {
            if let Some(slot) = self.fields.get_mut(self.n) {
                *slot = (name, value);
            }
            self.n += 1;
            Ok(())
        }
        fn reset(&mut self) {
            self.n = 0;
        }
    }
    let spans = || Spans {
        fields: [((0, 0), (0, 0)); 64],
        n: 0,
    };

    if split > 0 && split < msg.len() {
        return in_two(msg, cfg, split);
    }
    // The resumable scan alone, with an index and with a sink.
    let resumable = HeadScan::new().advance_resumable(cfg, msg, &mut ());
    let mut spans_r = spans();
    let resumable_fields = HeadScan::without_index().advance_resumable(cfg, msg, &mut spans_r);

    // The pass alone.
    let fast = scan(cfg, msg, true, &mut ());
    let mut spans_f = spans();
    let fast_fields = scan(cfg, msg, false, &mut spans_f);
    if fast.is_some() != fast_fields.is_some() {
        return Err("the pass answers with a sink and not without, or the reverse");
    }
    if fast_fields.is_none() && spans_f.n != 0 {
        return Err("the pass gave up without resetting its sink");
    }
    if let Some(info) = fast {
        if resumable != Ok(Some(info)) {
            return Err("the pass and the resumable scan read different heads");
        }
    }
    if let Some(info) = fast_fields {
        if resumable_fields != Ok(Some(info)) {
            return Err("the pass and the resumable scan read different heads (no index)");
        }
        if spans_f.n != spans_r.n || spans_f.fields != spans_r.fields {
            return Err("the pass and the resumable scan give different fields");
        }
    }
    // The entry points, which try the pass first.
    if HeadScan::new().advance(cfg, msg) != resumable {
        return Err("advance differs from the resumable scan");
    }
    #[cfg(feature = "std")]
    if HeadScan::new().advance_stream(cfg, msg) != resumable {
        return Err("advance_stream differs from the resumable scan");
    }
    Ok(fast.is_some())
}

/// [`differential`] in two pieces: the first call may take the pass, the
/// second resumes; the resumable scan alone must end the same way.
#[cfg(any(test, feature = "fuzzing"))]
fn in_two(msg: &[u8], cfg: &ParserConfig, split: usize) -> Result<bool, &'static str> {
    use super::scan::HeadScan;

    let first = msg.get(..split).unwrap_or_default();
    let two = |stream: bool| {
        let mut s = HeadScan::new();
        let call = |s: &mut HeadScan, m: &[u8]| {
            #[cfg(feature = "std")]
            if stream {
                return s.advance_stream(cfg, m);
            }
            let _ = stream;
            s.advance(cfg, m)
        };
        match call(&mut s, first) {
            Ok(None) => call(&mut s, msg),
            other => other,
        }
    };
    let mut s = HeadScan::new();
    let reference = match s.advance_resumable(cfg, first, &mut ()) {
        Ok(None) => s.advance_resumable(cfg, msg, &mut ()),
        other => other,
    };
    if two(false) != reference || two(true) != reference {
        return Err("in two pieces, the entry points and the resumable scan differ");
    }
    Ok(false)
}
