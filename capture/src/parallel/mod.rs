//! The SIP of captures read on several cores, with the result of one thread,
//! exactly: the one parallel run that `stats`, `export` and any program
//! embedding this crate share.
//!
//! A [`Pipeline`] is a [`Sink`](crate::Sink): give it to [`read_path`](crate::read_path)
//! (or any reader) on the reading thread. It records what the reader finds,
//! in order, into owned [`Batch`]es: each datagram's payload unparsed
//! ([`Sink::datagram`](crate::Sink::datagram)), and everything else (messages framed from TCP,
//! keep-alives, malformed messages, skips, times, bytes read). Worker threads
//! run the caller's [`Stage`] on whole batches: it parses the datagrams as
//! the reader would have ([`deliver_datagram`](crate::deliver_datagram)) and does its work (make
//! rows, say; the `()` stage only parses, for a consumer that replays the
//! batches). One thread puts the batches back in their order and hands each,
//! with its stage's output, to the caller's [`Consumer`], so every count and
//! every first-seen example is what one thread gives.
//!
//! One hand-off per batch, never per packet. Memory stays bounded: a fixed
//! pool of batches circulates (reader → workers → consumer → reader), at most
//! [`Options::threads`] × 4 in flight, each at most [`BATCH_EVENTS`] events
//! and about [`BATCH_BYTES`] bytes of payload. A reader whose consumer falls
//! behind waits for a batch to come back: files get back-pressure.
//!
//! ```
//! use sipline_capture::parallel::{Options, Pipeline, Replay};
//! use sipline_capture::{read, Location, ReadOptions, Sink, Skip};
//!
//! #[derive(Default)]
//! struct Count(usize);
//! impl Sink for Count {
//!     fn message(&mut self, _: &Location, _: &sipline::Message, _: usize) { self.0 += 1 }
//!     fn malformed(&mut self, _: &Location, _: &sipline::Error) {}
//!     fn skipped(&mut self, _: &Location, _: Skip) {}
//! }
//!
//! let stream: &[u8] = b"SIP/2.0 200 OK\r\nl: 0\r\n\r\nSIP/2.0 180 Ringing\r\nl: 0\r\n\r\n";
//! let opts = Options { threads: 2, ..Options::default() };
//! let mut run = Pipeline::start(&opts, || (), Replay(Count::default()));
//! read("dump.txt", stream, &ReadOptions::default(), &mut run)?;
//! let Replay(count) = run.finish().expect("no thread failed");
//! assert_eq!(count.0, 2);
//! # Ok::<(), sipline_capture::InputError>(())
//! ```

mod batch;
mod run;

pub use batch::{Batch, Event, OwnedLocation, BATCH_BYTES, BATCH_EVENTS};
pub use run::{Behind, Consumer, Options, Pipeline, Replay, Stage, ThreadFailed};
