//! Start lines: status codes, status lines, request lines and the start
//! line that is either.

pub(crate) mod status;
pub(crate) mod status_line;
pub(crate) mod request_line;
pub(crate) mod start_line;
