//! The two byte scans a head spends its time in, sixteen bytes at a time.
//!
//! This is the crate's only module with `unsafe` code (the crate denies it
//! everywhere else), on x86_64, where SSE2 is part of the target: one
//! unaligned 16-byte load, and the calls into the SSE2 functions (`unsafe`
//! only because Rust asks every caller to vouch for the CPU feature).
//!
//! Safe code measured slower (BENCHMARKS.md): a SWAR line scan was 24 %
//! slower than `memchr2` per line in one criterion run, and the compiler
//! would not vectorise the byte-class tests written as loops.
//!
//! Each scan has a plain reference ([`find_line_stop_scalar`],
//! [`reason_run_scalar`]) that other targets use; the unit tests (run under
//! miri in CI) and the `simd_scans` fuzz target check that both give the
//! same answer on any input.
#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

use crate::text::chars::{is_line_stop, reason_class, ReasonClass};

/// The index of the first byte of `hay` that stops a head line scan (CR, LF,
/// or a control byte other than HTAB, or DEL: `chars::is_line_stop`).
#[inline]
pub fn find_line_stop(hay: &[u8]) -> Option<usize> {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: the function needs SSE2, which this target has (the `cfg`).
        unsafe { sse2::find_line_stop(hay) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        find_line_stop_scalar(hay)
    }
}

/// The length of the run of reason-phrase bytes at the start of `hay` that
/// strict mode allows as they are (`ReasonClass::Plain`), and bytes from
/// 0x80 up too when `high_ok`; and whether the run holds such a byte.
/// The run stops at `%`, a line end, a byte not allowed, or (when not
/// `high_ok`) a byte from 0x80 up.
#[inline]
pub fn reason_run(hay: &[u8], high_ok: bool) -> (usize, bool) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        // SAFETY: the function needs SSE2, which this target has (the `cfg`).
        unsafe { sse2::reason_run(hay, high_ok) }
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        reason_run_scalar(hay, high_ok)
    }
}

/// [`find_line_stop`], one byte at a time: the reference.
pub fn find_line_stop_scalar(hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| is_line_stop(b))
}

/// [`reason_run`], one byte at a time: the reference.
pub fn reason_run_scalar(hay: &[u8], high_ok: bool) -> (usize, bool) {
    let mut high = false;
    for (i, &b) in hay.iter().enumerate() {
        match reason_class(b) {
            ReasonClass::Plain => {}
            ReasonClass::High if high_ok => high = true,
            _ => return (i, high),
        }
    }
    (hay.len(), high)
}

#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
mod sse2 {
    use super::{find_line_stop_scalar, reason_run_scalar};
    use core::arch::x86_64::{
        __m128i, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_sub_epi8,
    };

