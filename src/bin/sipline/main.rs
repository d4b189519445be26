//! `sipline`: parse, check and summarise SIP traffic.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use sipline::ParserConfig;

mod lines;
mod parse;

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
        /// The input; standard input when absent or `-`.
        file: Option<PathBuf>,
    },
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
        Command::Lines {
            mode,
            datagram,
            file,
        } => lines::run(mode.config(), datagram, file.as_ref()),
    }
}
