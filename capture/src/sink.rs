//! What a reader hands out, and where: [`Sink`], [`Location`], [`FlowId`],
//! [`Skip`], and [`InputError`] for problems with an input itself.

use std::fmt;

pub use sipline::flow::{FlowId, Transport};
use sipline::{Error, Message};

/// Where something was found. Cheap to make for every packet: the text is
/// only formatted when it is shown.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Location<'a> {
    /// The input's name (a path, or `-` for standard input). Never empty.
    pub file: &'a str,
    /// The capture's frame number (1-based), for captures.
    pub frame: Option<u64>,
    /// Byte offset: in a raw stream, from its first byte; in a TCP flow,
    /// from the first byte of that direction seen; in a datagram, within its
    /// payload.
    pub offset: u64,
    /// The transport and addresses, for captures.
    pub flow: Option<FlowId>,
    /// The capture timestamp of the frame (seconds since the epoch, UTC),
    /// for captures.
    pub time: Option<f64>,
}

impl fmt::Display for Location<'_> {
    /// `file frame N (tcp a -> b) byte M`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.file)?;
        if let Some(n) = self.frame {
            write!(f, " frame {n}")?;
        }
        if let Some(flow) = &self.flow {
            write!(f, " ({flow})")?;
        }
        write!(f, " byte {}", self.offset)
    }
}

/// Things that are counted but are not SIP messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Skip {
    /// A keep-alive (CRLFs) on a stream or in a datagram.
    KeepAlive,
    /// An IP fragment that could not be reassembled into its datagram (it
    /// overlapped another, the datagram was too large, or stayed incomplete
    /// past the timeout, the memory budget or the end of the input).
    IpFragment,
    /// A TCP segment already seen (retransmission), dropped.
    TcpRetransmission,
    /// A hole in a TCP stream: the rest of that flow up to the next start
    /// line is skipped, never guessed.
    TcpGap,
    /// A TCP flow evicted because too many were open.
    FlowEvicted,
    /// A TCP flow or a raw stream that ended (or the capture ended) inside a message.
    IncompleteAtEnd,
    /// A frame whose link layer is not one sipline reads.
    UnknownLinkType,
    /// A frame too short or malformed below the transport layer.
    BadFrame,
    /// Bytes of a TCP flow passed over while searching for where a SIP
    /// message starts (a capture that began mid-connection, after a gap or
    /// a malformed message). Counted in bytes.
    TcpBytesSkipped,
    /// Junk between messages on a stream (SP, HTAB, NUL, bare CR: lenient
    /// only). Counted in bytes.
    JunkBetweenMessages,
    /// A TCP direction that starts with a TLS record: not decrypted. Counted
    /// once per direction, and in bytes.
    TlsFlow,
    /// An SCTP DATA chunk that holds part of a user message (not reassembled).
    SctpFragment,
    /// A message (or datagram) a live run dropped because its consumers fell
    /// behind and the source must not wait
    /// ([`parallel::Behind::Drop`](crate::parallel::Behind::Drop)). Never
    /// for files, which wait instead.
    DroppedBehind,
    /// A capture that ends in the middle of a packet: its writer was killed
    /// (or is still writing). The packets before it are read; that one is
    /// not.
    PacketCutShort,
    /// A datagram to the HEP collector that is not HEP, or whose HEP is
    /// malformed (counted where it came from; the collector goes on).
    HepMalformed,
    /// A HEP datagram refused: its sender is not on the allow-list, or its
    /// capture password is not the one asked for.
    HepRefused,
    /// Packets an interface's kernel socket dropped because its buffer was
    /// full (the socket's own statistics): sipline fell behind the traffic.
    KernelDropped,
    /// The interface went down (or away) while captured: what crossed it
    /// meanwhile, if anything, was not seen. Counted once per time down.
    InterfaceDown,
    /// A capture followed (`--follow FILE`) became shorter than what was
    /// read of it (truncated in place: `logrotate copytruncate`, a writer
    /// restarted): what it held between the last read and the cut may be
    /// lost. It is read again from its start.
    CaptureTruncated,
    /// A capture followed was replaced under its name (rotated away, a new
    /// file created): the old one was read to its end, the new one is read
    /// from its start. Nothing is lost.
    CaptureReplaced,
}

impl Skip {
    /// Every kind, in order.
    pub const ALL: [Skip; 20] = [
        Skip::KeepAlive,
        Skip::IpFragment,
        Skip::TcpRetransmission,
        Skip::TcpGap,
        Skip::FlowEvicted,
        Skip::IncompleteAtEnd,
        Skip::UnknownLinkType,
        Skip::BadFrame,
        Skip::TcpBytesSkipped,
        Skip::JunkBetweenMessages,
        Skip::TlsFlow,
        Skip::SctpFragment,
        Skip::DroppedBehind,
        Skip::PacketCutShort,
        Skip::HepMalformed,
        Skip::HepRefused,
        Skip::KernelDropped,
        Skip::InterfaceDown,
        Skip::CaptureTruncated,
        Skip::CaptureReplaced,
    ];