    /// The 16 bytes of `block` in one register.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn load(block: &[u8; 16]) -> __m128i {
        // SAFETY: `block` refers to 16 initialised bytes, exactly the 16
        // this reads, and `_mm_loadu_si128` has no alignment requirement.
        unsafe { _mm_loadu_si128(block.as_ptr().cast::<__m128i>()) }
    }

    /// Lanes of `x` that are at most `max` (unsigned): all ones, else zero.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn at_most(x: __m128i, max: u8) -> __m128i {
        let m = _mm_set1_epi8(max as i8);
        _mm_cmpeq_epi8(_mm_max_epu8(x, m), m)
    }

    /// Lanes of `x` equal to `b`.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn eq(x: __m128i, b: u8) -> __m128i {
        _mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8))
    }

    /// One bit per lane: bit `i` is the high bit of lane `i`.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn mask(x: __m128i) -> u32 {
        _mm_movemask_epi8(x) as u32
    }

    /// Bit `i` set when byte `i` stops a line: below 0x20 but not HTAB, or DEL.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn line_stops(x: __m128i) -> u32 {
        let control = _mm_andnot_si128(eq(x, b'\t'), at_most(x, 0x1f));
        mask(_mm_or_si128(control, eq(x, 0x7f)))
    }

    /// [`super::find_line_stop`] on SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn find_line_stop(hay: &[u8]) -> Option<usize> {
        let mut rest = hay;
        let mut base = 0;
        while let Some((block, next)) = rest.split_first_chunk::<16>() {
            let stops = line_stops(load(block));
            if stops != 0 {
                return Some(base + stops.trailing_zeros() as usize);
            }
            base += 16;
            rest = next;
        }
        find_line_stop_scalar(rest).map(|p| base + p)
    }

    /// Bit `i` set when byte `i` is not a plain reason-phrase byte
    /// (`ReasonClass::Plain`: alphanumerics, the marks and reserved
    /// characters of RFC 3261 §25.1, SP, HTAB). Bytes from 0x80 up are set
    /// too: the caller tells them apart by their high bit.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn not_plain(x: __m128i) -> u32 {
        // Printable ASCII (0x20..=0x7e) or HTAB.
        let printable = at_most(_mm_sub_epi8(x, _mm_set1_epi8(0x20)), 0x7e - 0x20);
        let allowed = _mm_or_si128(printable, eq(x, b'\t'));
        // The printable bytes that are not plain: `"` `#` `%` `<` `>` `[`
        // `\` `]` `^` `` ` `` `{` `|` `}`. OR-ing a bit folds pairs:
        // 0x22|1 = 0x23|1, 0x3c|2 = 0x3e|2, and 0x5b..=0x5d|0x20 are
        // 0x7b..=0x7d.
        let quote_hash = eq(_mm_or_si128(x, _mm_set1_epi8(1)), b'#');
        let angles = eq(_mm_or_si128(x, _mm_set1_epi8(2)), b'>');
        let folded = _mm_or_si128(x, _mm_set1_epi8(0x20));
        let brackets = at_most(_mm_sub_epi8(folded, _mm_set1_epi8(0x7b)), 2);
        let singles = _mm_or_si128(
            _mm_or_si128(eq(x, b'%'), eq(x, b'^')),
            _mm_or_si128(eq(x, b'`'), quote_hash),
        );
        let special = _mm_or_si128(_mm_or_si128(angles, brackets), singles);
        mask(_mm_or_si128(
            _mm_andnot_si128(allowed, _mm_set1_epi8(-1)),
            special,
        ))
    }

    /// [`super::reason_run`] on SSE2.
    #[inline]
    #[target_feature(enable = "sse2")]
    pub(super) fn reason_run(hay: &[u8], high_ok: bool) -> (usize, bool) {
        let mut rest = hay;
        let mut base = 0;
        let mut high = false;
        while let Some((block, next)) = rest.split_first_chunk::<16>() {
            let x = load(block);
            // Bits of the bytes from 0x80 up, and of the bytes that end the run.
            let highs = mask(x);
            let stops = if high_ok {
                not_plain(x) & !highs
            } else {
                not_plain(x)
            };
            if stops != 0 {
                let n = stops.trailing_zeros();
                // The high bytes before the stop (n < 16: a bit is set).
                return (base + n as usize, high || highs & ((1u32 << n) - 1) != 0);
            }
            high |= highs != 0;
            base += 16;
            rest = next;
        }
        let (n, tail_high) = reason_run_scalar(rest, high_ok);
        (base + n, high || tail_high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Every byte value at every position of a block, and around the block
    /// edges, amid bytes of each class: the fast scans agree with the
    /// references. (Under miri, which runs this in CI, at the first and
    /// last position of two blocks and a half.)
    #[test]
    fn every_byte_at_every_position_agrees() {
        let (fillers, lens): (&[u8], &[usize]) = if cfg!(miri) {
            (&[0x80], &[33])
        } else {
            (
                &[b'a', b' ', 0x80, b'%', b'\t'],
                &[0, 1, 15, 16, 17, 31, 32, 33],
            )
        };
        for &fill in fillers {
            for &len in lens {
                let positions: Vec<usize> = if cfg!(miri) {
                    vec![0, len - 1]
                } else {
                    (0..len).collect()
                };
                for at in positions {
                    for b in 0..=255u8 {
                        let mut hay = [fill; 33];
                        hay[at] = b;
                        let hay = &hay[..len];
                        assert_eq!(find_line_stop(hay), find_line_stop_scalar(hay));
                        for high_ok in [false, true] {
                            assert_eq!(reason_run(hay, high_ok), reason_run_scalar(hay, high_ok));
                        }
                    }
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(if cfg!(miri) { 4 } else { 2048 }))]
        #[test]
        fn fast_scans_agree_with_the_references(
            hay in proptest::collection::vec(
                prop_oneof![4 => 0x20u8..0x7f, 1 => any::<u8>()], 0..80),
            high_ok: bool,
        ) {
            prop_assert_eq!(find_line_stop(&hay), find_line_stop_scalar(&hay));
            prop_assert_eq!(reason_run(&hay, high_ok), reason_run_scalar(&hay, high_ok));
        }
    }

    #[test]
    fn stops_and_runs_where_expected() {
        assert_eq!(
            find_line_stop(b"Via: SIP/2.0/UDP host;branch=z9hG4bK1\r\n"),
            Some(37)
        );
        assert_eq!(
            find_line_stop(b"To: <sip:a@b>\t;tag=1 with a\x7f DEL here...."),
            Some(27)
        );
        assert_eq!(find_line_stop(b"no stop in these twenty bytes\t"), None);
        let phrase = b"Temporarily Unavailable; call again (later) %20 then";
        assert_eq!(reason_run(phrase, false), (44, false));
        assert_eq!(
            reason_run("Não encontrado \r\n".as_bytes(), false),
            (1, false)
        );
        assert_eq!(
            reason_run("Não encontrado \r\n".as_bytes(), true),
            (16, true)
        );
    }
}
