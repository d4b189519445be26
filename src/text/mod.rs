//! The byte level: character classes, the SIMD scans, lossy display and
//! line reading with nom, which every later stage reads with.

pub(crate) mod chars;
pub(crate) mod simd;
pub(crate) mod lossy;
pub(crate) mod line;
