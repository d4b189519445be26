//! `export --format parquet`: a batch becomes an Arrow record batch (the
//! column vectors are handed over, not copied) and one Parquet row group.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::{
    ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, RecordBatch, StringArray,
    TimestampMicrosecondArray,
};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{ArrowError, DataType, Schema, SchemaRef, TimeUnit};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use super::table::{Batch, Data, Field, Type};
use super::write::{Output, Written};

/// The Arrow schema of a table: timestamps are µs in UTC (Parquet
/// `TIMESTAMP(isAdjustedToUTC=true, MICROS)`).
pub fn schema(fields: &[Field]) -> SchemaRef {
    Arc::new(Schema::new(
        fields
            .iter()
            .map(|f| {
                let ty = match f.ty {
                    Type::Str => DataType::Utf8,
                    Type::Int32 => DataType::Int32,
                    Type::Int64 => DataType::Int64,
                    Type::Float64 => DataType::Float64,
                    Type::Bool => DataType::Boolean,
                    Type::Timestamp => {
                        DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
                    }
                };
                arrow_schema::Field::new(f.name, ty, !f.required)
            })
            .collect::<Vec<_>>(),
    ))
}

fn nulls(valid: Vec<bool>) -> Option<NullBuffer> {
    if valid.iter().all(|&v| v) {
        None
    } else {
        Some(NullBuffer::from(valid))
    }
}

/// A batch as an Arrow record batch.
pub fn record_batch(batch: Batch, schema: &SchemaRef) -> Result<RecordBatch, ArrowError> {
    let fields = batch.fields;
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    for (f, c) in fields.iter().zip(batch.columns) {
        let n = nulls(c.valid);
        let a: ArrayRef = match c.data {
            Data::Str { bytes, offsets } => Arc::new(StringArray::try_new(
                OffsetBuffer::new(ScalarBuffer::from(offsets)),
                Buffer::from_vec(bytes),
                n,
            )?),
            Data::I32(v) => Arc::new(Int32Array::try_new(ScalarBuffer::from(v), n)?),
            Data::I64(v) if f.ty == Type::Timestamp => Arc::new(
                TimestampMicrosecondArray::try_new(ScalarBuffer::from(v), n)?.with_timezone("UTC"),
            ),
            Data::I64(v) => Arc::new(Int64Array::try_new(ScalarBuffer::from(v), n)?),
            Data::F64(v) => Arc::new(Float64Array::try_new(ScalarBuffer::from(v), n)?),
            Data::Bool(v) => Arc::new(BooleanArray::new(v.into(), n)),
        };
        arrays.push(a);
    }
    RecordBatch::try_new(schema.clone(), arrays)
}

/// Snappy, dictionary encoding only for the low-cardinality columns, one
/// row group per batch.
fn properties(fields: &[Field], rows: usize) -> WriterProperties {
    let mut p = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(rows.max(1)))
        .set_created_by(format!("sipline {}", env!("CARGO_PKG_VERSION")));
    for f in fields {
        let path = ColumnPath::from(f.name);
        p = p.set_column_dictionary_enabled(path.clone(), f.dict);
        // Min/max of unique text (Call-IDs, tags, payloads) prunes nothing
        // and costs a comparison per value; numbers, times and the
        // dictionary columns keep theirs.
        if f.ty == Type::Str && !f.dict {
            p = p.set_column_statistics_enabled(path, EnabledStatistics::None);
        }
    }
    p.build()
}

/// Where the Parquet goes: one file, or part files in a folder.
pub enum Target {
    /// One file.
    File(PathBuf),
    /// `part-00000.parquet`, … in a folder, a new part once one reaches
    /// `max_bytes` (or, rotated, once its time window is over). Each part
    /// is written as `.part-….parquet.tmp` and renamed when complete, so
    /// that an engine reading `*.parquet` in the folder never sees half a
    /// file (DuckDB, ClickHouse and Spark pass over the hidden name).
    Parts { dir: PathBuf, max_bytes: u64 },
}

