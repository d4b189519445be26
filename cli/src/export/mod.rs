//! `sipline export`: one row per SIP message (or per call attempt) as
//! Parquet, CSV or JSON lines, for the engines that go past one machine
//! (ClickHouse, DuckDB, Spark).
//!
//! Message rows are made on row threads (`--threads`, [`threads`], on the
//! capture crate's parallel run) or on
//! the reading thread (`--threads 1`, and call rows, which come out of one
//! call engine); full [`Batch`]es go through bounded channels to a writing
//! thread that encodes them, so memory holds a fixed number of batches
//! whatever the input size.

pub mod table;

#[cfg(feature = "parquet")]
mod parquet;
mod threads;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasher, Hash, Hasher};
use std::io::{self, BufWriter};
use std::path::PathBuf;
use std::process::ExitCode;

use sipline::{Error, Message, StartLine};
use sipline_calls::{CallRecord, Retransmissions};
use sipline_capture::{read_path, Location, ReadOptions};

use table::{col, dict, req, Batch, CsvOut, Field, JsonOut, Output, Type};

/// The columns of message rows; `payload` (the last) only with
/// `--payload`. HOMER 11's names where it has the column (`timestamp`,
/// `src_ip`, `dst_ip`, `src_port`, `dst_port`, `protocol`, `method`,
/// `response_code`, `cid`, `cseq_method`, `caller`, `callee`, `from_user`,
/// `to_user`, `ruri_user`, `user_agent`, `payload`); the rest are the CLI's
/// JSON vocabulary (`file`, `frame`, `offset`, `kind`, `reason`, `branch`,
/// `from_tag`, `to_tag`, `body_len`, `error_kind`).
pub const MESSAGE_FIELDS: [Field; 33] = [
    col("timestamp", Type::Timestamp),
    col("src_ip", Type::Str),
    col("src_port", Type::Int32),
    col("dst_ip", Type::Str),
    col("dst_port", Type::Int32),
    dict("protocol"),
    req(dict("file")),
    col("frame", Type::Int64),
    req(col("offset", Type::Int64)),
    req(dict("kind")),
    dict("method"),
    col("response_code", Type::Int32),
    dict("reason"),
    col("ruri", Type::Str),
    col("ruri_user", Type::Str),
    col("cid", Type::Str),
    col("cseq", Type::Int64),
    dict("cseq_method"),
    col("caller", Type::Str),
    col("from_user", Type::Str),
    dict("from_host"),
    col("from_tag", Type::Str),
    col("callee", Type::Str),
    col("to_user", Type::Str),
    dict("to_host"),
    col("to_tag", Type::Str),
    col("branch", Type::Str),
    dict("user_agent"),
    col("max_forwards", Type::Int32),
    dict("content_type"),
    col("body_len", Type::Int64),
    col("msg_len", Type::Int64),
    col("retransmission", Type::Bool),
    // Keep `error_kind`, `error` and `payload` last, in this order.
];

/// [`MESSAGE_FIELDS`], the error columns, and `payload`.
pub const MESSAGE_FIELDS_ALL: [Field; 36] = {
    let mut all = [col("", Type::Str); 36];
    let mut i = 0;
    while i < MESSAGE_FIELDS.len() {
        all[i] = MESSAGE_FIELDS[i];
        i += 1;
    }
    all[33] = dict("error_kind");
    all[34] = col("error", Type::Str);
    all[35] = col("payload", Type::Str);
    all
};

/// The columns of call rows: `sipline calls --json`'s keys, typed.
pub const CALL_FIELDS: [Field; 21] = [
    req(col("call_id", Type::Str)),
    req(col("from_tag", Type::Str)),
    req(col("caller", Type::Str)),
    req(col("callee", Type::Str)),
    req(col("start", Type::Timestamp)),
    req(dict("outcome")),
    col("final_code", Type::Int32),
    dict("final_reason"),
    col("q850_cause", Type::Int32),
    col("srd_ms", Type::Float64),
    col("pdd_ms", Type::Float64),
    col("duration_ms", Type::Float64),
    col("disconnect_ms", Type::Float64),
    col("bye_code", Type::Int32),
    req(col("open_at_end", Type::Bool)),
    dict("ended_by"),
    req(col("invites", Type::Int32)),
    req(col("auth_challenges", Type::Int32)),
    req(col("redirects", Type::Int32)),
    req(col("retransmissions", Type::Int32)),
    col("flow", Type::Str),
];

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
}

