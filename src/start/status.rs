//! [`StatusCode`] and [`StatusClass`]: the SIP/2.0 response codes and the one
//! registry table that generates their constants and canonical reason phrases.

use core::fmt;
use core::num::NonZeroU16;
use core::str::FromStr;

use crate::error::{Error, ErrorKind};

/// A SIP response status code, always in `100..=699` (RFC 3261 §7.2, §21).
///
/// Registered codes have named constants and a [canonical reason
/// phrase](StatusCode::canonical_reason); an unregistered code in range keeps
/// its value, and [`treat_as`](StatusCode::treat_as) gives the code RFC 3261
/// §8.1.3.2 says a user agent handles it like.
///
/// A `NonZeroU16` inside keeps `Option<StatusCode>` two bytes wide.
///
/// ```
/// use sipline::{StatusClass, StatusCode};
///
/// let code: StatusCode = "180".parse()?;
/// assert_eq!(code, StatusCode::RINGING);
/// assert_eq!(code, 180);
/// assert_eq!(code.class(), StatusClass::Provisional);
/// assert_eq!(code.to_string(), "180 Ringing");
///
/// let odd = StatusCode::try_from(499u16)?;
/// assert_eq!(odd.canonical_reason(), None);
/// assert_eq!(odd.treat_as(), StatusCode::BAD_REQUEST);
/// # Ok::<(), sipline::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusCode(NonZeroU16);

/// The class of a status code: its first digit (RFC 3261 §7.2).
///
/// ```
/// use sipline::{StatusClass, StatusCode};
/// assert!(StatusCode::DECLINE.class().is_final());
/// assert_eq!(StatusCode::DECLINE.class(), StatusClass::GlobalFailure);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum StatusClass {
    /// 1xx: request received, continuing to process it (not final).
    Provisional,
    /// 2xx: the action was received, understood and accepted.
    Success,
    /// 3xx: further action is needed to complete the request.
    Redirection,
    /// 4xx: bad syntax, or the request cannot be fulfilled at this server.
    ClientError,
    /// 5xx: the server failed to fulfil an apparently valid request.
    ServerError,
    /// 6xx: the request cannot be fulfilled at any server (RFC 3261 §21.6).
    GlobalFailure,
}

impl StatusClass {
    /// All six classes, in order.
    pub const ALL: [StatusClass; 6] = [
        StatusClass::Provisional,
        StatusClass::Success,
        StatusClass::Redirection,
        StatusClass::ClientError,
        StatusClass::ServerError,
        StatusClass::GlobalFailure,
    ];

    /// The class's first digit, 1 to 6.
    pub const fn digit(self) -> u8 {
        match self {
            StatusClass::Provisional => 1,
            StatusClass::Success => 2,
            StatusClass::Redirection => 3,
            StatusClass::ClientError => 4,
            StatusClass::ServerError => 5,
            StatusClass::GlobalFailure => 6,
        }
    }

    /// A lowercase name: `provisional`, `success`, `redirection`,
    /// `client-error`, `server-error`, `global-failure`.
    pub const fn name(self) -> &'static str {
        match self {
            StatusClass::Provisional => "provisional",
            StatusClass::Success => "success",
            StatusClass::Redirection => "redirection",
            StatusClass::ClientError => "client-error",
            StatusClass::ServerError => "server-error",
            StatusClass::GlobalFailure => "global-failure",
        }
    }

    /// `true` for 1xx.
    pub const fn is_provisional(self) -> bool {
        matches!(self, StatusClass::Provisional)
    }

    /// `true` for 2xx to 6xx: the response ends the transaction.
    pub const fn is_final(self) -> bool {
        !self.is_provisional()
    }
}

