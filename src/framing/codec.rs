//! `tokio_util::codec` support (feature `tokio`): [`StreamDecoder`] as a
//! [`Decoder`], and an [`Encoder`] that writes messages back unchanged and
//! keep-alives as RFC 5626 says.

use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::error::StreamError;
use crate::framing::stream::{Frame, KeepAlive, OwnedMessage, StreamDecoder};

/// The codec's error: [`StreamError`] (a parse error, the stream ending
/// inside a message, or an I/O error from the transport). It implements
/// `source()`, tells the parse error's [`kind`](StreamError::kind) and
/// [`offset`](StreamError::offset), and converts into [`std::io::Error`].
pub type CodecError = StreamError;

impl Decoder for StreamDecoder {
    type Item = Frame;
    type Error = StreamError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, StreamError> {
        Ok(StreamDecoder::decode(self, src)?)
    }

    /// At the end of the stream, leftover CRLFs are fine; a partial message
    /// is [`ErrorKind::IncompleteMessage`](crate::ErrorKind::IncompleteMessage)
    /// at the offset where it started.
    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, StreamError> {
        Ok(StreamDecoder::decode_eof(self, src)?)
    }
}

impl Encoder<OwnedMessage> for StreamDecoder {
    type Error = StreamError;

    /// Writes the message's bytes exactly as they arrived.
    fn encode(&mut self, item: OwnedMessage, dst: &mut BytesMut) -> Result<(), StreamError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

impl Encoder<Frame> for StreamDecoder {
    type Error = StreamError;

    /// A frame as it was on the wire: a message unchanged, a keep-alive ping
    /// as `\r\n\r\n` (to forward it). To answer a ping, encode
    /// [`KeepAlive::Pong`].
    fn encode(&mut self, item: Frame, dst: &mut BytesMut) -> Result<(), StreamError> {
        match item {
            Frame::Message(m) => dst.extend_from_slice(m.as_bytes()),
            Frame::KeepAlive { .. } => dst.extend_from_slice(KeepAlive::Ping.as_bytes()),
        }
        Ok(())
    }
}

impl Encoder<KeepAlive> for StreamDecoder {
    type Error = StreamError;

    /// A ping (`\r\n\r\n`) or the pong that answers one (`\r\n`).
    fn encode(&mut self, item: KeepAlive, dst: &mut BytesMut) -> Result<(), StreamError> {
        dst.extend_from_slice(item.as_bytes());
        Ok(())
    }
}

impl Encoder<Bytes> for StreamDecoder {
    type Error = StreamError;

    /// Raw bytes (a message built elsewhere), unchanged.
    fn encode(&mut self, item: Bytes, dst: &mut BytesMut) -> Result<(), StreamError> {
        dst.extend_from_slice(&item);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_encoded_as_they_were_on_the_wire() {
        let wire = b"SIP/2.0 200 OK\r\nl: 2\r\n\r\nhi\r\n\r\n";
        let mut codec = StreamDecoder::default();
        let mut buf = BytesMut::from(&wire[..]);
        let mut out = BytesMut::new();
        while let Some(frame) = codec.decode(&mut buf).unwrap() {
            codec.encode(frame, &mut out).unwrap();
        }
        assert_eq!(&out[..], &wire[..]);
        let mut out = BytesMut::new();
        codec.encode(KeepAlive::Pong, &mut out).unwrap();
        assert_eq!(&out[..], b"\r\n");
    }
}
