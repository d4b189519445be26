//! [`Parsed`]: a complete value with its length, or a request for more bytes.

use core::num::NonZeroUsize;

use ::nom::{Err, Needed};

use crate::error::Error;
use crate::text::line::SipResult;

/// The answer to a parse that did not fail: either the value and how many
/// bytes it took, or "incomplete, need more".
///
/// ```
/// use sipline::{parse_status_line, Parsed};
///
/// let mut buf = b"SIP/2.0 200".to_vec();
/// assert!(!parse_status_line(&buf)?.is_complete());
/// buf.extend_from_slice(b" OK\r\n");
/// match parse_status_line(&buf)? {
///     Parsed::Complete { value, consumed } => {
///         assert_eq!(value.code, 200);
///         assert_eq!(consumed, buf.len());
///     }
///     Parsed::Incomplete { .. } => unreachable!(),
/// }
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub enum Parsed<T> {
    /// The value, and the number of bytes it took (line end included).
    Complete {
        /// What was parsed.
        value: T,
        /// How many bytes of the input it took.
        consumed: usize,
    },
    /// The input ends too early. Call again with more bytes.
    Incomplete {
        /// A lower bound on how many more bytes are needed, when known.
        needed: Option<NonZeroUsize>,
    },
}

impl<T> Parsed<T> {
    /// `true` for [`Parsed::Complete`].
    pub const fn is_complete(&self) -> bool {
        matches!(self, Parsed::Complete { .. })
    }

    /// The value, when complete.
    pub fn value(self) -> Option<T> {
        match self {
            Parsed::Complete { value, .. } => Some(value),
            Parsed::Incomplete { .. } => None,
        }
    }

    /// The number of bytes taken, when complete.
    pub const fn consumed(&self) -> Option<usize> {
        match self {
            Parsed::Complete { consumed, .. } => Some(*consumed),
            Parsed::Incomplete { .. } => None,
        }
    }

    /// The value changed by `f`, the length kept.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Parsed<U> {
        match self {
            Parsed::Complete { value, consumed } => Parsed::Complete {
                value: f(value),
                consumed,
            },
            Parsed::Incomplete { needed } => Parsed::Incomplete { needed },
        }
    }

    /// Turns a streaming nom result over `buf` into the friendly form.
    pub(crate) fn from_nom<'a>(buf: &'a [u8], r: SipResult<'a, T>) -> Result<Parsed<T>, Error> {
        match r {
            Ok((left, value)) => Ok(Parsed::Complete {
                value,
                consumed: buf.len().saturating_sub(left.len()),
            }),
            Err(Err::Incomplete(n)) => Ok(Parsed::Incomplete {
                needed: match n {
                    Needed::Size(s) => Some(s),
                    Needed::Unknown => None,
                },
            }),
            Err(Err::Error(e) | Err::Failure(e)) => Err(e.to_error(buf)),
        }
    }
}
