//! Rows in columns: what a command fills as it reads, and hands whole to a
//! writer (Parquet, CSV or JSON lines) once a batch is full; and
//! [`record!`], which declares a kind of row once: its columns, their
//! types and where each value comes from.
//!
//! The columns are plain vectors, so a batch becomes Arrow arrays without a
//! copy, and CSV and JSON lines need no Arrow at all.

use std::io::{self, Write};

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

/// A value a cell takes: the type of its column, and how it goes into a
/// row. [`record!`] derives each column's type from its value's.
pub trait Value {
    /// The column's type.
    const TYPE: Type;
    /// Puts the value in the row's next column.
    fn put(self, row: Row<'_>) -> Row<'_>;
}

impl Value for Option<&str> {
    const TYPE: Type = Type::Str;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.str(self)
    }
}

/// Bytes as text, invalid UTF-8 replaced by U+FFFD.
#[derive(Clone, Copy, Debug, Default)]
pub struct Lossy<'a>(pub Option<&'a [u8]>);

impl Value for Lossy<'_> {
    const TYPE: Type = Type::Str;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.lossy(self.0)
    }
}

/// A capture time in seconds, stored in microseconds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Seconds(pub Option<f64>);

impl Value for Seconds {
    const TYPE: Type = Type::Timestamp;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.seconds(self.0)
    }
}

impl Value for Option<i32> {
    const TYPE: Type = Type::Int32;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.i32(self)
    }
}

impl Value for Option<i64> {
    const TYPE: Type = Type::Int64;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.i64(self)
    }
}

impl Value for Option<f64> {
    const TYPE: Type = Type::Float64;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.f64(self)
    }
}