/// A batch is also sent once its text reaches this (payloads are large).
pub(crate) const BATCH_TEXT_BYTES: usize = 16 << 20;

/// RFC 3261 Timer B/F (64·T1): a copy of a message later than this after
/// the last is a new message, not a retransmission.
const RETRANSMISSION_WINDOW: f64 = 32.0;

/// The fields of a message a row and its retransmission key need, each
/// parsed once.
struct Fields<'a> {
    call_id: Option<&'a [u8]>,
    cseq: Option<sipline::CSeq<'a>>,
    /// From and To, parsed (through [`AddrCache`]).
    from: Option<usize>,
    to: Option<usize>,
    /// The top Via (through [`Memos::branches`]).
    branch: Option<usize>,
    agent: Option<&'a [u8]>,
}

/// A row thread's memos.
#[derive(Default)]
struct Memos {
    addrs: AddrCache,
    /// Top Via branches, by the first Via field's value (`None` inside:
    /// a Via without a branch).
    branches: Memo<Option<Box<str>>>,
    ips: IpText,
}

impl Memos {
    fn branch(&self, i: Option<usize>) -> Option<&str> {
        self.branches.item(i)?.as_deref()
    }
}

impl<'a> Fields<'a> {
    fn of(head: &sipline::Head<'a>, memo: &mut Memos) -> Self {
        let Memos {
            addrs,
            branches,
            ips,
        } = memo;
        addrs.trim();
        branches.trim();
        // User-Agent, else Server (both indexed by the head scan).
        let agent = head
            .header("User-Agent")
            .or_else(|| head.header("Server"))
            .map(|h| h.value);
        Fields {
            call_id: head.get::<sipline::header::CallId>().and_then(Result::ok),
            cseq: head.get::<sipline::CSeq>().and_then(Result::ok),
            from: head.header("From").and_then(|f| {
                addrs.get(f.value, || {
                    head.get::<sipline::header::From>()
                        .and_then(Result::ok)
                        .map(|a| AddrCache::make(a, ips))
                })
            }),
            to: head.header("To").and_then(|t| {
                addrs.get(t.value, || {
                    head.get::<sipline::header::To>()
                        .and_then(Result::ok)
                        .map(|a| AddrCache::make(a, ips))
                })
            }),
            branch: head.header("Via").and_then(|v| {
                branches.get(v.value, || {
                    head.get::<sipline::Via>()
                        .and_then(Result::ok)
                        .map(|v| v.branch().map(Box::from))
                })
            }),
            agent,
        }
    }

    /// The message's identity for retransmission marks, hashed; `None`
    /// without a Call-ID or CSeq. Computed from the memoised top Via branch
    /// rather than `sipline_calls::message_key`, which parses the top Via
    /// whole on every message: on the benchmark slice that was 19 % more
    /// instructions for the whole export.
    fn key(&self, at: &Location<'_>, start: &StartLine<'_>, memo: &Memos) -> Option<u64> {
        let addrs = &memo.addrs;
        let branch = memo.branch(self.branch);
        let (call_id, cseq) = (self.call_id?, self.cseq?);
        let mut h = foldhash::fast::FixedState::with_seed(0x5119_11e5).build_hasher();
        at.flow.hash(&mut h);
        call_id.hash(&mut h);
        cseq.number.hash(&mut h);
        cseq.method.as_str().hash(&mut h);
        branch.hash(&mut h);
        match start {
            StartLine::Status(s) => {
                s.code.as_u16().hash(&mut h);
                addrs.tag(self.to).hash(&mut h);
            }
            StartLine::Request(r) => {
                r.method.as_str().hash(&mut h);
                if branch.is_none() {
                    addrs.tag(self.from).hash(&mut h);
                }
            }
        }
        Some(h.finish())
    }
}

