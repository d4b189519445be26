//! `sipline`: parse, check and summarise SIP traffic.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sipline::ParserConfig;

// The modules in layer order (tests/layering.rs at the workspace root
// checks it): the JSON vocabulary, the media seen (which the rows carry)
// and the row vocabulary first, then one module per command.
mod json;
mod media;
mod rows;
mod lines;
mod parse;
mod stats;
mod calls;
mod export;
mod watch;
mod flow;
mod report;

/// Exit status for usage and I/O problems.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "sipline",
    version,
    about = "Parse, check and summarise SIP traffic"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse the status line at the start of FILE (or standard input) and print it as JSON.
    ///
    /// Exit status: 0 complete, 1 malformed, 3 incomplete, 2 usage or I/O problem.
    Parse {
        #[command(flatten)]
        mode: Mode,
        /// The input; standard input when absent or `-`.
        file: Option<PathBuf>,
    },
    /// Summarise SIP traffic: responses by class and code, requests by method, malformed messages.
    ///
    /// INPUT is a pcap or pcapng capture (recognised by its magic number), a raw
    /// byte stream of SIP messages, a folder (its .pcap/.pcapng files), or `-`.
    /// UDP datagrams and reassembled TCP streams are read; SIP is recognised on
    /// any port by its start line unless --port narrows it. IP fragments are
    /// counted as skipped, not reassembled. Exit status: 0, or 2 when an input
    /// could not be read to its end (the counts so far are still printed).
    Stats {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// One JSON document instead of the table.
        #[arg(long)]
        json: bool,
        /// Follow calls: attempts by outcome, finals by attempt, the RFC 6076
        /// metrics and ASR/NER/PDD (`"calls"` in --json). The default; the
        /// call engine runs on a second thread.
        #[arg(long, conflicts_with = "no_calls")]
        calls: bool,
        /// Leave the calls section out (the reading thread then does no
        /// call work at all).
        #[arg(long)]
        no_calls: bool,
        /// With the calls section, the metrics per caller (From URI), callee
        /// (To URI) or peer (the address INVITEs went to), RFC 6076 §5.1.
        #[arg(long, value_parser = ["caller", "callee", "peer"], conflicts_with = "no_calls")]
        by: Option<String>,
        /// Threads that parse datagrams, besides the one reading the
        /// captures (which also frames TCP) and the one counting; the
        /// counts are the same whatever the number. 1: everything on one
        /// thread. Default: the number of cores.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
        /// Captures, streams or folders (read in the order of their first
        /// packet); standard input when absent.
        inputs: Vec<String>,
    },
    /// One row per call attempt (INVITE without a To tag): outcome, final
    /// response, RFC 6076 SRD, PDD, duration, who hung up.
    ///
    /// Challenge retries, redirects and retransmissions fold into one
    /// attempt; a proxy's other legs are not counted again. `--json` prints
    /// JSON lines, `--csv` CSV with a header; the columns are the same.
    /// Exit status: 0, or 2 for an input that could not be read.
    Calls {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// JSON lines.
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV with a header line.
        #[arg(long)]
        csv: bool,
        /// Add each attempt's slice (caller: From URI, callee: To URI, peer:
        /// the address the INVITE went to; RFC 6076 §5.1) as a `slice`
        /// key or last column; the table ends with the metrics per slice.
        #[arg(long, value_parser = ["caller", "callee", "peer"])]
        by: Option<String>,
        /// Captures, streams or folders (read in the order of their first
        /// packet); standard input when absent.
        inputs: Vec<String>,
    },
    /// Write one row per SIP message (or per call attempt) as Parquet, CSV
    /// or JSON lines, for ClickHouse, DuckDB, Spark and the like.
    ///
    /// Memory stays bounded whatever the input: rows go out in batches (a
    /// Parquet row group each). Parquet goes to `-o FILE.parquet`, or to
    /// `-o FOLDER` as `part-00000.parquet`, … of about --max-file-mb each;
    /// CSV and JSON lines go to `-o FILE` or standard output (`-o -`, the
    /// default). docs/export.md lists the columns and their types. Exit
    /// status: 0, or 2 for a usage problem, an input that could not be read
    /// (the rest is still exported) or an output that could not be written.
    Export {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// The output format.
        #[arg(long, value_enum, default_value_t = export::Format::Parquet)]
        format: export::Format,
        /// One row per message, or per call attempt (the columns of
        /// `sipline calls --json`).
        #[arg(long, value_enum, default_value_t = export::What::Messages)]
        what: export::What,
        /// Where the rows go: a file, a folder of Parquet parts, or `-`.
        #[arg(short = 'o', long = "output")]
        output: Option<String>,
        /// Add the raw message (`payload`, as UTF-8 text) to message rows.
        #[arg(long)]
        payload: bool,
        /// Print the columns (name, type, nullable, dictionary-encoded) as
        /// a markdown table, and read nothing.
        #[arg(long)]
        columns: bool,
        /// Rows per batch: a Parquet row group.
        #[arg(long, default_value_t = 65_536, value_parser = clap::value_parser!(u32).range(1..))]
        batch_rows: u32,
        /// With `-o FOLDER`: a new part file once one reaches this size.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
        max_file_mb: u64,
        /// Messages remembered to mark retransmissions (the oldest are
        /// forgotten past it; a key costs about 40 bytes).
        #[arg(long, default_value_t = 1_000_000)]
        max_tracked: usize,
        /// With -o FOLDER (Parquet, message rows): a part per window of
        /// capture time (`60s`, `5m`, `1h`), aligned on the epoch, named by
        /// its window (`part-00003-20261205T124100Z-20261205T124200Z.parquet`),
        /// besides the size split. Every part is written under a hidden
        /// temporary name and renamed when complete.
        #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
        rotate: Option<std::time::Duration>,
        /// Threads that parse datagrams and make message rows, besides
        /// the reading and the writing one; the rows are the same whatever
        /// the number. 1: rows are made on the reading thread. Default: the
        /// number of cores. Call rows come from one call engine, on the
        /// reading thread.
        #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
        threads: Option<u16>,
        /// Captures, streams or folders (read in the order of their first
        /// packet); standard input when absent.
        inputs: Vec<String>,
    },
    /// Watch a live source (-i IFACE, --hep-listen ADDR, --follow FILE)
    /// until SIGINT or SIGTERM: every --every, what happened in that window
    /// and since the start (messages by method and class, calls by outcome,
    /// SER, SEER, NER, ASR, SRD and PDD p50/p95, the top failing codes and
    /// peers, malformed and not-read counts). A screen redrawn in place on a
    /// terminal; one JSON object per window (stats --json's vocabulary plus
    /// window_start, window_end, since_start) when piped or with --json.
    /// --metrics serves the same to Prometheus.
    ///
    /// Exit status: 0 once stopped (the last window, closed at the stop, is
    /// printed with "final": true), 2 usage problem or a source that cannot
    /// be read.
    Watch {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// The window's length (`10s`, `1m`, `500ms`).
        #[arg(long, default_value = "10s", value_parser = parse_duration)]
        every: std::time::Duration,
        /// One JSON object per window, even on a terminal.
        #[arg(long)]
        json: bool,
        /// With `peer`: the top failing peers of each window too.
        #[arg(long, value_parser = ["peer"])]
        by: Option<String>,
        /// RFC 3261's T1 in seconds: an attempt ends (and is counted by
        /// outcome) once decided and idle for 64·T1 (32 s by default), when
        /// no retransmission or late BYE can change it any more.
        #[arg(long, value_name = "SECONDS", default_value_t = 0.5)]
        t1: f64,
        /// Serve /metrics in Prometheus' text format on this address (a
        /// bare port: on loopback).
        #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
        metrics: Option<std::net::SocketAddr>,
        /// A capture being written (with --follow), or none with -i or
        /// --hep-listen.
        inputs: Vec<String>,
    },
    /// Draw calls as ladders: columns the endpoints (address:port, with
    /// the User-Agent or Server), rows the messages in capture time, arrows
    /// labelled with the method or `code reason`, the time since the first
    /// message and the gap to the previous, retransmissions marked, and each
    /// call's outcome. Legs of one call through a proxy share a ladder.
    /// Colours by class on a terminal, plain text when piped.
    ///
    /// Exit status: 0 drawn, 1 no call matches, 2 usage problem or an input
    /// that cannot be read.
    Flow {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// The call with this Call-ID (repeatable).
        #[arg(long = "call-id", value_name = "CALL-ID")]
        call_ids: Vec<String>,
        /// Calls with this outcome.
        #[arg(long, value_parser = ["established", "failed", "redirected", "challenge-unanswered", "cancelled", "timed-out", "pending", "truncated"])]
        outcome: Option<String>,
        /// Calls with this final status code.
        #[arg(long, value_parser = clap::value_parser!(u16).range(100..=699))]
        code: Option<u16>,
        /// Calls whose caller (From URI) contains this.
        #[arg(long)]
        caller: Option<String>,
        /// Calls whose callee (To URI) contains this.
        #[arg(long)]
        callee: Option<String>,
        /// Calls started at or after this time (RFC 3339: 2026-12-05T12:00:00Z).
        #[arg(long, value_parser = parse_time)]
        since: Option<f64>,
        /// Calls started before this time (RFC 3339).
        #[arg(long, value_parser = parse_time)]
        until: Option<f64>,
        /// The most calls drawn (the first to start).
        #[arg(long, default_value_t = 20)]
        max_calls: usize,
        /// The width to fit (default: $COLUMNS, else 120).
        #[arg(long)]
        width: Option<usize>,
        /// Colours: auto (on a terminal), always or never.
        #[arg(long, value_parser = ["auto", "always", "never"], default_value = "auto")]
        color: String,
        /// Each message's text under its arrow.
        #[arg(long)]
        full: bool,
        /// Write the ladders to this file as SVG (each message's text shown
        /// on hover; with --full, under its arrow) instead of the terminal.
        #[arg(long, value_name = "FILE")]
        svg: Option<PathBuf>,
        /// Captures, streams or folders.
        inputs: Vec<String>,
    },
    /// Write one self-contained HTML report for a ticket: the summary and
    /// what could not be read, the RFC 6076 figures and ASR/NER, calls by
    /// outcome over time, SRD and PDD distributions, the top failing codes
    /// and peers, and the table of calls (sortable, filterable), each row
    /// opening its ladder. Opens with no network access.
    ///
    /// Exit status: 0 written, 2 usage problem or an input that cannot be
    /// read (the report is still written).
    Report {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// The HTML file to write.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: PathBuf,
        /// Replace users, numbers and addresses (and Call-IDs, which carry
        /// them) with stable pseudonyms: the same value, the same pseudonym
        /// within the report.
        #[arg(long)]
        redact: bool,
        /// Calls listed in the table (the first in time order; the rest
        /// are counted in every figure).
        #[arg(long, default_value_t = 100_000)]
        max_rows: usize,
        /// Calls whose ladder the report keeps (those that did not succeed
        /// first).
        #[arg(long, default_value_t = 10_000)]
        max_ladders: usize,
        /// Messages drawn in one ladder (the first; the ladder says how
        /// many more the call had).
        #[arg(long, default_value_t = 200)]
        max_ladder_messages: usize,
        /// Captures, streams or folders.
        inputs: Vec<String>,
    },
    /// Parse every SIP message and print each problem with its location.
    ///
    /// Exit status: 0 no problem, 1 any malformed message, TCP gap or truncated
    /// input, 2 usage problem.
    Check {
        #[command(flatten)]
        mode: Mode,
        #[command(flatten)]
        capture: CaptureArgs,
        /// Captures, streams or folders (read in the order of their first
        /// packet); standard input when absent.
        inputs: Vec<String>,
    },
    /// Frame FILE (or standard input) into SIP messages: one JSON object per line.
    ///
    /// The input is a TCP/TLS byte stream (CRLF keep-alives allowed), read in
    /// chunks with memory bounded by the parser's limits; with --datagram it is
    /// one UDP datagram. Exit status: 0 all framed, 1 malformed (a stream
    /// cannot be resynchronised), 3 ends inside a message, 2 usage or I/O problem.
    Lines {
        #[command(flatten)]
        mode: Mode,
        /// The whole input is one datagram (RFC 3261 §18.3 datagram rules).
        #[arg(long)]
        datagram: bool,
        /// Also judge each message (`validate()`): `valid`, `owed` (the
        /// status a request's sender is owed), `why`, `rule`, `as`.
        #[arg(long)]
        validate: bool,
        /// Judge as a UAS (the default: a request with Max-Forwards 0 is
        /// processed, RFC 4475 "zeromf") or as a proxy (a request with
        /// Max-Forwards 0 is not forwarded and owes 483, §16.3 item 3).
        /// Neither owes anything for a request without Max-Forwards: a UAS
        /// is not told to reject it (§8.2), and a proxy passes it and adds
        /// Max-Forwards: 70 (§16.3 item 3, §16.6 item 3). Implies
        /// --validate.
        #[arg(long = "as", value_enum, value_name = "ROLE")]
        role: Option<lines::Role>,
        /// The input; standard input when absent or `-`.
        file: Option<PathBuf>,
    },
}

