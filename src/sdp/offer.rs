//! Offer/answer (RFC 3264 §6): an answer's media descriptions matched to the
//! offer's, one for one, in order.

use core::fmt;

use super::media::{Media, MediaSections};
use super::session::Sdp;

/// Why an answer does not answer its offer (RFC 3264 §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NegotiationError {
    /// The answer has not as many media descriptions as the offer.
    MediaCount {
        /// The offer's count.
        offer: usize,
        /// The answer's count.
        answer: usize,
    },
    /// The answer's media description `index` is not of the offer's media
    /// type (`audio` answered by `video`).
    MediaType {
        /// Its index, from 0.
        index: usize,
    },
    /// The answer accepts stream `index` with no format the offer offered.
    NoCommonFormat {
        /// Its index, from 0.
        index: usize,
    },
    /// The answer's direction for stream `index` is not one the offer's
    /// allows (a `sendonly` offer is answered `recvonly` or `inactive`).
    Direction {
        /// Its index, from 0.
        index: usize,
    },
}

impl fmt::Display for NegotiationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NegotiationError::MediaCount { offer, answer } => write!(
                f,
                "the answer has {answer} media descriptions, the offer {offer}"
            ),
            NegotiationError::MediaType { index } => {
                write!(
                    f,
                    "media description {index}: the answer changes the media type"
                )
            }
            NegotiationError::NoCommonFormat { index } => write!(
                f,
                "media description {index}: the answer accepts no format the offer offered"
            ),
            NegotiationError::Direction { index } => write!(
                f,
                "media description {index}: the answer's direction does not answer the offer's"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for NegotiationError {}

/// One stream as offered and as answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated<'o, 'a> {
    /// The offer's media description.
    pub offer: Media<'o>,
    /// The answer's media description.
    pub answer: Media<'a>,
}

impl<'o, 'a> Negotiated<'o, 'a> {
    /// `true` unless either side's port is 0 (rejected or disabled).
    pub const fn is_accepted(&self) -> bool {
        !self.offer.is_rejected() && !self.answer.is_rejected()
    }

    /// The answer's formats that the offer offered, in the answer's order
    /// (its preference); none for a stream not accepted.
    pub fn formats(&self) -> impl Iterator<Item = &'a str> + '_ {
        let (offer, answer) = (self.offer, self.answer);
        let accepted = self.is_accepted();
        answer
            .line()
            .formats()
            .filter(move |f| accepted && offered(&offer, &answer, f))
    }

    /// `true` when the offerer sends media on this stream (accepted, the
    /// offer says it sends and the answer that it receives).
    pub fn offerer_sends(&self) -> bool {
        self.is_accepted() && self.offer.direction().sends() && self.answer.direction().receives()
    }

    /// `true` when the answerer sends media on this stream.
    pub fn answerer_sends(&self) -> bool {
        self.is_accepted() && self.answer.direction().sends() && self.offer.direction().receives()
    }
}

/// Whether the answer's format `fmt` is one the offer offered: the same
/// payload type naming the same codec, or for RTP a payload type of the
/// offer whose `a=rtpmap` names the same encoding and clock rate (dynamic
/// types need not keep their number, RFC 3264 §6.1).
fn offered(offer: &Media<'_>, answer: &Media<'_>, fmt: &str) -> bool {
    let same_number = offer.line().formats().any(|f| f == fmt);
    if !answer.line().is_rtp() {
        return same_number;
    }
    let Ok(pt) = fmt.parse::<u8>() else {
        return same_number;
    };
    let Some(codec) = answer.codec(pt) else {
        return same_number;
    };
    offer
        .line()
        .formats()
        .filter_map(|f| offer.codec(f.parse().ok()?))
        .any(|c| {
            c.encoding.eq_ignore_ascii_case(codec.encoding) && c.clock_rate == codec.clock_rate
        })
}

/// The streams of an offer and its answer, checked (RFC 3264 §6): the same
/// number of media descriptions, each of the same media type; an accepted
/// stream has a format in common and a direction that answers the offer's.
///
/// ```
/// use sipline::sdp::{negotiate, parse_sdp};
/// use sipline::ParserConfig;
///
/// let head = "v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
/// let offer = format!("{head}m=audio 4000 RTP/AVP 0 8 96\r\na=rtpmap:96 opus/48000/2\r\n");
/// let answer = format!("{head}m=audio 5000 RTP/AVP 97 0\r\na=rtpmap:97 opus/48000/2\r\na=recvonly\r\n");
/// let cfg = ParserConfig::strict();
/// let (offer, answer) = (parse_sdp(offer.as_bytes(), &cfg)?, parse_sdp(answer.as_bytes(), &cfg)?);
/// let audio = negotiate(&offer, &answer).unwrap().next().unwrap();
/// assert_eq!(audio.formats().collect::<Vec<_>>(), ["97", "0"]); // opus under another number
/// assert!(audio.offerer_sends() && !audio.answerer_sends());
/// # Ok::<(), sipline::Error>(())
/// ```
pub fn negotiate<'o, 'a>(
    offer: &Sdp<'o>,
    answer: &Sdp<'a>,
) -> Result<impl Iterator<Item = Negotiated<'o, 'a>>, NegotiationError> {
    if offer.media_count() != answer.media_count() {
        return Err(NegotiationError::MediaCount {
            offer: offer.media_count(),
            answer: answer.media_count(),
        });
    }
    let pairs = |o: MediaSections<'o>, a: MediaSections<'a>| {
        o.zip(a).map(|(offer, answer)| Negotiated { offer, answer })
    };
    for n in pairs(offer.media(), answer.media()) {
        let index = n.offer.index();
        if !n
            .offer
            .line()
            .media
            .eq_ignore_ascii_case(n.answer.line().media)
        {
            return Err(NegotiationError::MediaType { index });
        }
        if !n.is_accepted() {
            continue;
        }
        if n.formats().next().is_none() {
            return Err(NegotiationError::NoCommonFormat { index });
        }
        let (o, a) = (n.offer.direction(), n.answer.direction());
        let allowed = a == super::value::Direction::Inactive
            || a == o.reversed()
            || (o == super::value::Direction::SendRecv);
        if !allowed {
            return Err(NegotiationError::Direction { index });
        }
    }
    Ok(pairs(offer.media(), answer.media()))
}