/// A From or To value's parts, as text.
struct Addr {
    uri: Box<str>,
    user: Option<Box<str>>,
    host: Option<Box<str>>,
    tag: Option<Box<str>>,
}

/// Header values parsed lately, by their bytes. A dialog's messages repeat
/// their From and To byte for byte (the To gains its tag once), and a
/// transaction's responses repeat its request's Via; parsing one (URI,
/// host, parameters) costs far more than finding it here. Bounded:
/// emptied past [`Memo::MAX`] values.
struct Memo<T> {
    index: HashMap<u64, usize, foldhash::fast::FixedState>,
    /// Each value as sent (compared in full on a hit) and what it gave.
    items: Vec<(Box<[u8]>, T)>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo {
            index: HashMap::default(),
            items: Vec::new(),
        }
    }
}

impl<T> Memo<T> {
    const MAX: usize = 4096;

    /// Empties the memo once it holds [`Memo::MAX`] values. Called between
    /// messages only: the indices a message's fields hold stay valid until
    /// its row is made.
    fn trim(&mut self) {
        if self.items.len() >= Self::MAX {
            self.index.clear();
            self.items.clear();
        }
    }

    /// The item made of `raw`; `make` makes it when `raw` is not known
    /// (`None`: the value does not parse, and is not kept).
    fn get(&mut self, raw: &[u8], make: impl FnOnce() -> Option<T>) -> Option<usize> {
        let key = foldhash::fast::FixedState::with_seed(7).hash_one(raw);
        if let Some(&i) = self.index.get(&key) {
            if self.items.get(i).is_some_and(|(r, _)| **r == *raw) {
                return Some(i);
            }
        }
        let item = make()?;
        self.items.push((raw.into(), item));
        self.index.insert(key, self.items.len() - 1);
        Some(self.items.len() - 1)
    }

    fn item(&self, i: Option<usize>) -> Option<&T> {
        self.items.get(i?).map(|(_, t)| t)
    }
}

/// From and To addresses, parsed.
type AddrCache = Memo<Addr>;

impl Memo<Addr> {
    /// The address `a` as text (its host through `ips`).
    fn make(a: sipline::NameAddr<'_>, ips: &mut IpText) -> Addr {
        let mut host = String::new();
        Addr {
            uri: a.uri.as_str().into(),
            user: a.uri.user.map(Box::from),
            host: host_text(a.uri.host, ips, &mut host).map(Box::from),
            tag: a.tag().map(Box::from),
        }
    }

    fn addr(&self, i: Option<usize>) -> Option<&Addr> {
        self.item(i)
    }

    fn tag(&self, i: Option<usize>) -> Option<&str> {
        self.addr(i)?.tag.as_deref()
    }
}

/// Text of the addresses seen, so that each is formatted once.
#[derive(Default)]
struct IpText {
    index: HashMap<std::net::IpAddr, usize, foldhash::fast::FixedState>,
    texts: Vec<Box<str>>,
    /// The last two addresses asked for (a row's source and destination
    /// are mostly the previous row's), found without hashing.
    recent: [Option<(std::net::IpAddr, usize)>; 2],
    turn: usize,
}

impl IpText {
    /// The most addresses kept (the cache is emptied past it).
    const MAX: usize = 4096;

    fn get(&mut self, ip: std::net::IpAddr) -> &str {
        let hit = self
            .recent
            .iter()
            .flatten()
            .find(|(a, _)| *a == ip)
            .map(|&(_, i)| i);
        let i = match hit {
            Some(i) => i,
            None => {
                if self.texts.len() >= Self::MAX && !self.index.contains_key(&ip) {
                    self.index.clear();
                    self.texts.clear();
                    self.recent = [None, None];
                }
                let texts = &mut self.texts;
                let i = *self.index.entry(ip).or_insert_with(|| {
                    texts.push(ip.to_string().into_boxed_str());
                    texts.len() - 1
                });
                if let Some(slot) = self.recent.get_mut(self.turn) {
                    *slot = Some((ip, i));
                }
                self.turn ^= 1;
                i
            }
        };
        self.texts.get(i).map_or("", |t| t)
    }
}