impl fmt::Display for StatusClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! status_codes {
    ($( $(#[$doc:meta])* ($num:literal, $konst:ident, $phrase:literal, $rfc:literal); )+) => {
        impl StatusCode {
            $(
                $(#[$doc])*
                #[doc = concat!("`", stringify!($num), " ", $phrase, "` (", $rfc, ").")]
                pub const $konst: StatusCode = StatusCode::from_const($num);
            )+

            /// Every registered code with its canonical reason phrase and the
            /// RFC that defines it, in ascending order (the IANA registry).
            pub const REGISTRY: &'static [(StatusCode, &'static str, &'static str)] = &[
                $( (StatusCode::$konst, $phrase, $rfc), )+
            ];

            /// The canonical reason phrase of a registered code, as the IANA
            /// registry spells it; `None` for an unregistered code.
            ///
            /// ```
            /// use sipline::StatusCode;
            /// assert_eq!(StatusCode::BUSY_EVERYWHERE.canonical_reason(), Some("Busy Everywhere"));
            /// assert_eq!(StatusCode::try_from(599u16)?.canonical_reason(), None);
            /// # Ok::<(), sipline::Error>(())
            /// ```
            pub const fn canonical_reason(self) -> Option<&'static str> {
                match self.0.get() {
                    $( $num => Some($phrase), )+
                    _ => None,
                }
            }
        }
    };
}

// The one table: IANA "SIP Parameters" → Response Codes.
status_codes! {
    (100, TRYING, "Trying", "RFC 3261");
    (180, RINGING, "Ringing", "RFC 3261");
    (181, CALL_IS_BEING_FORWARDED, "Call Is Being Forwarded", "RFC 3261");
    (182, QUEUED, "Queued", "RFC 3261");
    (183, SESSION_PROGRESS, "Session Progress", "RFC 3261");
    (199, EARLY_DIALOG_TERMINATED, "Early Dialog Terminated", "RFC 6228");
    (200, OK, "OK", "RFC 3261");
    /// The registry marks it deprecated; a receiver treats it like 200.
    (202, ACCEPTED, "Accepted (Deprecated)", "RFC 6665");
    (204, NO_NOTIFICATION, "No Notification", "RFC 5839");
    (300, MULTIPLE_CHOICES, "Multiple Choices", "RFC 3261");
    (301, MOVED_PERMANENTLY, "Moved Permanently", "RFC 3261");
    (302, MOVED_TEMPORARILY, "Moved Temporarily", "RFC 3261");
    (305, USE_PROXY, "Use Proxy", "RFC 3261");
    (380, ALTERNATIVE_SERVICE, "Alternative Service", "RFC 3261");
    (400, BAD_REQUEST, "Bad Request", "RFC 3261");
    (401, UNAUTHORIZED, "Unauthorized", "RFC 3261");
    (402, PAYMENT_REQUIRED, "Payment Required", "RFC 3261");
    (403, FORBIDDEN, "Forbidden", "RFC 3261");
    (404, NOT_FOUND, "Not Found", "RFC 3261");
    (405, METHOD_NOT_ALLOWED, "Method Not Allowed", "RFC 3261");
    (406, NOT_ACCEPTABLE, "Not Acceptable", "RFC 3261");
    (407, PROXY_AUTHENTICATION_REQUIRED, "Proxy Authentication Required", "RFC 3261");
    (408, REQUEST_TIMEOUT, "Request Timeout", "RFC 3261");
    (410, GONE, "Gone", "RFC 3261");
    (412, CONDITIONAL_REQUEST_FAILED, "Conditional Request Failed", "RFC 3903");
    (413, REQUEST_ENTITY_TOO_LARGE, "Request Entity Too Large", "RFC 3261");
    (414, REQUEST_URI_TOO_LONG, "Request-URI Too Long", "RFC 3261");
    (415, UNSUPPORTED_MEDIA_TYPE, "Unsupported Media Type", "RFC 3261");
    (416, UNSUPPORTED_URI_SCHEME, "Unsupported URI Scheme", "RFC 3261");
    (417, UNKNOWN_RESOURCE_PRIORITY, "Unknown Resource-Priority", "RFC 4412");
    (420, BAD_EXTENSION, "Bad Extension", "RFC 3261");
    (421, EXTENSION_REQUIRED, "Extension Required", "RFC 3261");
    (422, SESSION_INTERVAL_TOO_SMALL, "Session Interval Too Small", "RFC 4028");
    (423, INTERVAL_TOO_BRIEF, "Interval Too Brief", "RFC 3261");
    (424, BAD_LOCATION_INFORMATION, "Bad Location Information", "RFC 6442");
    (425, BAD_ALERT_MESSAGE, "Bad Alert Message", "RFC 8876");
    (428, USE_IDENTITY_HEADER, "Use Identity Header", "RFC 8224");
    (429, PROVIDE_REFERRER_IDENTITY, "Provide Referrer Identity", "RFC 3892");
    (430, FLOW_FAILED, "Flow Failed", "RFC 5626");
    (433, ANONYMITY_DISALLOWED, "Anonymity Disallowed", "RFC 5079");
    (436, BAD_IDENTITY_INFO, "Bad Identity Info", "RFC 8224");
    (437, UNSUPPORTED_CREDENTIAL, "Unsupported Credential", "RFC 8224");
    (438, INVALID_IDENTITY_HEADER, "Invalid Identity Header", "RFC 8224");
    (439, FIRST_HOP_LACKS_OUTBOUND_SUPPORT, "First Hop Lacks Outbound Support", "RFC 5626");
    (440, MAX_BREADTH_EXCEEDED, "Max-Breadth Exceeded", "RFC 5393");
    (469, BAD_INFO_PACKAGE, "Bad Info Package", "RFC 6086");
    (470, CONSENT_NEEDED, "Consent Needed", "RFC 5360");
    (480, TEMPORARILY_UNAVAILABLE, "Temporarily Unavailable", "RFC 3261");
    (481, CALL_TRANSACTION_DOES_NOT_EXIST, "Call/Transaction Does Not Exist", "RFC 3261");
    (482, LOOP_DETECTED, "Loop Detected", "RFC 3261");
    (483, TOO_MANY_HOPS, "Too Many Hops", "RFC 3261");
    (484, ADDRESS_INCOMPLETE, "Address Incomplete", "RFC 3261");
    (485, AMBIGUOUS, "Ambiguous", "RFC 3261");
    (486, BUSY_HERE, "Busy Here", "RFC 3261");
    (487, REQUEST_TERMINATED, "Request Terminated", "RFC 3261");
    (488, NOT_ACCEPTABLE_HERE, "Not Acceptable Here", "RFC 3261");
    (489, BAD_EVENT, "Bad Event", "RFC 6665");
    (491, REQUEST_PENDING, "Request Pending", "RFC 3261");
    (493, UNDECIPHERABLE, "Undecipherable", "RFC 3261");
    (494, SECURITY_AGREEMENT_REQUIRED, "Security Agreement Required", "RFC 3329");
    (500, SERVER_INTERNAL_ERROR, "Server Internal Error", "RFC 3261");
    (501, NOT_IMPLEMENTED, "Not Implemented", "RFC 3261");
    (502, BAD_GATEWAY, "Bad Gateway", "RFC 3261");
    (503, SERVICE_UNAVAILABLE, "Service Unavailable", "RFC 3261");
    (504, SERVER_TIMEOUT, "Server Time-out", "RFC 3261");
    (505, VERSION_NOT_SUPPORTED, "Version Not Supported", "RFC 3261");
    (513, MESSAGE_TOO_LARGE, "Message Too Large", "RFC 3261");
    (555, PUSH_NOTIFICATION_SERVICE_NOT_SUPPORTED, "Push Notification Service Not Supported", "RFC 8599");
    (580, PRECONDITION_FAILURE, "Precondition Failure", "RFC 3312");
    (600, BUSY_EVERYWHERE, "Busy Everywhere", "RFC 3261");
    (603, DECLINE, "Decline", "RFC 3261");
    (604, DOES_NOT_EXIST_ANYWHERE, "Does Not Exist Anywhere", "RFC 3261");
    (606, NOT_ACCEPTABLE_ANYWHERE, "Not Acceptable", "RFC 3261");
    (607, UNWANTED, "Unwanted", "RFC 8197");
    (608, REJECTED, "Rejected", "RFC 8688");
}

impl StatusCode {
    /// The smallest valid code, 100.
    pub const MIN: u16 = 100;
    /// The largest valid code, 699.
    pub const MAX: u16 = 699;

