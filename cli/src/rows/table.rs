//! Rows in columns: what a command fills as it reads, and hands whole to a
//! writer (Parquet, CSV or JSON lines, `write.rs`) once a batch is full.
//!
//! The columns are plain vectors, so a batch becomes Arrow arrays without a
//! copy, and CSV and JSON lines need no Arrow at all.

/// A column's type, the same in every format: Parquet stores it as the
/// matching physical and logical type; CSV and JSON lines write it as text,
/// a number, `true`/`false`, or RFC 3339 for timestamps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Type {
    /// UTF-8 text.
    Str,
    /// A 32-bit signed integer.
    Int32,
    /// A 64-bit signed integer.
    Int64,
    /// A 64-bit float.
    Float64,
    /// `true` or `false`.
    Bool,
    /// Microseconds since the epoch, UTC.
    Timestamp,
}

impl Type {
    /// The name the column table of docs/export.md uses.
    pub const fn name(self) -> &'static str {
        match self {
            Type::Str => "string",
            Type::Int32 => "int32",
            Type::Int64 => "int64",
            Type::Float64 => "float64",
            Type::Bool => "boolean",
            Type::Timestamp => "timestamp (µs, UTC)",
        }
    }
}

/// One column of a table.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The column name (HOMER 11's where it has one).
    pub name: &'static str,
    /// Its type.
    pub ty: Type,
    /// Few distinct values: Parquet dictionary-encodes it.
    pub dict: bool,
    /// Every row has a value.
    pub required: bool,
}

/// A column's values.
#[derive(Debug)]
pub enum Data {
    /// Concatenated UTF-8 and the offsets (one more than the rows).
    Str { bytes: Vec<u8>, offsets: Vec<i32> },
    /// 32-bit integers.
    I32(Vec<i32>),
    /// 64-bit integers and timestamps.
    I64(Vec<i64>),
    /// Floats.
    F64(Vec<f64>),
    /// Booleans.
    Bool(Vec<bool>),
}

/// A column: values, and which are present.
#[derive(Debug)]
pub struct Column {
    /// The values; a null's slot holds a default.
    pub data: Data,
    /// `false` for a null.
    pub valid: Vec<bool>,
}

/// A batch of rows, column by column.
#[derive(Debug)]
pub struct Batch {
    /// The schema.
    pub fields: &'static [Field],
    /// One per field.
    pub columns: Vec<Column>,
    /// Complete rows.
    pub rows: usize,
    /// Bytes of text held (to bound a batch by memory as well as rows).
    pub text_bytes: usize,
}

impl Batch {
    /// An empty batch with room for `rows`.
    pub fn new(fields: &'static [Field], rows: usize) -> Batch {
        let columns = fields
            .iter()
            .map(|f| Column {
                data: match f.ty {
                    Type::Str => {
                        let mut offsets = Vec::with_capacity(rows + 1);
                        offsets.push(0);
                        Data::Str {
                            bytes: Vec::new(),
                            offsets,
                        }
                    }
                    Type::Int32 => Data::I32(Vec::with_capacity(rows)),
                    Type::Int64 | Type::Timestamp => Data::I64(Vec::with_capacity(rows)),
                    Type::Float64 => Data::F64(Vec::with_capacity(rows)),
                    Type::Bool => Data::Bool(Vec::with_capacity(rows)),
                },
                valid: Vec::with_capacity(rows),
            })
            .collect();
        Batch {
            fields,
            columns,
            rows: 0,
            text_bytes: 0,
        }
    }

    /// Sets a boolean cell (no-op out of range or on another type).
    pub fn set_bool(&mut self, col: usize, row: usize, v: bool) {
        if let Some(Column {
            data: Data::Bool(d),
            valid,
        }) = self.columns.get_mut(col)
        {
            if let (Some(x), Some(ok)) = (d.get_mut(row), valid.get_mut(row)) {
                *x = v;
                *ok = true;
            }
        }
    }

    /// Appends `other`'s rows (same schema).
    pub fn append(&mut self, other: Batch) {
        for (c, o) in self.columns.iter_mut().zip(other.columns) {
            c.valid.extend_from_slice(&o.valid);
            match (&mut c.data, o.data) {
                (
                    Data::Str { bytes, offsets },
                    Data::Str {
                        bytes: ob,
                        offsets: oo,
                    },
                ) => {
                    let base = i32::try_from(bytes.len()).unwrap_or(i32::MAX);
                    bytes.extend_from_slice(&ob);
                    offsets.extend(oo.iter().skip(1).map(|o| o.saturating_add(base)));
                }
                (Data::I32(d), Data::I32(od)) => d.extend_from_slice(&od),
                (Data::I64(d), Data::I64(od)) => d.extend_from_slice(&od),
                (Data::F64(d), Data::F64(od)) => d.extend_from_slice(&od),
                (Data::Bool(d), Data::Bool(od)) => d.extend_from_slice(&od),
                // Schemas differ: a bug; the columns stay aligned with nulls.
                (_, _) => {
                    c.valid.truncate(self.rows);
                    for _ in 0..other.rows {
                        push_null(c);
                    }
                }
            }
        }
        self.rows += other.rows;
        self.text_bytes += other.text_bytes;
    }