/// Options for reading captures.
#[derive(Args, Clone, Debug)]
pub struct CaptureArgs {
    /// Only traffic to or from this port (repeatable).
    #[arg(long = "port")]
    ports: Vec<u16>,
    /// The most TCP directions held open; the least recently seen is evicted.
    #[arg(long, default_value_t = 65_536)]
    max_flows: usize,
    /// Read the input as it is written (`tail -f`: a capture `tcpdump -w` or
    /// dumpcap is writing; a folder: a ring buffer's files in the order
    /// written) until SIGINT or SIGTERM, then report what was read (exit 0).
    #[arg(long)]
    follow: bool,
    /// Collect HEP (v2, v3 over UDP; v3 over TCP) on this address instead of reading inputs
    /// (Kamailio's siptrace, OpenSIPS, FreeSWITCH, Asterisk, heplify send
    /// it) until SIGINT or SIGTERM. An address other than loopback needs
    /// --hep-allow or --hep-password.
    #[arg(long, value_name = "ADDR")]
    hep_listen: Option<std::net::SocketAddr>,
    /// With --hep-listen: take HEP from this sender only (repeatable).
    #[arg(long, value_name = "IP", requires = "hep_listen")]
    hep_allow: Vec<std::net::IpAddr>,
    /// With --hep-listen: the capture password (HEP3 auth key) every
    /// datagram must carry.
    #[arg(long, value_name = "PASSWORD", requires = "hep_listen")]
    hep_password: Option<String>,
    /// Capture on this interface (`eth0`, `lo`, `any`) instead of reading
    /// inputs, until SIGINT or SIGTERM (Linux; needs CAP_NET_RAW). The
    /// kernel filters first: with --port, only those ports; without, RTP
    /// and RTCP stay in the kernel. Packets the kernel dropped are counted
    /// under not_read.
    #[arg(short = 'i', long = "interface", value_name = "IFACE", conflicts_with_all = ["hep_listen", "follow"])]
    interface: Option<String>,
    /// Send every SIP message read on as HEPv3 over UDP to this collector
    /// (HOMER, heplify-server, another sipline), with its original
    /// addresses, transport and capture time: sipline as a capture agent.
    #[arg(long, value_name = "ADDR")]
    hep_send: Option<std::net::SocketAddr>,
    /// With --hep-send: the capture agent's id (HEP3 chunk 12).
    #[arg(long, value_name = "ID", default_value_t = 0, requires = "hep_send")]
    hep_send_id: u32,
    /// With --hep-send: the collector's capture password (HEP3 auth key).
    #[arg(long, value_name = "PASSWORD", requires = "hep_send")]
    hep_send_password: Option<String>,
    /// With -i or --hep-listen: the kernel's receive buffer for the
    /// socket, in MiB (what absorbs a burst; past it, the kernel drops).
    #[arg(long, value_name = "MIB", default_value_t = 32)]
    buffer_mb: usize,
}

