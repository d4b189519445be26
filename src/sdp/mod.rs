//! SDP (RFC 8866): a session description read as a typed, borrowed view,
//! allocation-free like the typed headers, and written back with the
//! changes a border controller makes.
//!
//! - [`parse_sdp`] checks a body in one pass (strict or lenient, by the same
//!   [`ParserConfig`](crate::ParserConfig)) and gives an [`Sdp`]: `o=`,
//!   `s=`, `c=`, the session's attributes and its [`Media`] descriptions
//!   (`m=`, `c=`, `a=rtpmap`, `a=fmtp`, `a=ptime`, direction, `a=rtcp`,
//!   `a=rtcp-mux`, `a=mid`, `a=group`). Every other line, ICE candidates
//!   included, is kept as it is and read by [`Sdp::lines`] or
//!   [`Media::attribute`].
//! - [`SdpWriter`] writes a body again with a new connection address,
//!   media ports, formats removed or reordered, or a new direction, and
//!   copies every other line byte for byte.
//! - [`negotiate`] matches an answer's media descriptions to its offer's
//!   (RFC 3264 §6).

pub(crate) mod line;
pub(crate) mod value;
pub(crate) mod media;
pub(crate) mod session;
pub(crate) mod offer;
#[cfg(feature = "std")]
pub(crate) mod write;

pub use line::{Line, Lines};
pub use media::{Media, MediaSections};
pub use offer::{negotiate, Negotiated, NegotiationError};
pub use session::{parse_sdp, Sdp};
pub use value::{
    static_payload, Attribute, Connection, Direction, Group, MediaLine, Origin, Rtcp, RtpMap,
};
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use write::{SdpWriteError, SdpWriter};

/// `true` when a message's body is a session description: its
/// `Content-Type` is `application/sdp` (parameters ignored, case-insensitive),
/// or it has no `Content-Type` and its body starts `v=`. A multipart body
/// is not looked into.
///
/// ```
/// use sipline::{parse_datagram, Datagram, ParserConfig};
///
/// let bytes = b"SIP/2.0 200 OK\r\nContent-Type: Application/SDP; charset=utf-8\r\nl: 4\r\n\r\nv=0\n";
/// let Ok(Datagram::Message(m)) = parse_datagram(bytes, &ParserConfig::default()) else { panic!() };
/// assert!(sipline::sdp::is_sdp(&m.head, m.body));
/// assert!(!sipline::sdp::is_sdp(&m.head, b""));
/// ```
pub fn is_sdp(head: &crate::Head<'_>, body: &[u8]) -> bool {
    if body.is_empty() {
        return false;
    }
    match head.header("content-type") {
        Some(f) => {
            let v = f.value;
            let end = v.iter().position(|b| *b == b';').unwrap_or(v.len());
            v.get(..end)
                .unwrap_or_default()
                .trim_ascii()
                .eq_ignore_ascii_case(b"application/sdp")
        }
        None => body.starts_with(b"v="),
    }
}
