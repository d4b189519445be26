#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "tokio")]
mod codec;
mod config;
mod error;
mod header;
mod line;
mod message;
pub mod nom;
mod parsed;
mod request_line;
mod status;
mod status_line;
#[cfg(feature = "std")]
mod stream;

#[cfg(feature = "tokio")]
pub use codec::CodecError;
pub use config::ParserConfig;
pub use error::{Error, ErrorKind};
pub use header::{expand_compact, HeaderField, Headers, COMPACT_FORMS};
pub use message::{
    parse_datagram, parse_head, parse_head_into, parse_message, parse_sipfrag, Datagram, Framing,
    Head, Message, Sipfrag,
};
pub use parsed::Parsed;
pub use request_line::{parse_request_line, parse_start_line, Method, RequestLine, StartLine};
pub use status::{StatusClass, StatusCode};
pub use status_line::{parse_status_line, parse_status_line_with, ReasonPhrase, StatusLine};
#[cfg(feature = "std")]
pub use stream::{Frame, SipMessage, StreamDecoder};