    const fn from_const(n: u16) -> StatusCode {
        match StatusCode::from_u16(n) {
            Some(c) => c,
            None => panic!("status code table entry out of range"),
        }
    }

    /// The code for `n`, or `None` when `n` is outside `100..=699`.
    ///
    /// ```
    /// use sipline::StatusCode;
    /// assert_eq!(StatusCode::from_u16(486), Some(StatusCode::BUSY_HERE));
    /// assert_eq!(StatusCode::from_u16(700), None);
    /// ```
    pub const fn from_u16(n: u16) -> Option<StatusCode> {
        if n < Self::MIN || n > Self::MAX {
            return None;
        }
        match NonZeroU16::new(n) {
            Some(nz) => Some(StatusCode(nz)),
            None => None,
        }
    }

    /// The code from exactly three ASCII digits, or `None`.
    ///
    /// ```
    /// use sipline::StatusCode;
    /// assert_eq!(StatusCode::from_digits(*b"603"), Some(StatusCode::DECLINE));
    /// assert_eq!(StatusCode::from_digits(*b"099"), None);
    /// ```
    #[inline]
    pub const fn from_digits(d: [u8; 3]) -> Option<StatusCode> {
        if !d[0].is_ascii_digit() || !d[1].is_ascii_digit() || !d[2].is_ascii_digit() {
            return None;
        }
        let n = (d[0] - b'0') as u16 * 100 + (d[1] - b'0') as u16 * 10 + (d[2] - b'0') as u16;
        StatusCode::from_u16(n)
    }

