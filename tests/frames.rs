//! `Frames`, the blocking reader: whatever sizes the reads come in, it yields
//! the frames the decoder yields for the whole stream; the end of the stream
//! inside a message, a malformed message and an I/O failure each end it with
//! their own error, once.

mod common;

use std::io::Read;

use bytes::BytesMut;
use sipline::{ErrorKind, Frame, Frames, ParserConfig, StreamDecoder, StreamError};

/// A reader that hands out at most a few bytes per call, and can fail.
struct Drip<'a> {
    data: &'a [u8],
    rng: common::Rng,
    fail_at: Option<usize>,
    pos: usize,
}

impl Read for Drip<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.fail_at.is_some_and(|f| self.pos >= f) {
            return Err(std::io::Error::other("link down"));
        }
        let n = (1 + self.rng.below(7))
            .min(out.len())
            .min(self.data.len() - self.pos);
        out[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

fn stream(n: usize) -> Vec<u8> {
    let mut rng = common::Rng(7);
    let mut bytes = Vec::new();
    for i in 0..n {
        if i % 5 == 0 {
            bytes.extend_from_slice(b"\r\n\r\n");
        }
        bytes.extend_from_slice(&common::generated_message(i, &mut rng));
    }
    bytes
}

/// Frames as (offset, bytes), keep-alives with no bytes.
fn summary(f: &Frame) -> (u64, Option<Vec<u8>>) {
    match f {
        Frame::Message(m) => (m.offset(), Some(m.as_bytes().to_vec())),
        Frame::KeepAlive { offset } => (*offset, None),
    }
}

#[test]
fn any_read_sizes_give_the_decoders_frames() {
    let bytes = stream(200);
    let mut dec = StreamDecoder::default();
    let mut buf = BytesMut::from(&bytes[..]);
    let mut want = Vec::new();
    while let Some(f) = dec.decode(&mut buf).unwrap() {
        want.push(summary(&f));
    }
    assert!(buf.is_empty());
    assert_eq!(want.iter().filter(|w| w.1.is_some()).count(), 200);
    for chunk in [1, 3, 100, 64 * 1024] {
        let drip = Drip {
            data: &bytes,
            rng: common::Rng(chunk as u64),
            fail_at: None,
            pos: 0,
        };
        let frames = Frames::with_chunk_size(drip, ParserConfig::default(), chunk);
        let got: Vec<_> = frames.map(|f| summary(&f.unwrap())).collect();
        assert_eq!(got, want, "chunk {chunk}");
    }
}

#[test]
fn the_end_inside_a_message_is_its_own_error_with_the_messages_offset() {
    let mut bytes = stream(3);
    let whole = bytes.len() as u64;
    bytes.extend_from_slice(b"\r\nSIP/2.0 200 OK\r\nContent-Length: 10\r\n\r\nshort");
    let mut frames = Frames::new(&bytes[..], ParserConfig::default());
    let results: Vec<_> = frames.by_ref().collect();
    let (last, ok) = results.split_last().unwrap();
    assert!(ok.iter().all(Result::is_ok));
    let err = last.as_ref().unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::IncompleteMessage));
    assert_eq!(err.offset(), Some(whole + 2), "after the skipped CRLF");
    assert!(frames.next().is_none(), "fused after the error");
    assert_eq!(frames.bytes_read(), bytes.len() as u64);
    // CRLFs at the end are not a message.
    let tail = b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n\r\n";
    assert_eq!(Frames::new(&tail[..], ParserConfig::strict()).count(), 1);
}

#[test]
fn a_malformed_message_ends_the_frames_with_its_error_once() {
    let mut bytes = stream(2);
    let at = bytes.len() as u64;
    bytes.extend_from_slice(b"SIP/2.0 2000 OK\r\n\r\n");
    bytes.extend_from_slice(&stream(2));
    let results: Vec<_> = Frames::new(&bytes[..], ParserConfig::default()).collect();
    let errors: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind(), Some(ErrorKind::StatusCode));
    assert_eq!(errors[0].offset(), Some(at + 11));
    assert!(results.last().unwrap().is_err(), "nothing after the error");
}

#[test]
fn an_io_failure_passes_through_with_its_source() {
    let bytes = stream(50);
    let drip = Drip {
        data: &bytes,
        rng: common::Rng(1),
        fail_at: Some(bytes.len() / 2),
        pos: 0,
    };
    let results: Vec<_> = Frames::with_chunk_size(drip, ParserConfig::default(), 16).collect();
    let Some(Err(StreamError::Io(e))) = results.last() else {
        panic!("an I/O error last: {:?}", results.last())
    };
    assert_eq!(e.to_string(), "link down");
    assert!(results.len() > 10, "the frames before the failure came out");
    let io: std::io::Error = Frames::new(
        Drip {
            data: &bytes,
            rng: common::Rng(1),
            fail_at: Some(0),
            pos: 0,
        },
        ParserConfig::default(),
    )
    .next()
    .unwrap()
    .unwrap_err()
    .into();
    assert_eq!(io.to_string(), "link down");
}