    /// Bytes of text in the first `n` rows.
    pub fn text_upto(&self, n: usize) -> usize {
        self.columns
            .iter()
            .map(|c| match &c.data {
                Data::Str { offsets, .. } => offsets.get(n).map_or(0, |&o| o.max(0) as usize),
                _ => 0,
            })
            .sum()
    }

    /// Where a full batch ends: the first `n` at which `n` reaches `rows`
    /// or the text of the first `n` rows reaches `text` (the rule a batch
    /// filled row by row ships by), if this batch gets that far.
    pub fn cut(&self, rows: usize, text: usize) -> Option<usize> {
        if self.rows == 0 {
            return None;
        }
        let by_rows = rows.max(1).min(self.rows + 1);
        // The text of the first n rows grows with n: a binary search.
        let (mut lo, mut hi) = (1, self.rows + 1);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.text_upto(mid) >= text {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        let n = by_rows.min(lo);
        (n <= self.rows).then_some(n)
    }

    /// Splits the rows from `n` on off into a new batch; this one keeps
    /// the first `n` (the tail is copied, the head stays where it is).
    pub fn split_off(&mut self, n: usize) -> Batch {
        let mut rest = Batch::new(self.fields, 0);
        if n >= self.rows {
            return rest;
        }
        for (c, r) in self.columns.iter_mut().zip(rest.columns.iter_mut()) {
            r.valid = c.valid.split_off(n);
            match (&mut c.data, &mut r.data) {
                (
                    Data::Str { bytes, offsets },
                    Data::Str {
                        bytes: rb,
                        offsets: ro,
                    },
                ) => {
                    let cut = offsets.get(n).copied().unwrap_or(0);
                    *rb = bytes.split_off((cut.max(0) as usize).min(bytes.len()));
                    ro.clear();
                    ro.extend(offsets.iter().skip(n).map(|o| o - cut));
                    offsets.truncate(n + 1);
                }
                (Data::I32(d), Data::I32(rd)) => *rd = d.split_off(n),
                (Data::I64(d), Data::I64(rd)) => *rd = d.split_off(n),
                (Data::F64(d), Data::F64(rd)) => *rd = d.split_off(n),
                (Data::Bool(d), Data::Bool(rd)) => *rd = d.split_off(n),
                _ => {}
            }
        }
        rest.rows = self.rows - n;
        self.rows = n;
        let head = self.text_upto(n);
        rest.text_bytes = self.text_bytes.saturating_sub(head);
        self.text_bytes = head;
        rest
    }

    /// Starts a row: fill every column in schema order, then
    /// [`Row::end`].
    pub fn row(&mut self) -> Row<'_> {
        Row { batch: self, at: 0 }
    }
}

/// A row being filled, column after column.
pub struct Row<'b> {
    batch: &'b mut Batch,
    at: usize,
}

