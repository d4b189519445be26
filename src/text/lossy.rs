//! Bytes shown as text: U+FFFD for what is not UTF-8, so that `Debug` and
//! `Display` print what a person can read whatever the peer sent.

use core::fmt;

/// Bytes shown as a quoted string in `Debug` output, U+FFFD for what is not UTF-8.
pub(crate) struct Lossy<'a>(pub(crate) &'a [u8]);

impl fmt::Debug for Lossy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_lossy(f, self.0, true)
    }
}

/// Writes `b` as text, with U+FFFD for bytes that are not UTF-8; quoted and
/// escaped as `Debug` does for a string when `debug` is set.
pub(crate) fn write_lossy(f: &mut fmt::Formatter<'_>, mut b: &[u8], debug: bool) -> fmt::Result {
    let piece = |f: &mut fmt::Formatter<'_>, s: &str| {
        if debug {
            write!(f, "{}", s.escape_debug())
        } else {
            f.write_str(s)
        }
    };
    if debug {
        f.write_str("\"")?;
    }
    loop {
        match core::str::from_utf8(b) {
            Ok(s) => {
                piece(f, s)?;
                break;
            }
            Err(e) => {
                let (good, bad) = b.split_at(e.valid_up_to());
                // `good` is valid UTF-8 by the error's own account.
                piece(f, core::str::from_utf8(good).unwrap_or_default())?;
                f.write_str("\u{FFFD}")?;
                b = bad
                    .get(e.error_len().unwrap_or(bad.len())..)
                    .unwrap_or_default();
            }
        }
    }
    if debug {
        f.write_str("\"")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use alloc::format;

    use super::*;

    /// `write_lossy` as `Display` does it: unquoted.
    struct Plain<'a>(&'a [u8]);

    impl fmt::Display for Plain<'_> {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            write_lossy(f, self.0, false)
        }
    }

    #[test]
    fn bytes_that_are_not_utf8_show_as_the_replacement_character() {
        assert_eq!(
            format!("{:?}", Lossy(b"a\xffb\"\n")),
            "\"a\u{FFFD}b\\\"\\n\""
        );
        assert_eq!(format!("{:?}", Lossy(b"ok")), "\"ok\"");
        assert_eq!(format!("{}", Plain(b"caf\xc3")), "caf\u{FFFD}");
        assert_eq!(
            format!("{}", Plain(b"\xe2\x82 x\xff")),
            "\u{FFFD} x\u{FFFD}"
        );
    }
}
