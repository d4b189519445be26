//! [`Header`]: the one trait of the typed header fields. Each typed field
//! says its name and how one field's value reads; [`Head::get`] and
//! [`Head::get_all`] then find and parse it, with error offsets from the
//! head's first byte.
//!
//! [`Head::get`]: crate::Head::get
//! [`Head::get_all`]: crate::Head::get_all

use crate::config::ParserConfig;
use crate::error::Error;

/// A header field read as typed values.
///
/// The implementors are the value types that are the field's own (`Via`,
/// `CSeq`, `Reason`, `SipDate` for Date, `Contact` for Contact's
/// addresses) and unit types that name a field whose value is a plain
/// type: [`CallId`](crate::header::CallId),
/// [`MaxForwards`](crate::header::MaxForwards),
/// [`From`](crate::header::From), [`To`](crate::header::To),
/// [`Route`](crate::header::Route) and
/// [`RecordRoute`](crate::header::RecordRoute).
///
/// ```
/// use sipline::header::{self, Header};
/// use sipline::{parse_head, CSeq, ParserConfig, Via};
///
/// let buf = b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP p;branch=z9hG4bK2, SIP/2.0/UDP a\r\n\
/// f: <sip:a@h>;tag=x1\r\nCSeq: 2 BYE\r\nMax-Forwards: 69\r\n\r\n";
/// let head = parse_head(buf, &ParserConfig::default())?.value().unwrap();
/// assert_eq!(head.get::<Via>().unwrap()?.branch(), Some("z9hG4bK2"));
/// assert_eq!(head.get_all::<Via>().count(), 2);
/// assert_eq!(head.get::<CSeq>().unwrap()?.number, 2);
/// assert_eq!(head.get::<header::From>().unwrap()?.tag(), Some("x1"));
/// assert_eq!(head.get::<header::MaxForwards>(), Some(Ok(69)));
/// assert!(head.get::<header::To>().is_none());
///
/// // One field's value, outside a head:
/// let c = <CSeq as Header>::parse(b"4711 INVITE", &ParserConfig::strict()).next().unwrap()?;
/// assert_eq!(c.number, 4711);
/// # Ok::<(), sipline::Error>(())
/// ```
pub trait Header {
    /// The field's name as RFC 3261 writes it. Lookups find its compact
    /// form too (`Via` finds `v:`).
    const NAME: &'static str;
    /// What one value reads as.
    type Value<'a>;
    /// The values of one field: one for a single-valued field, each
    /// comma-separated value in order for a list (Via, Contact, Route,
    /// Record-Route, Reason).
    type Values<'a>: Iterator<Item = Result<Self::Value<'a>, Error>>;
    /// Reads one field's value. Error offsets count from the start of
    /// `value`. The configuration's address leniency
    /// ([`ParserConfig::allow_loose_addresses`]) applies to the address
    /// fields; the other fields have one grammar, read strictly.
    fn parse<'a>(value: &'a [u8], config: &ParserConfig) -> Self::Values<'a>;
}