impl Row<'_> {
    /// The next column, which must be of type `want` (a mismatch is a bug
    /// of the schema table; the value is stored as a null, never a panic).
    #[inline]
    fn next(&mut self) -> Option<&mut Column> {
        let i = self.at;
        self.at += 1;
        self.batch.columns.get_mut(i)
    }

    /// Text (`None`: null).
    #[inline]
    pub fn str(mut self, v: Option<&str>) -> Self {
        let mut added = 0;
        if let Some(c) = self.next() {
            if let Data::Str { bytes, offsets } = &mut c.data {
                if let Some(s) = v {
                    bytes.extend_from_slice(s.as_bytes());
                    added = s.len();
                }
                offsets.push(i32::try_from(bytes.len()).unwrap_or(i32::MAX));
                c.valid.push(v.is_some());
            } else {
                push_null(c);
            }
        }
        self.batch.text_bytes += added;
        self
    }

    /// Bytes as text, invalid UTF-8 replaced by U+FFFD.
    #[inline]
    pub fn lossy(self, v: Option<&[u8]>) -> Self {
        match v {
            None => self.str(None),
            Some(b) => match std::str::from_utf8(b) {
                Ok(s) => self.str(Some(s)),
                Err(_) => self.str(Some(&String::from_utf8_lossy(b))),
            },
        }
    }

    /// A fixed-width value into the next column, whose vector `slot`
    /// picks (`None` from `slot`: another type, stored as a null).
    #[inline]
    fn fixed<T: Copy + Default>(
        mut self,
        v: Option<T>,
        slot: fn(&mut Data) -> Option<&mut Vec<T>>,
    ) -> Self {
        if let Some(c) = self.next() {
            match slot(&mut c.data) {
                Some(d) => {
                    d.push(v.unwrap_or_default());
                    c.valid.push(v.is_some());
                }
                None => push_null(c),
            }
        }
        self
    }

    /// A 32-bit integer.
    #[inline]
    pub fn i32(self, v: Option<i32>) -> Self {
        self.fixed(v, |d| match d {
            Data::I32(d) => Some(d),
            _ => None,
        })
    }

    /// A 64-bit integer, or a timestamp in microseconds.
    #[inline]
    pub fn i64(self, v: Option<i64>) -> Self {
        self.fixed(v, |d| match d {
            Data::I64(d) => Some(d),
            _ => None,
        })
    }

    /// A capture time in seconds, stored in microseconds.
    #[inline]
    pub fn seconds(self, v: Option<f64>) -> Self {
        self.i64(v.and_then(to_micros))
    }

    /// A float (not finite: null).
    #[inline]
    pub fn f64(self, v: Option<f64>) -> Self {
        self.fixed(v.filter(|x| x.is_finite()), |d| match d {
            Data::F64(d) => Some(d),
            _ => None,
        })
    }

    /// A boolean.
    #[inline]
    pub fn bool(self, v: Option<bool>) -> Self {
        self.fixed(v, |d| match d {
            Data::Bool(d) => Some(d),
            _ => None,
        })
    }

    /// Ends the row: columns not filled get a null.
    pub fn end(mut self) {
        while self.at < self.batch.columns.len() {
            if let Some(c) = self.next() {
                push_null(c);
            }
        }
        self.batch.rows += 1;
    }
}

/// A batch is also sent once its text reaches this (payloads are large).
pub const BATCH_TEXT_BYTES: usize = 16 << 20;

/// Seconds to whole microseconds (none for what is not a time).
pub fn to_micros(seconds: f64) -> Option<i64> {
    let us = (seconds * 1e6).round();
    (us.is_finite() && us.abs() < 9.0e18).then_some(us as i64)
}

fn push_null(c: &mut Column) {
    c.valid.push(false);
    match &mut c.data {
        Data::Str { bytes, offsets } => {
            offsets.push(i32::try_from(bytes.len()).unwrap_or(i32::MAX))
        }
        Data::I32(d) => d.push(0),
        Data::I64(d) => d.push(0),
        Data::F64(d) => d.push(0.0),
        Data::Bool(d) => d.push(false),
    }
}

/// One cell, borrowed from a batch.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cell<'a> {
    /// No value.
    Null,
    /// Text.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Microseconds since the epoch.
    Time(i64),
}

impl Batch {
    /// The cell at `row` of column `col` (null out of range).
    pub fn cell(&self, col: usize, row: usize) -> Cell<'_> {
        let (Some(c), Some(f)) = (self.columns.get(col), self.fields.get(col)) else {
            return Cell::Null;
        };
        if !c.valid.get(row).copied().unwrap_or(false) {
            return Cell::Null;
        }
        match &c.data {
            Data::Str { bytes, offsets } => {
                let (Some(&a), Some(&b)) = (offsets.get(row), offsets.get(row + 1)) else {
                    return Cell::Null;
                };
                let text = bytes
                    .get(a as usize..b as usize)
                    .and_then(|s| std::str::from_utf8(s).ok());
                text.map_or(Cell::Null, Cell::Str)
            }
            Data::I32(d) => d.get(row).map_or(Cell::Null, |&v| Cell::Int(v.into())),
            Data::I64(d) => d.get(row).map_or(Cell::Null, |&v| {
                if f.ty == Type::Timestamp {
                    Cell::Time(v)
                } else {
                    Cell::Int(v)
                }
            }),
            Data::F64(d) => d.get(row).map_or(Cell::Null, |&v| Cell::Float(v)),
            Data::Bool(d) => d.get(row).map_or(Cell::Null, |&v| Cell::Bool(v)),
        }
    }
}

/// Microseconds since the epoch as RFC 3339 UTC with microseconds
/// (`2026-11-26T00:27:15.000001Z`).
pub fn rfc3339_micros(micros: i64) -> String {
    let (secs, us) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days to a civil date (the proleptic Gregorian calendar).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{us:06}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