/// A host as text in `buf`: a name as sent, an IPv4 address from the
/// cache, an IPv6 reference formatted.
fn host_text<'t>(
    host: Option<sipline::Host<'_>>,
    ips: &mut IpText,
    buf: &'t mut String,
) -> Option<&'t str> {
    buf.clear();
    match host? {
        sipline::Host::Name(n) => buf.push_str(n),
        sipline::Host::Ipv4(a) => buf.push_str(ips.get(a.into())),
        other => {
            let _ = write!(buf, "{other}");
        }
    }
    Some(buf.as_str())
}

/// The row of a call attempt (the columns of `CALL_FIELDS`, in order).
fn call_row(row: table::Row<'_>, r: &CallRecord) {
    row.str(Some(&r.call_id))
        .str(Some(&r.from_tag))
        .str(Some(&r.caller))
        .str(Some(&r.callee))
        .seconds(Some(r.start))
        .str(Some(r.outcome.name()))
        .i32(r.final_code.map(i32::from))
        .str(r.final_reason.as_deref())
        .i32(r.q850_cause.map(i32::from))
        .f64(r.srd_ms)
        .f64(r.pdd_ms)
        .f64(r.duration_ms)
        .f64(r.disconnect_ms)
        .i32(r.bye_code.map(i32::from))
        .bool(Some(r.open_at_end))
        .str(r.ended_by.map(|p| p.name()))
        .i32(Some(clamp(r.invites)))
        .i32(Some(clamp(r.auth_challenges)))
        .i32(Some(clamp(r.redirects)))
        .i32(Some(clamp(r.retransmissions)))
        .str(r.flow.as_deref())
        .end();
}

/// Builds message rows: one thread's caches and buffers.
#[derive(Default)]
struct RowMaker {
    /// Add the raw message.
    payload: bool,
    /// The payload's text.
    text: String,
    memo: Memos,
}

/// The column of `retransmission` in message rows.
const RETRANSMISSION_COL: usize = 32;

impl RowMaker {
    /// Adds `msg`'s row to `batch`, `retransmission` false; its
    /// transaction key, for the caller to mark retransmissions in order.
    fn message(
        &mut self,
        batch: &mut Batch,
        at: &Location<'_>,
        msg: &Message<'_>,
        wire_len: usize,
    ) -> Option<u64> {
        let head = &msg.head;
        let f = Fields::of(head, &mut self.memo);
        let key = f.key(at, &head.start_line, &self.memo);
        let (kind, method, code, reason, ruri) = match head.start_line {
            StartLine::Request(r) => ("request", Some(r.method.as_str()), None, None, Some(r.uri)),
            StartLine::Status(s) => (
                "response",
                None,
                Some(i32::from(s.code.as_u16())),
                Some(s.reason.as_bytes()),
                None,
            ),
        };
        let ruri_user = ruri
            .and_then(|u| sipline::parse_uri(u).ok())
            .and_then(|u| u.user);
        let max_forwards = head
            .get::<sipline::header::MaxForwards>()
            .and_then(Result::ok);
        let content_type = head.header("Content-Type").map(|h| h.value);
        let Memos {
            addrs,
            branches,
            ips,
        } = &mut self.memo;
        let (from, to) = (addrs.addr(f.from), addrs.addr(f.to));
        let branch = branches.item(f.branch).and_then(|b| b.as_deref());
        let row = location_cells(batch.row(), at, ips);
        let row = row
            .str(Some(kind))
            .str(method)
            .i32(code)
            .lossy(reason)
            .lossy(ruri)
            .str(ruri_user)
            .lossy(f.call_id)
            .i64(f.cseq.map(|c| i64::from(c.number)))
            .str(f.cseq.map(|c| c.method.as_str()))
            .str(from.map(|a| &*a.uri))
            .str(from.and_then(|a| a.user.as_deref()))
            .str(from.and_then(|a| a.host.as_deref()))
            .str(from.and_then(|a| a.tag.as_deref()))
            .str(to.map(|a| &*a.uri))
            .str(to.and_then(|a| a.user.as_deref()))
            .str(to.and_then(|a| a.host.as_deref()))
            .str(to.and_then(|a| a.tag.as_deref()))
            .str(branch)
            .lossy(f.agent)
            .i32(max_forwards.map(i32::from))
            .lossy(content_type)
            .i64(Some(msg.body.len() as i64))
            .i64(Some(wire_len as i64))
            .bool(Some(false))
            .str(None)
            .str(None);
        if self.payload {
            self.text.clear();
            self.text
                .push_str(&String::from_utf8_lossy(head.as_bytes()));
            self.text.push_str(&String::from_utf8_lossy(msg.body));
            row.str(Some(&self.text)).end();
        } else {
            row.end();
        }
        key
    }

