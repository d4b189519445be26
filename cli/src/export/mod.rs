//! `sipline export`: one row per SIP message (or per call attempt) as
//! Parquet, CSV or JSON lines, for the engines that go past one machine
//! (ClickHouse, DuckDB, Spark).
//!
//! Message rows are made on row threads (`--threads`, [`threads`], on the
//! capture crate's parallel run) or on
//! the reading thread (`--threads 1`, and call rows, which come out of one
//! call engine); full [`Batch`](table::Batch)es go through bounded channels to a writing
//! thread that encodes them, so memory holds a fixed number of batches
//! whatever the input size.

mod threads;

use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use sipline_calls::Retransmissions;
use sipline_capture::ReadOptions;

use crate::rows::call::CallRow;
use crate::rows::message::{message_fields, RowMaker};
#[cfg(feature = "parquet")]
use crate::rows::parquet;
use crate::rows::stream::StreamRow;
use crate::rows::table::{self, Field};
use crate::rows::write::{CsvOut, JsonOut, Output};

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Apache Parquet (a file, or part files in a folder).
    Parquet,
    /// CSV with a header line.
    Csv,
    /// JSON lines.
    Jsonl,
}

/// What a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum What {
    /// One row per SIP message (and per malformed one).
    Messages,
    /// One row per call attempt (`sipline calls`).
    Calls,
    /// One row per RTP stream (found by its headers among the datagrams
    /// that are not SIP; at least 4 packets).
    Streams,
}

/// `export`'s settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub format: Format,
    pub what: What,
    pub output: Option<String>,
    pub payload: bool,
    /// Rows per batch (a Parquet row group).
    pub batch_rows: usize,
    /// A Parquet part's size before the next begins (folder output).
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    pub max_file_bytes: u64,
    /// Message keys remembered to mark retransmissions.
    pub max_tracked: usize,
    /// Threads that parse datagrams and make message rows (1: the reading
    /// thread does).
    pub threads: usize,
    /// `--rotate`: a Parquet part per window of this many seconds of
    /// capture time, named by its window.
    pub rotate: Option<f64>,
}

/// RFC 3261 Timer B/F (64·T1): a copy of a message later than this after
/// the last is a new message, not a retransmission.
const RETRANSMISSION_WINDOW: f64 = 32.0;

/// Opens the output the settings name.
fn open_output(s: &Settings, fields: &'static [Field]) -> io::Result<Box<dyn Output>> {
    let to_stdout = s.output.as_deref().is_none_or(|o| o == "-");
    let file = |p: &str| -> io::Result<(BufWriter<std::fs::File>, PathBuf)> {
        let path = PathBuf::from(p);
        Ok((
            BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?),
            path,
        ))
    };
    match s.format {
        Format::Csv | Format::Jsonl if to_stdout => {
            let w = BufWriter::with_capacity(1 << 16, io::stdout());
            Ok(match s.format {
                Format::Csv => Box::new(CsvOut::new(w, fields, None)),
                _ => Box::new(JsonOut::new(w, None)),
            })
        }
        Format::Csv | Format::Jsonl => {
            let (w, path) = file(s.output.as_deref().unwrap_or_default())?;
            Ok(match s.format {
                Format::Csv => Box::new(CsvOut::new(w, fields, Some(path))),
                _ => Box::new(JsonOut::new(w, Some(path))),
            })
        }
        Format::Parquet => parquet_output(s, fields, to_stdout),
    }
}

#[cfg(feature = "parquet")]
fn parquet_output(
    s: &Settings,
    fields: &'static [Field],
    to_stdout: bool,
) -> io::Result<Box<dyn Output>> {
    let Some(o) = s.output.as_deref().filter(|_| !to_stdout) else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "Parquet needs -o FILE.parquet or -o FOLDER (part files)",
        ));
    };
    let target = if o.ends_with(".parquet") {
        parquet::Target::File(PathBuf::from(o))
    } else {
        parquet::Target::Parts {
            dir: PathBuf::from(o),
            max_bytes: s.max_file_bytes.max(1),
        }
    };
    Ok(Box::new(parquet::ParquetOut::new(
        target,
        fields,
        s.batch_rows,
    )?))
}

#[cfg(not(feature = "parquet"))]
fn parquet_output(_: &Settings, _: &'static [Field], _: bool) -> io::Result<Box<dyn Output>> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "this sipline was built without the `parquet` feature; use --format csv or jsonl",
    ))
}

/// The columns of `what`.
fn fields(what: What, payload: bool) -> &'static [Field] {
    match what {
        What::Calls => CallRow::FIELDS,
        What::Streams => StreamRow::FIELDS,
        What::Messages => message_fields(payload),
    }
}

