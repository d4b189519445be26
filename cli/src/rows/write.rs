//! Where finished batches go: the [`Output`] trait and the JSON lines and
//! CSV writers (Parquet is `parquet.rs`).

use std::io::{self, Write};

use super::table::{rfc3339_micros, Batch, Cell, Field};

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
    /// Closes the part being written, whose rows span the time window
    /// `[start, end)` (seconds since the epoch): the next rows begin a new
    /// part. Only part outputs rotate; the others ignore it.
    fn rotate(&mut self, _window: (f64, f64)) -> io::Result<()> {
        Ok(())
    }
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
    use crate::rows::record::{and_then, position, record, Hint, Seconds};
    use crate::rows::table::{to_micros, Type};

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