    /// The numeric value.
    #[inline]
    pub const fn as_u16(self) -> u16 {
        self.0.get()
    }

    /// The class given by the first digit.
    #[inline]
    pub const fn class(self) -> StatusClass {
        match self.0.get() / 100 {
            1 => StatusClass::Provisional,
            2 => StatusClass::Success,
            3 => StatusClass::Redirection,
            4 => StatusClass::ClientError,
            5 => StatusClass::ServerError,
            _ => StatusClass::GlobalFailure,
        }
    }

    /// `true` for 1xx.
    pub const fn is_provisional(self) -> bool {
        self.0.get() < 200
    }
    /// `true` for 2xx to 6xx.
    pub const fn is_final(self) -> bool {
        self.0.get() >= 200
    }
    /// `true` for 2xx.
    pub const fn is_success(self) -> bool {
        matches!(self.class(), StatusClass::Success)
    }
    /// `true` for 3xx.
    pub const fn is_redirection(self) -> bool {
        matches!(self.class(), StatusClass::Redirection)
    }
    /// `true` for 4xx.
    pub const fn is_client_error(self) -> bool {
        matches!(self.class(), StatusClass::ClientError)
    }
    /// `true` for 5xx.
    pub const fn is_server_error(self) -> bool {
        matches!(self.class(), StatusClass::ServerError)
    }
    /// `true` for 6xx.
    pub const fn is_global_failure(self) -> bool {
        matches!(self.class(), StatusClass::GlobalFailure)
    }

    /// `true` when the code is in the IANA registry.
    pub const fn is_registered(self) -> bool {
        self.canonical_reason().is_some()
    }

    /// The code a user agent handles this one as (RFC 3261 §8.1.3.2):
    /// a registered code is itself; an unregistered final code is the x00 of
    /// its class (`499` → `400`); an unregistered provisional code is `183`
    /// Session Progress, not `100`.
    ///
    /// ```
    /// use sipline::StatusCode;
    /// let c = |n: u16| StatusCode::try_from(n).unwrap();
    /// assert_eq!(c(486).treat_as(), StatusCode::BUSY_HERE);
    /// assert_eq!(c(499).treat_as(), StatusCode::BAD_REQUEST);
    /// assert_eq!(c(699).treat_as(), StatusCode::BUSY_EVERYWHERE);
    /// assert_eq!(c(150).treat_as(), StatusCode::SESSION_PROGRESS);
    /// ```
    pub const fn treat_as(self) -> StatusCode {
        if self.is_registered() {
            return self;
        }
        match self.class() {
            StatusClass::Provisional => StatusCode::SESSION_PROGRESS,
            StatusClass::Success => StatusCode::OK,
            StatusClass::Redirection => StatusCode::MULTIPLE_CHOICES,
            StatusClass::ClientError => StatusCode::BAD_REQUEST,
            StatusClass::ServerError => StatusCode::SERVER_INTERNAL_ERROR,
            StatusClass::GlobalFailure => StatusCode::BUSY_EVERYWHERE,
        }
    }
}

fn code_error(offset: usize) -> Error {
    Error::at(ErrorKind::StatusCode, offset)
}

/// Checks three ASCII digits in `100..=699`, reporting the first wrong byte.
fn code_from_bytes(b: &[u8]) -> Result<StatusCode, Error> {
    for (i, &d) in b.iter().enumerate().take(3) {
        let ok = match i {
            0 => (b'1'..=b'6').contains(&d),
            _ => d.is_ascii_digit(),
        };
        if !ok {
            return Err(code_error(i));
        }
    }
    match b {
        [a, b, c] => StatusCode::from_digits([*a, *b, *c]).ok_or_else(|| code_error(0)),
        _ => Err(code_error(b.len().min(3))),
    }
}

impl TryFrom<u16> for StatusCode {
    type Error = Error;
    fn try_from(n: u16) -> Result<Self, Error> {
        StatusCode::from_u16(n).ok_or_else(|| code_error(0))
    }
}

impl TryFrom<&[u8]> for StatusCode {
    type Error = Error;
    /// Exactly three ASCII digits in `100..=699`.
    fn try_from(b: &[u8]) -> Result<Self, Error> {
        code_from_bytes(b)
    }
}

impl FromStr for StatusCode {
    type Err = Error;
    /// Exactly three ASCII digits in `100..=699` (no sign, no spaces).
    fn from_str(s: &str) -> Result<Self, Error> {
        code_from_bytes(s.as_bytes())
    }
}

impl From<StatusCode> for u16 {
    fn from(c: StatusCode) -> u16 {
        c.as_u16()
    }
}

impl PartialEq<u16> for StatusCode {
    fn eq(&self, other: &u16) -> bool {
        self.as_u16() == *other
    }
}

impl PartialEq<StatusCode> for u16 {
    fn eq(&self, other: &StatusCode) -> bool {
        *self == other.as_u16()
    }
}

impl fmt::Debug for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusCode({})", self.as_u16())
    }
}

