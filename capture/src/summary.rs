//! [`Summary`]: what the messages of a run add up to (messages and bytes,
//! requests by method, responses by code with their reason phrases, the
//! first malformed messages, what was skipped and what was not read), as
//! a [`Sink`]; bounded whatever the input.

use std::collections::BTreeMap;

use sipline::{Error, Message, StartLine};

use crate::sink::{FlowId, Location, Sink, Skip};

/// The bounds of a [`Summary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SummaryLimits {
    /// Malformed messages kept with their location and error.
    pub examples: usize,
    /// Distinct reason phrases kept per status code (more are counted in
    /// the code's count only).
    pub reasons: usize,
    /// Distinct request methods counted by name (more are counted in
    /// [`Summary::other_methods`]).
    pub methods: usize,
}

impl Default for SummaryLimits {
    /// 10 examples, 8 reason phrases per code, 1 024 methods.
    fn default() -> Self {
        SummaryLimits {
            examples: 10,
            reasons: 8,
            methods: 1024,
        }
    }
}

/// The responses of one status code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CodeCount {
    /// How many.
    pub count: u64,
    /// Their reason phrases (as text, U+FFFD for what is not UTF-8), each
    /// with its count; at most [`SummaryLimits::reasons`].
    pub reasons: BTreeMap<String, u64>,
}

/// A [`Location`] that owns its input's name: one kept past the call that
/// reported it.
#[derive(Clone, Debug, PartialEq)]
pub struct LocationBuf {
    /// The input's name.
    pub file: String,
    /// The capture's frame number.
    pub frame: Option<u64>,
    /// The byte offset.
    pub offset: u64,
    /// The transport and addresses.
    pub flow: Option<FlowId>,
    /// The capture time.
    pub time: Option<f64>,
}

impl LocationBuf {
    /// The location, borrowed.
    pub fn as_location(&self) -> Location<'_> {
        Location {
            file: &self.file,
            frame: self.frame,
            offset: self.offset,
            flow: self.flow,
            time: self.time,
        }
    }
}

impl From<&Location<'_>> for LocationBuf {
    fn from(at: &Location<'_>) -> Self {
        LocationBuf {
            file: at.file.to_string(),
            frame: at.frame,
            offset: at.offset,
            flow: at.flow,
            time: at.time,
        }
    }
}

/// A malformed message: where, and what was wrong.
#[derive(Clone, Debug, PartialEq)]
pub struct Malformed {
    /// Where (the offset at the error's byte).
    pub at: LocationBuf,
    /// What was wrong.
    pub error: Error,
}

/// What the messages of a run add up to. Feed it as a [`Sink`] (or
/// forward a sink's calls to it).
///
/// ```
/// use sipline_capture::{read, ReadOptions, Summary};
///
/// let stream: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\nSIP/2.0 200 OK\r\nl: 0\r\n\r\nSIP/2.0 2000 OK\r\n\r\n";
/// let mut summary = Summary::default();
/// read("dump.txt", stream, &ReadOptions::default(), &mut summary).unwrap();
/// assert_eq!(summary.messages, 2);
/// assert_eq!(summary.requests["OPTIONS"], 1);
/// assert_eq!(summary.responses[&200].count, 1);
/// assert_eq!(summary.malformed, 1);
/// assert_eq!(summary.examples[0].at.as_location().to_string(), "dump.txt byte 68");
/// ```
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// SIP messages read.
    pub messages: u64,
    /// Their bytes, as on the wire.
    pub sip_bytes: u64,
    /// Bytes of input read.
    pub bytes_read: u64,
    /// Responses by status code.
    pub responses: BTreeMap<u16, CodeCount>,
    /// Requests by method (case-sensitive, as sent).
    pub requests: BTreeMap<String, u64>,
    /// Requests of methods past [`SummaryLimits::methods`].
    pub other_methods: u64,
    /// Malformed messages.
    pub malformed: u64,
    /// The first malformed messages, at most [`SummaryLimits::examples`].
    pub examples: Vec<Malformed>,
    /// What was counted and skipped, by kind.
    pub skipped: BTreeMap<Skip, u64>,
    /// Bytes not read as SIP, by what they were.
    pub skipped_bytes: BTreeMap<Skip, u64>,
    /// The earliest and the latest capture time seen.
    pub first: Option<f64>,
    /// See [`first`](Self::first).
    pub last: Option<f64>,
    /// The bounds.
    pub limits: SummaryLimits,
}

