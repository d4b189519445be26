//! Calls out of SIP messages seen passively, on top of the [`sipline`]
//! parser: INVITE attempts matched by transaction and dialog, with
//! retransmissions and capture duplicates recognised, challenge retries
//! folded into one attempt, the originating leg told apart from a proxy's
//! other legs, and the outcome and timings of each attempt; REGISTER
//! attempts; and the RFC 6076 session metrics over the records.
//!
//! Transactions are named by the parser's
//! [`TransactionKey`](sipline::TransactionKey) (RFC 3261 §17.1.3 and
//! §17.2.3: the top Via's branch and sent-by and the method; the RFC 2543
//! fallback without the magic cookie); dialogs by the Call-ID and the
//! caller's From tag standing as either tag, as
//! [`DialogId::same_dialog`](sipline::DialogId::same_dialog) compares them,
//! whatever To tag a fork gave. The rules the engine follows, and how it decides each
//! outcome, are in the project's `docs/calls.md`.
//!
//! The engine reads message heads only, so it needs no capture reader: a
//! proxy, an SBC's monitor or a HEP collector feeds it what it parsed with
//! [`CallTracker::message`] (or [`CallTracker::head`]), with the capture
//! time and, where known, the [`FlowId`](sipline::flow::FlowId).
//!
//! Memory stays bounded: finished attempts are handed out and dropped;
//! unfinished ones are capped ([`CallLimits::max_calls`], the least recently
//! active evicted and counted) and time out by capture time (64·T1 after
//! their last activity, unless established).
//!
//! ```
//! use sipline::{parse_datagram, Datagram, ParserConfig};
//! use sipline_calls::{CallTracker, Metrics, Outcome};
//!
//! let mut tracker = CallTracker::default();
//! let invite = b"INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\n\
//! From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
//! let busy = b"SIP/2.0 486 Busy Here\r\nVia: SIP/2.0/UDP a:5060;branch=z9hG4bK1\r\n\
//! From: <sip:a@h>;tag=1\r\nTo: <sip:b@h>;tag=2\r\nCall-ID: c1\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n";
//! for (time, bytes) in [(0.0, &invite[..]), (0.5, &busy[..])] {
//!     if let Ok(Datagram::Message(m)) = parse_datagram(bytes, &ParserConfig::default()) {
//!         tracker.message(time, None, &m);
//!     }
//! }
//! let mut metrics = Metrics::default();
//! for call in tracker.finish() {
//!     assert_eq!((call.outcome, call.final_code), (Outcome::Failed, Some(486)));
//!     metrics.add(&call);
//! }
//! assert_eq!(metrics.ser(), Some(0.0));
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

// In layer order: each module uses only those above it.
mod identity;
mod limits;
mod distribution;
mod record;
mod media;
mod metrics;
mod attempt;
mod register;
mod tracker;
mod follow;
mod retransmissions;

pub use distribution::{percent, Distribution, Summary};
pub use follow::{Followed, Follower, FollowerThread};
pub use limits::CallLimits;
pub use media::{Announced, AnnouncedMedia, MediaCall, SdpCounts, SdpLimits, SdpMap, Tie};
pub use metrics::{Metrics, SliceBy, SlicedMetrics};
pub use record::{CallCounts, CallRecord, Outcome, Party, Registrations};
pub use retransmissions::{
    message_key, message_key_of, message_key_with, MessageParts, Retransmissions, ViaIdentity,
};
pub use tracker::{follows, CallTracker};
