//! The batches: what the reading thread found, in order, owned and `Send`
//! ([`Event`]s, datagram payloads, messages), and how a batch is replayed
//! into a [`Sink`] or its datagrams parsed.

use std::sync::Arc;

use sipline::{Error, Heads, Message, OwnedMessage, ParserConfig};

use crate::sink::{FlowId, Location, Sink, Skip};
use crate::source::input::deliver_datagram;

/// Events per batch.
pub const BATCH_EVENTS: usize = 2048;
/// Payload bytes per batch (a batch closes once past it).
pub const BATCH_BYTES: usize = 1 << 20;

/// A [`Location`] that owns what it holds: the file is an index into the
/// batch's [`names`](Batch::names).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OwnedLocation {
    /// Index of the input's name in [`Batch::names`].
    pub file: u32,
    /// As [`Location::frame`].
    pub frame: Option<u64>,
    /// As [`Location::offset`].
    pub offset: u64,
    /// As [`Location::flow`].
    pub flow: Option<FlowId>,
    /// As [`Location::time`].
    pub time: Option<f64>,
}

impl OwnedLocation {
    /// `at`, with its file as the index `file`.
    pub fn new(file: u32, at: &Location<'_>) -> OwnedLocation {
        OwnedLocation {
            file,
            frame: at.frame,
            offset: at.offset,
            flow: at.flow,
            time: at.time,
        }
    }

    /// The [`Location`] again, its file named from `names`.
    pub fn location<'a>(&self, names: &'a [String]) -> Location<'a> {
        Location {
            file: names.get(self.file as usize).map_or("-", String::as_str),
            frame: self.frame,
            offset: self.offset,
            flow: self.flow,
            time: self.time,
        }
    }
}

/// What the reading thread found, in order. Offsets (`start`, `end`)
/// index the batch's [`payloads`](Batch::payloads), `head` its
/// [`heads`](Batch::heads).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event {
    /// A datagram not parsed yet: `payloads[start..end]`. A [`Stage`](super::Stage) sees
    /// them; after the `()` stage ([`Batch::parse_datagrams`]) a
    /// [`Consumer`](super::Consumer) sees their messages instead.
    Datagram {
        /// Where it was found.
        at: OwnedLocation,
        /// Its first byte in the payloads.
        start: usize,
        /// One past its last byte.
        end: usize,
        /// Whether SIP was recognised by its first line (no port named).
        sniff: bool,
    },
    /// A datagram that is not SIP ([`Sink::media`]): `payloads[start..end]`.
    Media {
        /// Where it was found.
        at: OwnedLocation,
        /// Its first byte in the payloads.
        start: usize,
        /// One past its last byte.
        end: usize,
    },
    /// A message: `heads[head]`, its head and, when [`Options::bodies`](super::Options::bodies)
    /// keeps bodies, its body ([`Batch::message`]; [`Batch::owned_message`]
    /// to keep it past the batch).
    Message {
        /// Where it was found.
        at: OwnedLocation,
        /// Its place in the batch's [`heads`](Batch::heads).
        head: usize,
        /// Its length on the wire.
        wire_len: usize,
    },
    /// A malformed message.
    Malformed {
        /// Where, `offset` at the error's byte.
        at: OwnedLocation,
        /// What was wrong.
        err: Error,
        /// What was read of it ([`Sink::malformed_bytes`]), at most the
        /// head limit: `payloads[start..end]`.
        start: usize,
        /// One past its last byte.
        end: usize,
    },
    /// Something counted and skipped.
    Skipped {
        /// Where.
        at: OwnedLocation,
        /// What.
        what: Skip,
    },
    /// Bytes skipped.
    SkippedBytes {
        /// Where they started.
        at: OwnedLocation,
        /// What they were.
        what: Skip,
        /// How many.
        n: u64,
    },
    /// A packet's capture time ([`Sink::time`]).
    Time(f64),
    /// Bytes of input read ([`Sink::bytes_read`]).
    BytesRead(u64),
    /// Messages and datagrams dropped because the consumers fell behind
    /// ([`Behind::Drop`](super::Behind::Drop)), the first of them at `at`.
    Dropped {
        /// Where the first dropped one was found.
        at: OwnedLocation,
        /// How many.
        n: u64,
    },
}

/// A batch of what the reading thread found: its events in order, the
/// payloads and bodies they point into, and the heads of their messages.
/// Owned and `Send`: it crosses threads whole.
#[derive(Debug, Default)]
pub struct Batch {
    /// Its number: batches are handed to the [`Consumer`](super::Consumer) in this order.
    pub seq: u64,
    /// How its datagrams are parsed ([`Options::config`](super::Options::config)).
    pub config: ParserConfig,
    /// The input names its locations index.
    pub names: Arc<Vec<String>>,
    /// Datagram payloads, one after the other.
    pub payloads: Vec<u8>,
    /// Its messages: heads, and bodies when [`bodies`](Self::bodies).
    /// Shared ([`Heads::share`]) by the time the [`Consumer`](super::Consumer) sees the
    /// batch, so that [`owned_message`](Self::owned_message) copies nothing.
    pub heads: Heads,
    /// Whether messages keep their bodies ([`Options::bodies`](super::Options::bodies)).
    pub bodies: bool,
    /// Whether messages that carry SDP keep their bodies
    /// ([`Options::sdp_bodies`](super::Options::sdp_bodies)).
    pub sdp_bodies: bool,
    /// What was found, in order.
    pub events: Vec<Event>,
}

