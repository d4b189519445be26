//! `tokio_util::codec` support (feature `tokio`): [`StreamDecoder`] as a
//! [`Decoder`], and an [`Encoder`] that writes messages back unchanged.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::Error;
use crate::stream::{Frame, SipMessage, StreamDecoder};

/// The codec's error: a parse error, or an I/O error from the transport.
#[derive(Debug)]
pub enum CodecError {
    /// The stream held something that is not a SIP message.
    Parse(Error),
    /// Reading or writing failed.
    Io(std::io::Error),
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CodecError::Parse(e) => e.fmt(f),
            CodecError::Io(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for CodecError {}

impl From<std::io::Error> for CodecError {
    fn from(e: std::io::Error) -> Self {
        CodecError::Io(e)
    }
}

impl From<Error> for CodecError {
    fn from(e: Error) -> Self {
        CodecError::Parse(e)
    }
}

impl Decoder for StreamDecoder {
    type Item = Frame;
    type Error = CodecError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        Ok(StreamDecoder::decode(self, src)?)
    }

    /// At the end of the stream, leftover CRLFs are fine; a partial message
    /// is an error (`UnexpectedEof`).
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, CodecError> {
        match StreamDecoder::decode(self, src)? {
            Some(frame) => Ok(Some(frame)),
            None if self.is_between_messages(src) => {
                src.clear();
                Ok(None)
            }
            None => Err(CodecError::Io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "stream ended inside a SIP message",
            ))),
        }
    }
}

impl Encoder<SipMessage> for StreamDecoder {
    type Error = CodecError;

    /// Writes the message's bytes exactly as they arrived.
    fn encode(&mut self, item: SipMessage, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

impl Encoder<Frame> for StreamDecoder {
    type Error = CodecError;

    /// A message unchanged; a keep-alive ping as `\r\n\r\n`.
    fn encode(&mut self, item: Frame, dst: &mut BytesMut) -> Result<(), CodecError> {
        match item {
            Frame::Message(m) => dst.extend_from_slice(m.as_bytes()),
            Frame::KeepAlive { .. } => dst.extend_from_slice(b"\r\n\r\n"),
        }
        Ok(())
    }
}

impl Encoder<Bytes> for StreamDecoder {
    type Error = CodecError;

    /// Raw bytes (a pong, a message built elsewhere), unchanged.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), CodecError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}