impl CaptureArgs {
    /// The reading options; with `--follow`, SIGINT and SIGTERM raise the
    /// follow's stop flag (the run then ends as a file's would).
    fn options(
        &self,
        mode: Mode,
        inputs: &[String],
    ) -> Result<sipline_capture::ReadOptions, String> {
        let mut opts = sipline_capture::ReadOptions {
            config: mode.config(),
            ports: self.ports.clone(),
            ..sipline_capture::ReadOptions::default()
        };
        opts.tcp.max_flows = self.max_flows.max(1);
        if let Some(addr) = self.hep_listen {
            if !inputs.is_empty() {
                return Err("--hep-listen collects HEP instead of reading inputs".into());
            }
            let hep = sipline_capture::HepListen {
                allow: self.hep_allow.clone(),
                password: self.hep_password.clone(),
                buffer: self.buffer_mb.max(1).saturating_mul(1 << 20),
                ..sipline_capture::HepListen::new(addr)
            };
            hep.check()?;
            opts.hep = Some(hep);
        } else if let Some(device) = &self.interface {
            if !inputs.is_empty() {
                return Err("-i captures on an interface instead of reading inputs".into());
            }
            opts.iface = Some(sipline_capture::Interface {
                buffer: self.buffer_mb.max(1).saturating_mul(1 << 20),
                ..sipline_capture::Interface::new(device)
            });
        } else if self.follow && inputs.len() != 1 {
            return Err("--follow reads one input: a capture being written, or a folder".into());
        }
        opts.hep_send = self.hep_send.map(|addr| sipline_capture::HepSend {
            capture_id: self.hep_send_id,
            password: self.hep_send_password.clone(),
            ..sipline_capture::HepSend::new(addr)
        });
        if self.follow || self.hep_listen.is_some() || self.interface.is_some() {
            let follow = sipline_capture::Follow::default();
            for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                signal_hook::flag::register(signal, std::sync::Arc::clone(&follow.stop))
                    .map_err(|e| format!("cannot catch signal {signal}: {e}"))?;
            }
            opts.follow = Some(follow);
        }
        Ok(opts)
    }
}

