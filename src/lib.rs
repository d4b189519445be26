#![doc = include_str!("../README.md")]
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod config;
mod error;
mod line;
pub mod nom;
mod parsed;
mod status;
mod status_line;

pub use config::ParserConfig;
pub use error::{Error, ErrorKind};
pub use parsed::Parsed;
pub use status::{StatusClass, StatusCode};
pub use status_line::{parse_status_line, parse_status_line_with, ReasonPhrase, StatusLine};