    /// Adds the row of a malformed message.
    fn malformed(&mut self, batch: &mut Batch, at: &Location<'_>, err: &Error) {
        let row = location_cells(batch.row(), at, &mut self.memo.ips);
        // kind, then nulls up to the error columns.
        let mut row = row.str(Some("error"));
        for f in &MESSAGE_FIELDS[10..] {
            row = match f.ty {
                Type::Str => row.str(None),
                Type::Int32 => row.i32(None),
                Type::Int64 | Type::Timestamp => row.i64(None),
                Type::Float64 => row.f64(None),
                Type::Bool => row.bool(None),
            };
        }
        row.str(Some(err.kind().name()))
            .str(Some(&err.to_string()))
            .end();
    }
}

fn clamp(n: u32) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The first nine cells of a message row: time, addresses, protocol,
/// file, frame, offset.
fn location_cells<'b>(row: table::Row<'b>, at: &Location<'_>, ips: &mut IpText) -> table::Row<'b> {
    let row = row.seconds(at.time);
    let row = match at.flow {
        Some(f) => row
            .str(Some(ips.get(f.src.ip())))
            .i32(Some(f.src.port().into()))
            .str(Some(ips.get(f.dst.ip())))
            .i32(Some(f.dst.port().into()))
            .str(Some(f.transport.name())),
        None => row.str(None).i32(None).str(None).i32(None).str(None),
    };
    row.str(Some(at.file))
        .i64(at.frame.and_then(|n| i64::try_from(n).ok()))
        .i64(i64::try_from(at.offset).ok())
}

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
    match (what, payload) {
        (What::Calls, _) => &CALL_FIELDS,
        (What::Messages, true) => &MESSAGE_FIELDS_ALL,
        (What::Messages, false) => &MESSAGE_FIELDS_ALL[..MESSAGE_FIELDS_ALL.len() - 1],
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
    let files = sipline_capture::plan_inputs(inputs);
    // Rows are made on the run's workers (messages) or on its consumer
    // thread (calls: one engine sees every message in order), and written
    // by the consumer.
    let run = sipline_capture::parallel::Options {
        threads: s.threads.max(1),
        config: opts.config,
        bodies: s.what == What::Messages,
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
                maker: RowMaker {
                    payload: s.payload,
                    ..RowMaker::default()
                },
            };
            let writer = threads::Writer {
                output,
                fields,
                batch_rows,
                retrans,
                group: table::Batch::new(fields, batch_rows),
                error: None,
            };
            let mut p = sipline_capture::parallel::Pipeline::start(&run, stage, writer);
            let errors = read(&mut |f| read_path(f, opts, &mut p).map(|()| !p.stopped()));
            (p.finish(), errors)
        }
        What::Calls => {
            let writer = threads::CallWriter::new(output, fields, batch_rows);
            let mut p = sipline_capture::parallel::Pipeline::start(&run, || (), writer);
            let errors = read(&mut |f| read_path(f, opts, &mut p).map(|()| !p.stopped()));
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
    fn addresses_are_formatted_once_and_bounded() {
        let mut ips = IpText::default();
        let a: std::net::IpAddr = "192.0.2.1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8::2".parse().unwrap();
        for _ in 0..3 {
            assert_eq!(ips.get(a), "192.0.2.1");
            assert_eq!(ips.get(b), "2001:db8::2");
        }
        assert_eq!(ips.texts.len(), 2);
        for n in 0..5000u32 {
            let ip = std::net::IpAddr::from(n.to_be_bytes());
            assert_eq!(ips.get(ip), ip.to_string());
        }
        assert!(ips.texts.len() <= IpText::MAX);
        assert_eq!(ips.get(a), "192.0.2.1");
    }

    #[test]
    fn addresses_are_parsed_once_per_value_and_bounded() {
        let cfg = sipline::ParserConfig::lenient();
        let (mut cache, mut ips) = (AddrCache::default(), IpText::default());
        let v = b"\"A\" <sip:alice@192.0.2.1:5060>;tag=t1";
        let mut parse = |raw: &[u8]| {
            sipline::parse_name_addr(raw, &cfg)
                .ok()
                .map(|a| AddrCache::make(a, &mut ips))
        };
        let i = cache.get(v, || parse(v)).unwrap();
        // Known now: the parser is not asked again.
        assert_eq!(cache.get(v, || None), Some(i));
        let a = cache.addr(Some(i)).unwrap();
        assert_eq!(
            (
                &*a.uri,
                a.user.as_deref(),
                a.host.as_deref(),
                a.tag.as_deref()
            ),
            (
                "sip:alice@192.0.2.1:5060",
                Some("alice"),
                Some("192.0.2.1"),
                Some("t1")
            )
        );
        // Another value is another entry; one that does not parse is none.
        let w = b"<sip:bob@example.com>";
        let j = cache.get(w, || parse(w));
        assert_ne!(j, Some(i));
        assert_eq!(cache.tag(j), None);
        assert_eq!(cache.get(b"<bad", || None), None);
        for n in 0..5000 {
            let raw = format!("<sip:u{n}@h>");
            cache.trim();
            let k = cache.get(raw.as_bytes(), || parse(raw.as_bytes()));
            assert_eq!(cache.addr(k).map(|a| &*a.uri), Some(&raw[1..raw.len() - 1]));
        }
        assert!(cache.items.len() <= AddrCache::MAX);
    }

    /// A message's From and To stay its own when the memo fills up in
    /// between (it is emptied between messages, never inside one).
    #[test]
    fn a_full_memo_keeps_the_fields_of_the_message() {
        let mut memo = Memos::default();
        for n in 0..AddrCache::MAX - 1 {
            let raw = format!("<sip:u{n}@h>");
            memo.addrs.get(raw.as_bytes(), || {
                Some(Addr {
                    uri: raw.clone().into(),
                    user: None,
                    host: None,
                    tag: None,
                })
            });
        }
        let buf = b"BYE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\n\
            From: <sip:from@h>;tag=1\r\nTo: <sip:to@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 BYE\r\n\r\n";
        let head = sipline::parse_head(buf, &sipline::ParserConfig::lenient())
            .ok()
            .and_then(|p| p.value())
            .unwrap();
        for _ in 0..2 {
            let f = Fields::of(&head, &mut memo);
            assert_eq!(memo.addrs.addr(f.from).map(|a| &*a.uri), Some("sip:from@h"));
            assert_eq!(memo.addrs.addr(f.to).map(|a| &*a.uri), Some("sip:to@h"));
            assert_eq!(memo.branch(f.branch), Some("z9hG4bKx"));
        }
        assert!(memo.addrs.items.len() <= 3, "emptied once full");
    }

    #[test]
    fn schemas() {
        let names: Vec<_> = MESSAGE_FIELDS_ALL.iter().map(|f| f.name).collect();
        assert_eq!(names[33..], ["error_kind", "error", "payload"]);
        assert!(names.iter().all(|n| !n.is_empty()));
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len());
        let calls: Vec<_> = CALL_FIELDS.iter().map(|f| f.name).collect();
        assert_eq!(calls, crate::calls::COLUMNS);
    }
}