impl Value for Option<bool> {
    const TYPE: Type = Type::Bool;
    #[inline]
    fn put(self, row: Row<'_>) -> Row<'_> {
        row.bool(self)
    }
}

/// Declares a kind of row once: a struct with one field per column, in
/// column order, each with its value type (which gives the column's type)
/// and its Parquet hints (`plain`, `dict`: few distinct values, `req`:
/// every row has one, `req_dict`). It gets `FIELDS` (the schema that JSON
/// lines, CSV, Parquet and `--columns` read), `column(name)` and `put`
/// (the row into a batch; columns past the batch's schema are left out).
macro_rules! record {
    (
        $(#[$meta:meta])*
        pub struct $name:ident<$lt:lifetime> {
            $( $(#[$fmeta:meta])* $field:ident : $ty:ty = $kind:ident ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, Default)]
        pub struct $name<$lt> {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl<$lt> $name<$lt> {
            /// The columns, in order.
            pub const FIELDS: &'static [$crate::rows::table::Field] = &[
                $( $crate::rows::table::Field::of(
                    stringify!($field),
                    <$ty as $crate::rows::table::Value>::TYPE,
                    $crate::rows::table::Hint::$kind,
                ), )*
            ];

            /// Where the column `name` is (`usize::MAX` when there is none).
            #[allow(dead_code)]
            pub const fn column(name: &str) -> usize {
                $crate::rows::table::position(Self::FIELDS, name)
            }

            /// Adds the row to `batch`.
            #[inline]
            #[allow(dead_code)]
            pub fn put(self, batch: &mut $crate::rows::table::Batch) {
                self.cells(batch.row()).end();
            }

            /// Fills this record's columns of `row`, from its next column
            /// on (a wider row adds its own after them).
            #[inline]
            pub fn cells(self, row: $crate::rows::table::Row<'_>) -> $crate::rows::table::Row<'_> {
                $( let row = $crate::rows::table::Value::put(self.$field, row); )*
                row
            }
        }
    };
}
pub(crate) use record;

/// How a column is stored, besides its type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(non_camel_case_types)]
pub enum Hint {
    /// Nullable, plain encoding.
    plain,
    /// Nullable, few distinct values: Parquet dictionary-encodes it.
    dict,
    /// Every row has a value.
    req,
    /// Every row has a value, and there are few distinct ones.
    req_dict,
}

impl Field {
    /// A column of a [`record!`].
    pub const fn of(name: &'static str, ty: Type, hint: Hint) -> Field {
        Field {
            name,
            ty,
            dict: matches!(hint, Hint::dict | Hint::req_dict),
            required: matches!(hint, Hint::req | Hint::req_dict),
        }
    }
}

/// `fields` and then `extra`: the schema of a record with columns added
/// after its own (`N` must be one more than `fields` has; a wrong `N`
/// fails to compile where the constant is evaluated).
pub const fn and_then<const N: usize>(fields: &[Field], extra: Field) -> [Field; N] {
    let mut all = [extra; N];
    assert!(fields.len() + 1 == N, "N is the columns and one more");
    let mut i = 0;
    while i < fields.len() {
        all[i] = fields[i];
        i += 1;
    }
    all
}

/// The index of the column `name` in `fields` (`usize::MAX`: none).
pub const fn position(fields: &[Field], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        let (a, b) = (fields[i].name.as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    usize::MAX
}

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

/// RFC 3339 text of timestamps, the date and time of day formatted once
/// per second.
#[derive(Default)]
pub struct TimeText {
    second: Option<i64>,
    prefix: String,
}

impl TimeText {
    /// Appends `micros` as [`rfc3339_micros`] does.
    pub fn push(&mut self, micros: i64, out: &mut Vec<u8>) {
        let (secs, us) = (micros.div_euclid(1_000_000), micros.rem_euclid(1_000_000));
        if self.second != Some(secs) {
            self.second = Some(secs);
            self.prefix = rfc3339_micros(secs * 1_000_000);
            // Keep "YYYY-MM-DDTHH:MM:SS."; the fraction and Z follow.
            self.prefix.truncate(self.prefix.len().saturating_sub(7));
        }
        out.extend_from_slice(self.prefix.as_bytes());
        let mut digits = [b'0'; 6];
        let mut v = us;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&digits);
        out.push(b'Z');
    }
}

/// Where finished batches go.
pub trait Output: Send {
    /// Writes a batch's rows.
    fn write(&mut self, batch: Batch) -> io::Result<()>;
    /// Ends the output (flushes, writes a Parquet footer); what was written.
    fn finish(self: Box<Self>) -> io::Result<Written>;
}

/// What an output wrote.
#[derive(Debug, Default)]
pub struct Written {
    /// Rows.
    pub rows: u64,
    /// Files written (none for standard output).
    pub files: Vec<std::path::PathBuf>,
    /// Bytes written.
    pub bytes: u64,
}

/// Counts bytes as they pass.
pub struct Counting<W> {
    pub inner: W,
    pub bytes: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// CSV with a header line (RFC 4180 quoting, by the `csv` crate); a null
/// is an empty field, a timestamp RFC 3339.
pub struct CsvOut<W: Write + Send> {
    w: csv::Writer<Counting<W>>,
    fields: &'static [Field],
    header: bool,
    rows: u64,
    record: csv::ByteRecord,
    file: Option<std::path::PathBuf>,
    times: TimeText,
}

impl<W: Write + Send> CsvOut<W> {
    /// CSV into `w` (`file`: its path, for the summary).
    pub fn new(w: W, fields: &'static [Field], file: Option<std::path::PathBuf>) -> Self {
        CsvOut {
            w: csv::Writer::from_writer(Counting { inner: w, bytes: 0 }),
            fields,
            header: false,
            rows: 0,
            record: csv::ByteRecord::new(),
            file,
            times: TimeText::default(),
        }
    }

    fn write_header(&mut self) -> io::Result<()> {
        if !self.header {
            self.header = true;
            self.record.clear();
            for f in self.fields {
                self.record.push_field(f.name.as_bytes());
            }
            self.w.write_byte_record(&self.record)?;
        }
        Ok(())
    }
}

impl<W: Write + Send> Output for CsvOut<W> {
    fn write(&mut self, batch: Batch) -> io::Result<()> {
        self.write_header()?;
        let mut text = Vec::new();
        let mut ints = itoa::Buffer::new();
        for row in 0..batch.rows {
            self.record.clear();
            for col in 0..batch.fields.len() {
                text.clear();
                match batch.cell(col, row) {
                    Cell::Null => {}
                    Cell::Str(s) => text.extend_from_slice(s.as_bytes()),
                    Cell::Int(v) => text.extend_from_slice(ints.format(v).as_bytes()),
                    // As JSON writes it (`6001.0`, not `6001`), so that a
                    // record's CSV and JSON lines say the same number.
                    Cell::Float(v) => serde_json::to_writer(&mut text, &v)?,
                    Cell::Bool(v) => text.extend_from_slice(if v { b"true" } else { b"false" }),
                    Cell::Time(us) => self.times.push(us, &mut text),
                }
                self.record.push_field(&text);
            }
            self.w.write_byte_record(&self.record)?;
        }
        self.rows += batch.rows as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Written> {
        self.write_header()?;
        self.w.flush()?;
        let inner = self.w.into_inner().map_err(|e| e.into_error())?;
        Ok(Written {
            rows: self.rows,
            files: self.file.into_iter().collect(),
            bytes: inner.bytes,
        })
    }
}

/// JSON lines: one object per row, keys in schema order, nulls as `null`,
/// timestamps RFC 3339.
pub struct JsonOut<W: Write + Send> {
    w: Counting<W>,
    rows: u64,
    line: Vec<u8>,
    file: Option<std::path::PathBuf>,
    keys: Vec<Vec<u8>>,
    times: TimeText,
}

impl<W: Write + Send> JsonOut<W> {
    /// JSON lines into `w`.
    pub fn new(w: W, file: Option<std::path::PathBuf>) -> Self {
        JsonOut {
            w: Counting { inner: w, bytes: 0 },
            rows: 0,
            line: Vec::with_capacity(4096),
            file,
            keys: Vec::new(),
            times: TimeText::default(),
        }
    }
}

impl<W: Write + Send> Output for JsonOut<W> {
    fn write(&mut self, batch: Batch) -> io::Result<()> {
        if self.keys.len() != batch.fields.len() {
            // `"name":` of every column, escaped once.
            self.keys = batch
                .fields
                .iter()
                .enumerate()
                .map(|(i, f)| {
                    let mut k = if i == 0 { b"{".to_vec() } else { b",".to_vec() };
                    let _ = serde_json::to_writer(&mut k, f.name);
                    k.push(b':');
                    k
                })
                .collect();
        }
        let mut ints = itoa::Buffer::new();
        for row in 0..batch.rows {
            let line = &mut self.line;
            line.clear();
            for (col, key) in self.keys.iter().enumerate() {
                line.extend_from_slice(key);
                match batch.cell(col, row) {
                    Cell::Null => line.extend_from_slice(b"null"),
                    Cell::Str(s) => serde_json::to_writer(&mut *line, s)?,
                    Cell::Int(v) => line.extend_from_slice(ints.format(v).as_bytes()),
                    Cell::Float(v) => serde_json::to_writer(&mut *line, &v)?,
                    Cell::Bool(v) => line.extend_from_slice(if v { b"true" } else { b"false" }),
                    Cell::Time(us) => {
                        line.push(b'"');
                        self.times.push(us, line);
                        line.push(b'"');
                    }
                }
            }
            if self.keys.is_empty() {
                line.push(b'{');
            }
            line.extend_from_slice(b"}\n");
            self.w.write_all(line)?;
        }
        self.rows += batch.rows as u64;
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> io::Result<Written> {
        self.w.flush()?;
        Ok(Written {
            rows: self.rows,
            files: self.file.into_iter().collect(),
            bytes: self.w.bytes,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    record! {
        /// The test table's row.
        pub struct TestRow<'a> {
            kind: Option<&'a str> = req_dict,
            n: Option<i32> = plain,
            big: Option<i64> = plain,
            x: Option<f64> = plain,
            ok: Option<bool> = plain,
            at: Seconds = plain,
        }
    }

    const FIELDS: [Field; 6] = [
        Field::of("kind", Type::Str, Hint::req_dict),
        Field::of("n", Type::Int32, Hint::plain),
        Field::of("big", Type::Int64, Hint::plain),
        Field::of("x", Type::Float64, Hint::plain),
        Field::of("ok", Type::Bool, Hint::plain),
        Field::of("at", Type::Timestamp, Hint::plain),
    ];

    #[test]
    fn a_record_declares_its_columns_and_fills_them_in_order() {
        let declared: Vec<_> = TestRow::FIELDS
            .iter()
            .map(|f| (f.name, f.ty, f.dict, f.required))
            .collect();
        let table: Vec<_> = FIELDS
            .iter()
            .map(|f| (f.name, f.ty, f.dict, f.required))
            .collect();
        assert_eq!(declared, table);
        assert_eq!(TestRow::column("ok"), 4);
        let (mut by_hand, mut by_record) = (Batch::new(&FIELDS, 4), Batch::new(&FIELDS, 4));
        full_row(&mut by_hand);
        TestRow {
            kind: Some("a,\"b\""),
            n: Some(-3),
            x: Some(0.25),
            ok: Some(true),
            at: Seconds(Some(1.000_001)),
            ..TestRow::default()
        }
        .put(&mut by_record);
        for (col, f) in FIELDS.iter().enumerate() {
            assert_eq!(by_hand.cell(col, 0), by_record.cell(col, 0), "{}", f.name);
        }
        let wider: [Field; 7] = and_then(&FIELDS, Field::of("more", Type::Str, Hint::plain));
        assert_eq!(wider[6].name, "more");
        assert_eq!(position(&wider, "more"), 6);
    }

    /// A row with a value or a null of every type.
    fn full_row(b: &mut Batch) {
        b.row()
            .str(Some("a,\"b\""))
            .i32(Some(-3))
            .i64(None)
            .f64(Some(0.25))
            .bool(Some(true))
            .seconds(Some(1.000_001))
            .end();
    }

    #[test]
    fn rows_cells_and_nulls() {
        let mut b = Batch::new(&FIELDS, 4);
        full_row(&mut b);
        // A short row: the rest are nulls.
        b.row().lossy(Some(b"\xffz")).end();
        assert_eq!(b.rows, 2);
        assert_eq!(b.cell(0, 0), Cell::Str("a,\"b\""));
        assert_eq!(b.cell(1, 0), Cell::Int(-3));
        assert_eq!(b.cell(2, 0), Cell::Null);
        assert_eq!(b.cell(5, 0), Cell::Time(1_000_001));
        assert_eq!(b.cell(0, 1), Cell::Str("\u{fffd}z"));
        assert_eq!(b.cell(4, 1), Cell::Null);
        assert_eq!(b.cell(9, 0), Cell::Null);
        for c in &b.columns {
            assert_eq!(c.valid.len(), 2);
        }
        // A type mismatch stores a null and keeps the columns aligned.
        b.row().i32(Some(1)).end();
        assert_eq!(b.cell(0, 2), Cell::Null);
        assert_eq!(b.cell(1, 2), Cell::Null);

        let mut csv_out = CsvOut::new(Vec::new(), &FIELDS, None);
        let mut json_out = JsonOut::new(Vec::new(), None);
        let mut again = Batch::new(&FIELDS, 1);
        full_row(&mut again);
        csv_out.write(again).unwrap();
        assert_eq!(
            String::from_utf8(csv_out.w.into_inner().unwrap().inner).unwrap(),
            "kind,n,big,x,ok,at\n\"a,\"\"b\"\"\",-3,,0.25,true,1970-01-01T00:00:01.000001Z\n"
        );
        json_out.write(b).unwrap();
        let text = String::from_utf8(json_out.w.inner).unwrap();
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(
            first,
            serde_json::json!({"kind": "a,\"b\"", "n": -3, "big": null, "x": 0.25,
                "ok": true, "at": "1970-01-01T00:00:01.000001Z"})
        );
        assert_eq!(text.lines().count(), 3);

        // A whole float is written as JSON writes it, in both formats.
        let mut whole = Batch::new(&FIELDS, 1);
        whole
            .row()
            .str(Some("w"))
            .i32(None)
            .i64(None)
            .f64(Some(6001.0))
            .end();
        let mut csv_out = CsvOut::new(Vec::new(), &FIELDS, None);
        csv_out.write(whole).unwrap();
        let csv = String::from_utf8(csv_out.w.into_inner().unwrap().inner).unwrap();
        assert_eq!(csv.lines().nth(1), Some("w,,,6001.0,,"));
    }

    #[test]
    fn split_and_append_round_trip() {
        let mut b = Batch::new(&FIELDS, 8);
        for i in 0..5 {
            b.row()
                .str(Some(&"x".repeat(i)))
                .i32(Some(i as i32))
                .i64(None)
                .f64(Some(i as f64))
                .bool(Some(i % 2 == 0))
                .seconds(None)
                .end();
        }
        // Text of the first n rows: 0, 0, 1, 3, 6, 10.
        assert_eq!(b.text_upto(4), 6);
        assert_eq!(b.cut(3, 100), Some(3));
        assert_eq!(b.cut(9, 100), None);
        assert_eq!(b.cut(9, 3), Some(3));
        assert_eq!(b.cut(9, 1), Some(2));
        let rest = b.split_off(2);
        assert_eq!((b.rows, rest.rows), (2, 3));
        assert_eq!((b.text_bytes, rest.text_bytes), (1, 9));
        assert_eq!(rest.cell(0, 0), Cell::Str("xx"));
        assert_eq!(rest.cell(1, 2), Cell::Int(4));
        assert_eq!(b.cell(0, 1), Cell::Str("x"));
        assert_eq!(b.cell(0, 2), Cell::Null);
        b.append(rest);
        assert_eq!(b.rows, 5);
        assert_eq!(b.cell(0, 4), Cell::Str("xxxx"));
        assert_eq!(b.cell(4, 3), Cell::Bool(false));
        assert_eq!(b.text_upto(5), 10);
    }

    #[test]
    fn timestamps() {
        assert_eq!(rfc3339_micros(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339_micros(1_795_609_431_869_439),
            "2026-11-25T12:23:51.869439Z"
        );
        assert_eq!(rfc3339_micros(-1), "1969-12-31T23:59:59.999999Z");
        let mut t = TimeText::default();
        let mut out = Vec::new();
        for us in [
            1_795_609_431_869_439,
            1_795_609_431_000_001,
            1_795_609_432_500_000,
            -1,
        ] {
            out.clear();
            t.push(us, &mut out);
            assert_eq!(String::from_utf8(out.clone()).unwrap(), rfc3339_micros(us));
        }
        assert_eq!(to_micros(f64::NAN), None);
        assert_eq!(to_micros(1.5), Some(1_500_000));
    }
}