/// `export --columns`: the schema as a markdown table.
pub fn print_columns(what: What, payload: bool) -> ExitCode {
    println!("| column | type | nullable | dictionary |\n|---|---|---|---|");
    for f in fields(what, payload) {
        println!(
            "| `{}` | {} | {} | {} |",
            f.name,
            f.ty.name(),
            if f.required { "no" } else { "yes" },
            if f.dict { "yes" } else { "no" }
        );
    }
    ExitCode::SUCCESS
}

/// Runs `export`. Exit status: 0; 2 for a usage problem, an input that
/// could not be read (the rest is still exported) or an output that could
/// not be written.
pub fn run(inputs: &[String], opts: &ReadOptions, s: &Settings) -> ExitCode {
    let fields = fields(s.what, s.payload);
    let folder = s
        .output
        .as_deref()
        .is_some_and(|o| o != "-" && !o.ends_with(".parquet"));
    if s.rotate.is_some() && !(s.format == Format::Parquet && folder && s.what == What::Messages) {
        eprintln!(
            "sipline export: --rotate writes message rows as Parquet parts: it needs \
             --format parquet, --what messages and -o FOLDER"
        );
        return ExitCode::from(crate::EXIT_USAGE);
    }
    let target = match s.output.as_deref() {
        None | Some("-") => "standard output",
        Some(p) => p,
    };
    let output = match open_output(s, fields) {
        Ok(o) => o,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::InvalidInput
                    | io::ErrorKind::Unsupported
                    | io::ErrorKind::AlreadyExists
            ) =>
        {
            eprintln!("sipline export: {e}");
            return ExitCode::from(crate::EXIT_USAGE);
        }
        Err(e) => {
            eprintln!("sipline export: cannot write {target}: {e}");
            return ExitCode::from(crate::EXIT_USAGE);
        }
    };
    let batch_rows = s.batch_rows.max(1);
    let retrans = Retransmissions::new(s.max_tracked, RETRANSMISSION_WINDOW);
    let files = crate::plan(inputs, opts);
    // Rows are made on the run's workers (messages) or on its consumer
    // thread (calls: one engine sees every message in order), and written
    // by the consumer.
    let run = sipline_capture::parallel::Options {
        threads: s.threads.max(1),
        config: opts.config,
        bodies: s.what == What::Messages,
        // Calls and streams tie media to calls by the SDP.
        sdp_bodies: matches!(s.what, What::Calls | What::Streams),
        ..Default::default()
    };
    let read = |p: &mut dyn FnMut(&str) -> Result<bool, sipline_capture::InputError>| {
        let mut errors = Vec::new();
        for f in &files {
            match p(f) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => errors.push(e),
            }
        }
        errors
    };
    let (written, errors) = match s.what {
        What::Messages => {
            let stage = || threads::RowStage {
                fields,
                maker: RowMaker::new(s.payload, opts.config),
            };
            let writer = threads::Writer {
                output,
                fields,
                batch_rows,
                retrans,
                group: table::Batch::new(fields, batch_rows),
                error: None,
                rotate: s.rotate,
                window: None,
            };
            let mut p = sipline_capture::parallel::Pipeline::start(&run, stage, writer);
            let errors =
                read(&mut |f| sipline_capture::read_source(f, opts, &mut p).map(|()| !p.stopped()));
            (p.finish(), errors)
        }
        What::Streams => {
            let writer = threads::StreamWriter::new(output, fields);
            let mut p = sipline_capture::parallel::Pipeline::start(&run, || (), writer);
            let errors =
                read(&mut |f| sipline_capture::read_source(f, opts, &mut p).map(|()| !p.stopped()));
            (p.finish(), errors)
        }
        What::Calls => {
            let writer = threads::CallWriter::new(output, fields, batch_rows);
            let mut p = sipline_capture::parallel::Pipeline::start(&run, || (), writer);
            let errors =
                read(&mut |f| sipline_capture::read_source(f, opts, &mut p).map(|()| !p.stopped()));
            (p.finish(), errors)
        }
    };
    let written =
        written.unwrap_or_else(|_| Err(io::Error::other("a thread of the export failed")));
    for e in &errors {
        eprintln!("sipline export: {e}");
    }
    match written {
        Ok(w) => {
            if !w.files.is_empty() {
                eprintln!(
                    "sipline export: {} row(s), {} byte(s) in {} file(s)",
                    w.rows,
                    w.bytes,
                    w.files.len()
                );
            }
            ExitCode::from(if errors.is_empty() {
                0
            } else {
                crate::EXIT_USAGE
            })
        }
        // A reader that stopped early (`| head`) is not a failure.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sipline export: cannot write {target}: {e}");
            ExitCode::from(crate::EXIT_USAGE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_columns_are_the_records() {
        assert_eq!(fields(What::Calls, false).len(), CallRow::FIELDS.len());
        let names: Vec<_> = fields(What::Messages, true)
            .iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names.last(), Some(&"payload"));
        assert!(!fields(What::Messages, false)
            .iter()
            .any(|f| f.name == "payload"));
    }
}
