//! Whole messages: a head and its body from one buffer, a stream of them
//! (the resumable decoder), frames read from `std::io`, and the tokio codec.

pub(crate) mod message;
#[cfg(feature = "std")]
pub(crate) mod stream;
#[cfg(feature = "std")]
pub(crate) mod read;
#[cfg(feature = "tokio")]
pub(crate) mod codec;
