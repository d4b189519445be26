//! What RFC 3261 asks of a head beyond its grammar: transaction and dialog
//! keys, and the checks a UAS or proxy makes before acting on a request.

pub(crate) mod keys;
pub(crate) mod validate;
