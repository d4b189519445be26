//! The index of the header fields a proxy reads: filled while a head is
//! scanned, it lets a lookup go straight to a field's first occurrence.

use crate::header::field::{trim, HeaderField};

use super::span::slice;

/// The header fields a proxy reads, as the scan found them: for each, where
/// its first field's name starts and how many fields it has. Filled by
/// [`StreamDecoder`](crate::StreamDecoder) and kept in the
/// [`OwnedMessage`](crate::OwnedMessage).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct HeaderIndex {
    pub(crate) slots: [Slot; SLOTS],
    /// `false` when the scan did not index (`parse_head_into`, whose caller
    /// has every field already): lookups then walk the fields.
    pub(crate) built: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Slot {
    /// Where the first field's name starts (from the message's start).
    pub(crate) name: u32,
    /// Where the first field ends (its value's last byte, line end excluded).
    pub(crate) end: u32,
    /// The name's length (indexed names are at most 12 bytes).
    pub(crate) name_len: u8,
    /// How many fields (saturating); 0: absent.
    pub(crate) count: u16,
}

/// The number of slots of a [`HeaderIndex`].
const SLOTS: usize = 15;

/// The slot a header name falls in, from its length and first letter alone
/// (a few instructions per field while scanning). Each indexed name (Via,
/// From, To, Call-ID, CSeq, Max-Forwards, Contact, Route, Record-Route,
/// Content-Type, Reason, Expires, Date, User-Agent, Server, and the compact
/// forms v, f, t, i, m, c) falls in its own slot; other names may share it, which is why a
/// lookup compares the name it finds there.
#[inline(always)]
pub(crate) fn class_of(name: &[u8]) -> Option<usize> {
    let first = name.first()? | 0x20;
    let second = name.get(1).map_or(0, |c| c | 0x20);
    Some(match (name.len(), first) {
        (1, b'v') | (3, b'v') => 0,
        (1, b'f') | (4, b'f') => 1,
        (1, b't') | (2, b't') => 2,
        (1, b'i') => 3,
        (7, b'c') if second == b'a' => 3,
        (4, b'c') => 4,
        (12, b'm') => 5,
        (1, b'm') | (7, b'c') => 6,
        (5, b'r') => 7,
        (12, b'r') => 8,
        (1, b'c') | (12, b'c') => 9,
        (6, b'r') => 10,
        (7, b'e') => 11,
        (4, b'd') => 12,
        (10, b'u') => 13,
        (6, b's') => 14,
        _ => return None,
    })
}

impl Slot {
    /// The first field of the slot, from the head's bytes: the name, then
    /// the value after the colon, trimmed.
    #[inline]
    pub(crate) fn field(self, bytes: &[u8]) -> HeaderField<'_> {
        let start = self.name as usize;
        let name_end = start + usize::from(self.name_len);
        let rest = slice(bytes, (name_end, self.end as usize));
        // The colon follows the name, after white space at most: a few bytes.
        let colon = rest
            .iter()
            .position(|&b| b == b':')
            .map_or(rest.len(), |c| c + 1);
        HeaderField {
            name: slice(bytes, (start, name_end)),
            value: trim(rest.get(colon..).unwrap_or_default()),
        }
    }
}

impl HeaderIndex {
    /// The slot of `name`'s class.
    #[inline]
    pub(crate) fn get(&self, name: &[u8]) -> Option<Slot> {
        if !self.built {
            return None;
        }
        self.slots.get(class_of(name)?).copied()
    }
}

impl HeaderIndex {
    /// Notes a field: its name's span and where the field ends.
    #[inline(always)]
    pub(crate) fn note(&mut self, msg: &[u8], name: (usize, usize), end: usize) {
        let Some(slot) = class_of(slice(msg, name)).and_then(|k| self.slots.get_mut(k)) else {
            return;
        };
        if slot.count == 0 {
            // Offsets fit: a head is far below 4 GiB (`max_head_len`); a
            // wrong span would only resolve to an empty slice.
            slot.name = name.0 as u32;
            slot.name_len = (name.1 - name.0) as u8;
            slot.end = end as u32;
        }
        slot.count = slot.count.saturating_add(1);
    }
}