impl Batch {
    /// The message of an [`Event::Message`]'s `head`, borrowed from the
    /// batch (its body empty unless [`bodies`](Self::bodies)).
    pub fn message(&self, head: usize) -> Option<Message<'_>> {
        self.heads.message(head)
    }

    /// The message of an [`Event::Message`]'s `head`, owned: it may outlive
    /// the batch and cross threads. Without a copy once the batch reached
    /// the [`Consumer`](super::Consumer) (its heads are shared then); the batch's memory is
    /// reused only once no such message holds it.
    pub fn owned_message(&self, head: usize) -> Option<OwnedMessage> {
        self.heads.owned(head)
    }

    /// Hands every event to `sink`, as the reader would have handed it
    /// (each datagram not parsed yet is parsed now, with
    /// [`config`](Self::config), and its message handed on without being
    /// kept).
    pub fn replay(&self, sink: &mut dyn Sink) {
        let names = self.names.as_slice();
        for event in &self.events {
            match *event {
                Event::Datagram {
                    at,
                    start,
                    end,
                    sniff,
                } => {
                    if let Some(payload) = self.payloads.get(start..end) {
                        let mut here = at.location(names);
                        deliver_datagram(&mut here, payload, sniff, &self.config, sink);
                    }
                }
                Event::Message { at, head, wire_len } => {
                    if let Some(msg) = self.message(head) {
                        sink.message(&at.location(names), &msg, wire_len);
                    }
                }
                Event::Malformed {
                    at,
                    err,
                    start,
                    end,
                } => {
                    let bytes = self.payloads.get(start..end).unwrap_or_default();
                    sink.malformed_bytes(&at.location(names), &err, bytes);
                }
                Event::Skipped { at, what } => sink.skipped(&at.location(names), what),
                Event::Media { at, start, end } => {
                    if let Some(payload) = self.payloads.get(start..end) {
                        sink.media(&at.location(names), payload);
                    }
                }
                Event::SkippedBytes { at, what, n } => {
                    sink.skipped_bytes(&at.location(names), what, n);
                }
                Event::Time(ts) => sink.time(ts),
                Event::BytesRead(n) => sink.bytes_read(n),
                Event::Dropped { at, n } => {
                    sink.skipped_many(&at.location(names), Skip::DroppedBehind, n);
                }
            }
        }
    }

    pub(super) fn is_full(&self) -> bool {
        self.events.len() >= BATCH_EVENTS || self.payloads.len() >= BATCH_BYTES
    }

    pub(super) fn clear(&mut self) {
        self.payloads.clear();
        self.heads.clear();
        self.events.clear();
    }

    /// Keeps a copy of `bytes`; where it is in `payloads`.
    pub(super) fn keep(&mut self, bytes: &[u8]) -> (usize, usize) {
        let start = self.payloads.len();
        self.payloads.extend_from_slice(bytes);
        (start, self.payloads.len())
    }

    /// Every datagram parsed, with [`config`](Self::config), and turned
    /// into what the reader would have reported for it (its message's head
    /// kept in [`heads`](Self::heads)): the work of the `()` [`Stage`](super::Stage), so
    /// that a consumer replaying the batch parses nothing.
    pub fn parse_datagrams(&mut self) {
        let Batch {
            config,
            names,
            payloads,
            heads,
            events,
            bodies,
            sdp_bodies,
            ..
        } = self;
        let mut out = Vec::with_capacity(events.len());
        for event in events.drain(..) {
            let Event::Datagram {
                at,
                start,
                end,
                sniff,
            } = event
            else {
                out.push(event);
                continue;
            };
            let Some(payload) = payloads.get(start..end) else {
                continue;
            };
            let mut here = at.location(names);
            let mut record = Record {
                file: at.file,
                bodies: *bodies,
                sdp_bodies: *sdp_bodies,
                heads,
                out: &mut out,
                payload: (start, end),
            };
            deliver_datagram(&mut here, payload, sniff, config, &mut record);
        }
        *events = out;
    }
}

/// What [`deliver_datagram`] reports for a datagram at `start` in the
/// payloads, recorded as events.
struct Record<'b> {
    file: u32,
    bodies: bool,
    sdp_bodies: bool,
    heads: &'b mut Heads,
    out: &'b mut Vec<Event>,
    /// The datagram's place in the payloads: a malformed one's bytes.
    payload: (usize, usize),
}

impl Sink for Record<'_> {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize) {
        if keep_body(self.bodies, self.sdp_bodies, msg) {
            self.heads.push_message(msg);
        } else {
            self.heads.push(&msg.head);
        }
        self.out.push(Event::Message {
            at: OwnedLocation::new(self.file, at),
            head: self.heads.len() - 1,
            wire_len,
        });
    }
    fn malformed(&mut self, at: &Location<'_>, err: &Error) {
        self.out.push(Event::Malformed {
            at: OwnedLocation::new(self.file, at),
            err: *err,
            start: self.payload.0,
            end: self.payload.1,
        });
    }
    fn skipped(&mut self, at: &Location<'_>, what: Skip) {
        self.out.push(Event::Skipped {
            at: OwnedLocation::new(self.file, at),
            what,
        });
    }
    fn media(&mut self, at: &Location<'_>, _payload: &[u8]) {
        self.out.push(Event::Media {
            at: OwnedLocation::new(self.file, at),
            start: self.payload.0,
            end: self.payload.1,
        });
    }
}

/// Whether a message keeps its body in a batch: all do with `bodies`,
/// those that carry SDP with `sdp_bodies`.
pub(crate) fn keep_body(bodies: bool, sdp_bodies: bool, msg: &Message<'_>) -> bool {
    bodies || (sdp_bodies && sipline::sdp::is_sdp(&msg.head, msg.body))
}