/// `180 Ringing`; an unregistered code prints its number alone (`499`).
impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.canonical_reason() {
            Some(r) => write!(f, "{} {}", self.as_u16(), r),
            None => write!(f, "{}", self.as_u16()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_in_range_round_trips_and_nothing_outside() {
        for n in 0..=1000u16 {
            match StatusCode::from_u16(n) {
                Some(c) => {
                    assert!((100..=699).contains(&n));
                    assert_eq!(c.as_u16(), n);
                    assert_eq!(c.class().digit() as u16, n / 100);
                    assert_eq!(c.is_provisional(), n < 200);
                    assert_eq!(c.is_final(), c.class().is_final());
                    let s = format!("{n:03}");
                    assert_eq!(s.parse::<StatusCode>().ok(), Some(c));
                    assert_eq!(StatusCode::try_from(s.as_bytes()).ok(), Some(c));
                    let t = c.treat_as();
                    assert!(t.is_registered());
                    assert_eq!(t.class(), c.class());
                    if c.is_registered() {
                        assert_eq!(t, c);
                    } else if c.is_provisional() {
                        assert_eq!(t, 183);
                    } else {
                        assert_eq!(t.as_u16(), n / 100 * 100);
                    }
                }
                None => assert!(!(100..=699).contains(&n), "{n}"),
            }
        }
    }

    #[test]
    fn registry_is_sorted_and_unique() {
        for w in StatusCode::REGISTRY.windows(2) {
            assert!(w[0].0 < w[1].0);
        }
        assert_eq!(StatusCode::REGISTRY.len(), 75);
    }

    #[test]
    fn text_forms_reject_bad_input_at_the_wrong_byte() {
        for (s, off) in [
            ("", 0),
            ("1", 1),
            ("18", 2),
            ("1800", 3),
            ("099", 0),
            ("700", 0),
            ("1a0", 1),
            ("+18", 0),
            (" 180", 0),
        ] {
            let e = s.parse::<StatusCode>().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::StatusCode, "{s:?}");
            assert_eq!(e.offset(), off, "{s:?}");
        }
        assert!(StatusCode::try_from(99u16).is_err());
        assert!(StatusCode::try_from(700u16).is_err());
    }

    #[test]
    fn display_and_ordering() {
        assert_eq!(StatusCode::RINGING.to_string(), "180 Ringing");
        assert_eq!(
            StatusCode::from_u16(499).map(|c| c.to_string()).as_deref(),
            Some("499")
        );
        assert!(StatusCode::TRYING < StatusCode::OK);
        assert_eq!(core::mem::size_of::<Option<StatusCode>>(), 2);
        assert_eq!(format!("{:?}", StatusCode::OK), "StatusCode(200)");
    }
}