    /// A short stable name (the CLI's JSON keys).
    pub const fn name(self) -> &'static str {
        match self {
            Skip::KeepAlive => "keep-alives",
            Skip::IpFragment => "ip-fragments-skipped",
            Skip::TcpRetransmission => "tcp-retransmissions-dropped",
            Skip::TcpGap => "tcp-gaps",
            Skip::FlowEvicted => "tcp-flows-evicted",
            Skip::IncompleteAtEnd => "incomplete-at-end",
            Skip::UnknownLinkType => "unknown-link-type-frames",
            Skip::BadFrame => "undecodable-frames",
            Skip::TcpBytesSkipped => "tcp-bytes-skipped",
            Skip::JunkBetweenMessages => "junk-bytes-between-messages",
            Skip::TlsFlow => "tls-flows-not-decrypted",
            Skip::SctpFragment => "sctp-fragmented-chunks",
            Skip::DroppedBehind => "messages-dropped-consumers-behind",
            Skip::PacketCutShort => "packets-cut-short",
            Skip::HepMalformed => "hep-malformed",
            Skip::HepRefused => "hep-refused",
            Skip::KernelDropped => "packets-dropped-by-kernel",
            Skip::InterfaceDown => "interface-down",
            Skip::CaptureTruncated => "captures-truncated",
            Skip::CaptureReplaced => "captures-replaced",
        }
    }

    /// `true` for what means SIP in the input may not have been read: IP
    /// fragments, TCP gaps and the bytes they and searches passed over,
    /// evicted flows, messages cut at the end, frames sipline could not
    /// decode. Keep-alives, retransmissions and junk between messages are
    /// not SIP and lose nothing.
    pub const fn is_loss(self) -> bool {
        !matches!(
            self,
            Skip::KeepAlive
                | Skip::TcpRetransmission
                | Skip::JunkBetweenMessages
                | Skip::CaptureReplaced
        )
    }

    /// `true` for what means SIP may have been lost (a gap, a message cut
    /// at the end, an undecodable frame): `sipline check` reports these.
    pub const fn is_problem(self) -> bool {
        matches!(
            self,
            Skip::TcpGap
                | Skip::IncompleteAtEnd
                | Skip::BadFrame
                | Skip::PacketCutShort
                | Skip::HepMalformed
                | Skip::KernelDropped
                | Skip::InterfaceDown
                | Skip::CaptureTruncated
        )
    }
}

/// What a reader hands out, as it finds it.
pub trait Sink {
    /// A SIP message, and its length on the wire.
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, wire_len: usize);
    /// A malformed SIP message.
    fn malformed(&mut self, at: &Location<'_>, err: &Error);
    /// A malformed SIP message with what was read of it: `bytes` from its
    /// first byte (a whole datagram or WebSocket message; a stream's bytes
    /// from the message's start as far as they were read, at most the head
    /// limit), for [`sipline::salvage`] to read its Call-ID, CSeq, tags and
    /// users. Readers call this one; by default it is
    /// [`malformed`](Self::malformed), the bytes unused.
    fn malformed_bytes(&mut self, at: &Location<'_>, err: &Error, bytes: &[u8]) {
        let _ = bytes;
        self.malformed(at, err);
    }
    /// Something counted and skipped.
    fn skipped(&mut self, at: &Location<'_>, what: Skip);
    /// `n` things of kind `what` skipped at once (messages a live run
    /// dropped, say): by default [`skipped`](Self::skipped) `n` times.
    fn skipped_many(&mut self, at: &Location<'_>, what: Skip, n: u64) {
        for _ in 0..n {
            self.skipped(at, what);
        }
    }
    /// Bytes skipped: `n` bytes of `what` from `at` on were not read as SIP
    /// (a TCP gap's missing bytes, bytes passed over while searching for a
    /// message start, junk between messages).
    fn skipped_bytes(&mut self, _at: &Location<'_>, _what: Skip, _n: u64) {}
    /// A packet's capture timestamp (seconds since the epoch, UTC).
    fn time(&mut self, _ts: f64) {}
    /// A datagram's payload (UDP, a whole SCTP DATA chunk), offered before
    /// it is parsed. Returning `true` takes it over: the reader does nothing
    /// more with it, and the sink parses it itself with
    /// [`deliver_datagram`](crate::deliver_datagram) (later, on another
    /// thread say, with `at` and `sniff` kept). The default returns
    /// `false`, and the reader parses it and calls [`message`](Self::message),
    /// [`skipped`](Self::skipped) or [`malformed`](Self::malformed).
    fn datagram(&mut self, _at: &Location<'_>, _payload: &[u8], _sniff: bool) -> bool {
        false
    }
    /// A datagram that is not SIP, read where SIP is recognised by its
    /// first line (no SIP port named): RTP or RTCP perhaps, for a media
    /// engine (`crate::media`). `at` names its flow (addresses and ports)
    /// and time. By default nothing is done with it.
    fn media(&mut self, _at: &Location<'_>, _payload: &[u8]) {}
    /// Bytes read from an input (for progress and totals).
    fn bytes_read(&mut self, _n: u64) {}
    /// What a live source holds now, said every second: TCP directions
    /// being reassembled, and their bytes (both bounded by
    /// [`TcpLimits`](crate::TcpLimits)).
    fn held(&mut self, _tcp_flows: usize, _tcp_bytes: usize) {}
}

/// A problem with an input itself (not with the SIP in it): it cannot be
/// opened, it is truncated or corrupt. What was read before still counts.
#[derive(Debug)]
pub struct InputError {
    /// The input's name.
    pub file: String,
    /// Where in the input, when known.
    pub offset: Option<u64>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(o) => write!(f, "{}: {} at byte {o}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for InputError {}