impl CaptureArgs {
    /// Runs a command on the reading options (a usage error when they
    /// cannot be made), then says what `--hep-send` sent.
    fn run(
        &self,
        mode: Mode,
        inputs: &[String],
        command: impl FnOnce(&sipline_capture::ReadOptions) -> ExitCode,
    ) -> ExitCode {
        let opts = match self.options(mode, inputs) {
            Ok(o) => o,
            Err(e) => return usage(&e),
        };
        let code = command(&opts);
        if let Some(h) = &opts.hep_send {
            let (sent, failed, without_flow, too_large) = h.counts.get();
            eprintln!(
                "sipline: {sent} message(s) sent as HEP to {}; not sent: {failed} failed, \
                 {without_flow} without addresses (a raw stream), {too_large} too large",
                h.addr
            );
        }
        code
    }
}

/// The inputs in the order to read them: by their first packet
/// ([`sipline_capture::plan_inputs`]), or as given when followed (a folder
/// then is a ring buffer, not a set of files), or the HEP collector, or
/// the interface.
pub fn plan(inputs: &[String], opts: &sipline_capture::ReadOptions) -> Vec<String> {
    if let Some(hep) = &opts.hep {
        vec![hep.name()]
    } else if let Some(iface) = &opts.iface {
        vec![iface.name()]
    } else if opts.follow.is_some() {
        inputs.to_vec()
    } else {
        sipline_capture::plan_inputs(inputs)
    }
}