impl Summary {
    /// An empty summary with these bounds.
    pub fn new(limits: SummaryLimits) -> Summary {
        Summary {
            limits,
            ..Summary::default()
        }
    }

    /// The responses, all codes together.
    pub fn responses_total(&self) -> u64 {
        self.responses.values().map(|c| c.count).sum()
    }

    /// The requests, all methods together.
    pub fn requests_total(&self) -> u64 {
        self.requests.values().sum::<u64>() + self.other_methods
    }
}

impl Sink for Summary {
    fn message(&mut self, _: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        self.messages += 1;
        self.sip_bytes += wire_len as u64;
        match msg.head.start_line {
            StartLine::Status(s) => {
                let e = self.responses.entry(s.code.as_u16()).or_default();
                e.count += 1;
                let reason = s.reason.to_string_lossy();
                if let Some(n) = e.reasons.get_mut(reason.as_ref()) {
                    *n += 1;
                } else if e.reasons.len() < self.limits.reasons {
                    e.reasons.insert(reason.into_owned(), 1);
                }
            }
            StartLine::Request(r) => {
                if let Some(n) = self.requests.get_mut(r.method.as_str()) {
                    *n += 1;
                } else if self.requests.len() < self.limits.methods {
                    self.requests.insert(r.method.as_str().to_string(), 1);
                } else {
                    self.other_methods += 1;
                }
            }
        }
    }

    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.malformed += 1;
        if self.examples.len() < self.limits.examples {
            self.examples.push(Malformed {
                at: at.into(),
                error: *err,
            });
        }
    }

    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.skipped_many(at, what, 1);
    }

    fn skipped_many(&mut self, _: &Location<'_>, what: Skip, n: u64) {
        *self.skipped.entry(what).or_default() += n;
    }

    fn skipped_bytes(&mut self, _: &Location<'_>, what: Skip, n: u64) {
        *self.skipped_bytes.entry(what).or_default() += n;
    }

    fn time(&mut self, ts: f64) {
        self.first = Some(self.first.map_or(ts, |f| f.min(ts)));
        self.last = Some(self.last.map_or(ts, |l| l.max(ts)));
    }

    fn bytes_read(&mut self, n: u64) {
        self.bytes_read += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_whatever_the_input() {
        let mut s = Summary::new(SummaryLimits {
            examples: 2,
            reasons: 1,
            methods: 2,
        });
        let at = Location {
            file: "f",
            frame: Some(3),
            offset: 9,
            flow: None,
            time: Some(2.0),
        };
        for text in [
            &b"SIP/2.0 486 Busy Here\r\nl: 0\r\n\r\n"[..],
            b"SIP/2.0 486 Occupied\r\nl: 0\r\n\r\n",
            b"A sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
            b"B sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
            b"C sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
            b"A sip:a@b SIP/2.0\r\nl: 0\r\n\r\n",
        ] {
            let Ok(sipline::Datagram::Message(m)) =
                sipline::parse_datagram(text, &Default::default())
            else {
                panic!()
            };
            s.message(&at, &m, text.len());
        }
        let err = sipline::parse_head(b"SIP/2.0 2000 OK\r\n\r\n", &Default::default()).unwrap_err();
        for _ in 0..3 {
            s.malformed(&at, &err);
        }
        s.skipped_many(&at, Skip::KeepAlive, 4);
        s.skipped_bytes(&at, Skip::TcpGap, 100);
        s.time(5.0);
        s.time(1.0);
        s.bytes_read(10);
        assert_eq!(s.messages, 6);
        assert_eq!(s.responses[&486].count, 2);
        assert_eq!(s.responses[&486].reasons.len(), 1);
        assert_eq!((s.requests.len(), s.other_methods), (2, 1));
        assert_eq!(
            (s.requests["A"], s.requests_total(), s.responses_total()),
            (2, 4, 2)
        );
        assert_eq!((s.malformed, s.examples.len()), (3, 2));
        assert_eq!(s.examples[0].at.as_location(), at);
        assert_eq!(
            (s.skipped[&Skip::KeepAlive], s.skipped_bytes[&Skip::TcpGap]),
            (4, 100)
        );
        assert_eq!((s.first, s.last, s.bytes_read), (Some(1.0), Some(5.0), 10));
    }
}
