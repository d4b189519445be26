//! [`Frames`]: the blocking read-and-decode loop over any [`Read`], for
//! users without an async runtime.

use std::io::{BufRead, BufReader, Read};

use bytes::BytesMut;

use crate::config::ParserConfig;
use crate::error::StreamError;
use crate::framing::stream::{Frame, StreamDecoder};

/// How much is read from the source at a time, by default.
const DEFAULT_CHUNK: usize = 64 * 1024;

/// The SIP messages (and keep-alives) of a byte stream read from `R`: an
/// iterator over [`StreamDecoder`] that reads as it goes.
///
/// Memory stays bounded by the parser's limits: the decoder fails before a
/// message outgrows them, so the buffer never holds more than one message
/// and one chunk. Reads go through a [`BufReader`] that is initialised once,
/// so no chunk is zero-filled again. After an error (a malformed message,
/// the stream ending inside a message, an I/O failure) the iterator yields
/// that error once and then ends: a byte stream cannot be resynchronised.
/// Error offsets count from the first byte of the stream.
///
/// ```
/// use sipline::{Frame, Frames, ParserConfig};
///
/// let input: &[u8] = b"OPTIONS sip:a@b SIP/2.0\r\nl: 0\r\n\r\n\r\n\r\nSIP/2.0 200 OK\r\nl: 0\r\n\r\n";
/// let mut codes = Vec::new();
/// for frame in Frames::new(input, ParserConfig::strict()) {
///     match frame? {
///         Frame::Message(m) => codes.push(m.start_line().status().map(|s| s.code.as_u16())),
///         Frame::KeepAlive { offset } => assert_eq!(offset, 33),
///     }
/// }
/// assert_eq!(codes, [None, Some(200)]);
/// # Ok::<(), sipline::StreamError>(())
/// ```
#[derive(Debug)]
pub struct Frames<R> {
    reader: BufReader<R>,
    decoder: StreamDecoder,
    buf: BytesMut,
    bytes_read: u64,
    done: bool,
}

impl<R: Read> Frames<R> {
    /// Frames read from `reader` with `config`, 64 KiB at a time.
    pub fn new(reader: R, config: ParserConfig) -> Frames<R> {
        Frames::with_chunk_size(reader, config, DEFAULT_CHUNK)
    }

    /// Frames read from `reader` with `config`, `chunk` bytes at a time at
    /// most (at least 1).
    pub fn with_chunk_size(reader: R, config: ParserConfig, chunk: usize) -> Frames<R> {
        Frames {
            reader: BufReader::with_capacity(chunk.max(1), reader),
            decoder: StreamDecoder::new(config),
            buf: BytesMut::new(),
            bytes_read: 0,
            done: false,
        }
    }

    /// The decoder (its configuration and stream position).
    pub const fn decoder(&self) -> &StreamDecoder {
        &self.decoder
    }

    /// How many bytes have been read from the source so far.
    pub const fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// The bytes read from the source and not framed yet. After an error,
    /// the message that failed from its first byte on, as far as it was
    /// read: what [`salvage`](crate::salvage) reads.
    ///
    /// ```
    /// use sipline::{salvage, Frames, ParserConfig};
    ///
    /// let input = &b"OPTIONS sip:h SIP/2.0\r\nCall-ID: c1\r\nl: x\r\n\r\n"[..];
    /// let mut frames = Frames::new(input, ParserConfig::strict());
    /// assert!(frames.next().unwrap().is_err());
    /// let s = salvage(frames.pending(), frames.decoder().config());
    /// assert_eq!(s.header("Call-ID").unwrap().value, b"c1");
    /// ```
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// The source, back.
    pub fn into_inner(self) -> R {
        self.reader.into_inner()
    }

    /// Reads the next chunk into the buffer; `Ok(0)` at the end.
    fn fill(&mut self) -> std::io::Result<usize> {
        let chunk = loop {
            match self.reader.fill_buf() {
                Ok(c) => break c,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        let n = chunk.len();
        self.buf.extend_from_slice(chunk);
        self.reader.consume(n);
        self.bytes_read += n as u64;
        Ok(n)
    }

    fn step(&mut self) -> Result<Option<Frame>, StreamError> {
        loop {
            if let Some(frame) = self.decoder.decode(&mut self.buf)? {
                return Ok(Some(frame));
            }
            if self.fill()? == 0 {
                return Ok(self.decoder.decode_eof(&mut self.buf)?);
            }
        }
    }
}

impl<R: Read> Iterator for Frames<R> {
    type Item = Result<Frame, StreamError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(frame)) => Some(Ok(frame)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R: Read> core::iter::FusedIterator for Frames<R> {}