/// `--strict` or `--lenient` (the default).
#[derive(Args, Clone, Copy, Debug)]
#[group(multiple = false)]
pub struct Mode {
    /// The RFC 3261 grammar exactly.
    #[arg(long)]
    strict: bool,
    /// Also accept what real devices send (the default).
    #[arg(long)]
    lenient: bool,
}

impl Mode {
    /// The parser configuration the flags ask for.
    pub fn config(self) -> ParserConfig {
        if self.strict {
            ParserConfig::strict()
        } else {
            ParserConfig::lenient()
        }
    }
}

/// Reads a whole file, or standard input for `None` or `-`.
pub fn read_input(file: Option<&PathBuf>) -> std::io::Result<Vec<u8>> {
    match file {
        Some(p) if p.as_os_str() != "-" => std::fs::read(p),
        _ => {
            let mut buf = Vec::new();
            std::io::stdin().lock().read_to_end(&mut buf)?;
            Ok(buf)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Parse { mode, file } => parse::run(mode.config(), file.as_ref()),
        Command::Stats {
            mode,
            capture,
            json,
            calls: _,
            no_calls,
            by,
            threads,
            inputs,
        } => {
            let by = slice_by(by.as_deref());
            let threads = threads_or_cores(threads);
            capture.run(mode, &inputs, |opts| {
                stats::run_stats(&inputs, opts, json, !no_calls, by, threads)
            })
        }
        Command::Check {
            mode,
            capture,
            inputs,
        } => capture.run(mode, &inputs, |opts| stats::run_check(&inputs, opts)),
        Command::Calls {
            mode,
            capture,
            json,
            csv,
            by,
            inputs,
        } => {
            let format = if json {
                calls::Format::Json
            } else if csv {
                calls::Format::Csv
            } else {
                calls::Format::Table
            };
            capture.run(mode, &inputs, |opts| {
                calls::run(&inputs, opts, format, slice_by(by.as_deref()))
            })
        }
        Command::Export {
            what,
            payload,
            columns: true,
            ..
        } => export::print_columns(what, payload),
        Command::Export {
            mode,
            capture,
            format,
            what,
            output,
            payload,
            columns: _,
            batch_rows,
            max_file_mb,
            max_tracked,
            rotate,
            threads,
            inputs,
        } => capture.run(mode, &inputs, |opts| {
            export::run(
                &inputs,
                opts,
                &export::Settings {
                    format,
                    what,
                    output,
                    payload,
                    batch_rows: batch_rows as usize,
                    max_file_bytes: max_file_mb.saturating_mul(1 << 20),
                    max_tracked,
                    threads: threads_or_cores(threads),
                    rotate: rotate.map(|d| d.as_secs_f64()),
                },
            )
        }),
        Command::Watch { t1, .. } if !(t1.is_finite() && t1 > 0.0) => {
            usage("--t1 must be a number of seconds above 0")
        }
        Command::Watch {
            mode,
            capture,
            every,
            json,
            by,
            t1,
            metrics,
            inputs,
        } => capture.run(mode, &inputs, |opts| {
            watch::run(
                &inputs,
                opts,
                &watch::Options {
                    every,
                    json,
                    by_peer: by.is_some(),
                    t1,
                    metrics,
                },
            )
        }),
        Command::Flow {
            mode,
            capture,
            call_ids,
            outcome,
            code,
            caller,
            callee,
            since,
            until,
            max_calls,
            width,
            color,
            full,
            svg,
            inputs,
        } => capture.run(mode, &inputs, |opts| {
            flow::run(
                &inputs,
                opts,
                &flow::Options {
                    filter: flow::Filter {
                        call_ids,
                        outcome,
                        code,
                        caller,
                        callee,
                        since,
                        until,
                    },
                    max_calls,
                    width,
                    color: match color.as_str() {
                        "always" => Some(true),
                        "never" => Some(false),
                        _ => None,
                    },
                    full,
                    svg,
                },
            )
        }),
        Command::Report {
            mode,
            capture,
            output,
            redact,
            max_rows,
            max_ladders,
            max_ladder_messages,
            inputs,
        } => capture.run(mode, &inputs, |opts| {
            report::run(
                &inputs,
                opts,
                &report::Options {
                    output,
                    redact,
                    max_rows,
                    max_ladders,
                    max_ladder_messages,
                },
            )
        }),
        Command::Lines {
            mode,
            datagram,
            validate,
            role,
            file,
        } => lines::run(
            mode.config(),
            datagram,
            (validate || role.is_some()).then(|| role.unwrap_or_default()),
            file.as_ref(),
        ),
    }
}

/// A usage problem, said on standard error: exit status 2.
fn usage(problem: &str) -> ExitCode {
    eprintln!("sipline: {problem}");
    ExitCode::from(EXIT_USAGE)
}

/// A duration as people write it: `10s`, `1m`, `500ms`, `1h 30m`; a bare
/// number is seconds.
fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let d = match s.trim().parse::<f64>() {
        Ok(secs) if secs.is_finite() && secs >= 0.0 => std::time::Duration::from_secs_f64(secs),
        _ => humantime::parse_duration(s).map_err(|e| format!("{s:?}: {e}"))?,
    };
    if d.is_zero() {
        return Err(format!("{s:?}: must be longer than zero"));
    }
    Ok(d)
}

/// A time in RFC 3339 (`2026-12-05T12:00:00Z`), as seconds since the epoch.
fn parse_time(s: &str) -> Result<f64, String> {
    let t = humantime::parse_rfc3339_weak(s).map_err(|e| format!("{s:?}: {e}"))?;
    t.duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .map_err(|e| format!("{s:?}: {e}"))
}

/// An address to listen on; a bare port means loopback.
fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    if let Ok(port) = s.parse::<u16>() {
        return Ok(std::net::SocketAddr::from(([127, 0, 0, 1], port)));
    }
    s.parse()
        .map_err(|e| format!("{s:?}: {e} (an address such as 127.0.0.1:9464, or a port)"))
}

/// `--threads`, or the number of cores.
fn threads_or_cores(threads: Option<u16>) -> usize {
    threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    )
}

/// `--by`'s value (clap has checked it is one of the three).
fn slice_by(by: Option<&str>) -> Option<sipline_calls::SliceBy> {
    by.map(|b| match b {
        "caller" => sipline_calls::SliceBy::Caller,
        "callee" => sipline_calls::SliceBy::Callee,
        _ => sipline_calls::SliceBy::Peer,
    })
}