/// A time as it goes in a part's name: `20261205T124100Z`.
fn compact_time(seconds: f64) -> String {
    let t = super::table::rfc3339_micros(super::table::to_micros(seconds).unwrap_or(0));
    let whole = t.split('.').next().unwrap_or_default();
    let mut out: String = whole.chars().filter(|c| !matches!(c, '-' | ':')).collect();
    out.push('Z');
    out
}

/// Parquet output.
pub struct ParquetOut {
    target: Target,
    schema: SchemaRef,
    props: WriterProperties,
    open: Option<(PathBuf, ArrowWriter<BufWriter<File>>)>,
    written: Written,
}

impl ParquetOut {
    /// A Parquet output for `fields`, row groups of up to `rows` rows.
    pub fn new(target: Target, fields: &'static [Field], rows: usize) -> io::Result<Self> {
        if let Target::Parts { dir, .. } = &target {
            std::fs::create_dir_all(dir)?;
            if let Some(old) = first_part(dir)? {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!(
                        "{} already holds {}: remove the old parts or choose another folder",
                        dir.display(),
                        old
                    ),
                ));
            }
        }
        Ok(ParquetOut {
            target,
            schema: schema(fields),
            props: properties(fields, rows),
            open: None,
            written: Written::default(),
        })
    }

    fn writer(&mut self) -> io::Result<&mut ArrowWriter<BufWriter<File>>> {
        if self.open.is_none() {
            let path = match &self.target {
                Target::File(p) => p.clone(),
                Target::Parts { dir, .. } => {
                    dir.join(format!(".part-{:05}.parquet.tmp", self.written.files.len()))
                }
            };
            let file = BufWriter::with_capacity(1 << 20, File::create(&path)?);
            let w = ArrowWriter::try_new(file, self.schema.clone(), Some(self.props.clone()))
                .map_err(io::Error::other)?;
            self.open = Some((path, w));
        }
        match &mut self.open {
            Some((_, w)) => Ok(w),
            None => Err(io::Error::other("no Parquet file open")),
        }
    }

    /// Closes the open part (named by its time `window` when rotated) and
    /// gives it its final name.
    fn close(&mut self, window: Option<(f64, f64)>) -> io::Result<()> {
        if let Some((path, w)) = self.open.take() {
            w.close().map_err(io::Error::other)?;
            let path = match &self.target {
                Target::File(_) => path,
                Target::Parts { dir, .. } => {
                    let n = self.written.files.len();
                    let name = match window {
                        Some((start, end)) => format!(
                            "part-{n:05}-{}-{}.parquet",
                            compact_time(start),
                            compact_time(end)
                        ),
                        None => format!("part-{n:05}.parquet"),
                    };
                    let done = dir.join(name);
                    std::fs::rename(&path, &done)?;
                    done
                }
            };
            self.written.bytes += std::fs::metadata(&path)?.len();
            self.written.files.push(path);
        }
        Ok(())
    }
}

/// The name of a `part-*.parquet` file already in `dir`.
fn first_part(dir: &Path) -> io::Result<Option<String>> {
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if name.starts_with("part-") && name.ends_with(".parquet") {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

impl Output for ParquetOut {
    fn write(&mut self, batch: Batch) -> io::Result<()> {
        let rows = batch.rows as u64;
        let rb = record_batch(batch, &self.schema).map_err(io::Error::other)?;
        let w = self.writer()?;
        w.write(&rb).map_err(io::Error::other)?;
        // One row group per batch: what is encoded leaves memory now.
        w.flush().map_err(io::Error::other)?;
        let size = w.bytes_written() as u64;
        self.written.rows += rows;
        if let Target::Parts { max_bytes, .. } = self.target {
            if size >= max_bytes {
                self.close(None)?;
            }
        }
        Ok(())
    }

    fn rotate(&mut self, window: (f64, f64)) -> io::Result<()> {
        self.close(Some(window))
    }

    fn finish(mut self: Box<Self>) -> io::Result<Written> {
        // An empty export is still a readable file with the schema.
        if self.open.is_none() && self.written.files.is_empty() {
            self.writer()?;
        }
        self.close(None)?;
        Ok(std::mem::take(&mut self.written))
    }
}
