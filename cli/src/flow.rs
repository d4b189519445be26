//! `sipline flow`: the ladder of one or more calls, as SIP people read
//! calls. Columns are the endpoints (address:port, with the User-Agent or
//! Server where known), rows the messages in capture time, each arrow
//! labelled with its method or `code reason`, the time since the call's
//! first message and the gap to the previous one; retransmissions are
//! marked, and each call ends with its outcome. Legs of one call through a
//! proxy (one Call-ID on several hops) share a ladder.
//!
//! Two passes over the inputs: the call engine decides which calls the
//! filters select (by outcome, final code, caller, callee, time), then the
//! messages of those calls are gathered and drawn.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::process::ExitCode;

use sipline::{Error, Message, StartLine};
use sipline_calls::{message_key, CallRecord, CallTracker, Retransmissions};
use sipline_capture::{Location, ReadOptions, Sink, Skip};

use crate::calls::rfc3339;

/// Which calls to draw.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// These Call-IDs (any, when empty).
    pub call_ids: Vec<String>,
    /// Attempts with this outcome (`failed`, `established` …).
    pub outcome: Option<String>,
    /// Attempts with this final code.
    pub code: Option<u16>,
    /// The caller (From URI) contains this.
    pub caller: Option<String>,
    /// The callee (To URI) contains this.
    pub callee: Option<String>,
    /// Started at or after (seconds since the epoch).
    pub since: Option<f64>,
    /// Started before.
    pub until: Option<f64>,
}

impl Filter {
    fn matches(&self, r: &CallRecord) -> bool {
        (self.call_ids.is_empty() || self.call_ids.contains(&r.call_id))
            && self
                .outcome
                .as_deref()
                .is_none_or(|o| o == r.outcome.name())
            && self.code.is_none_or(|c| r.final_code == Some(c))
            && self.caller.as_deref().is_none_or(|c| r.caller.contains(c))
            && self.callee.as_deref().is_none_or(|c| r.callee.contains(c))
            && self.since.is_none_or(|t| r.start >= t)
            && self.until.is_none_or(|t| r.start < t)
    }
}

/// How the ladders are drawn.
pub struct Options {
    pub filter: Filter,
    /// The most calls drawn (the first that match, in time order).
    pub max_calls: usize,
    /// The width to fit (a terminal's, else 120).
    pub width: Option<usize>,
    /// Colours by class (a terminal's default).
    pub color: Option<bool>,
}

/// The most messages kept per call drawn (a flood in one Call-ID cannot
/// hold memory); past it, counted.
const MAX_MESSAGES: usize = 2_000;

/// Pass one: the records of the attempts that match, the first `max` in
/// time order.
struct Records {
    tracker: CallTracker,
    filter: Filter,
    /// One matching attempt per Call-ID, in the order they started.
    selected: Vec<CallRecord>,
    /// The most kept.
    max: usize,
    /// Matching attempts past `max`.
    more: u64,
}

impl Records {
    fn take(&mut self) {
        let done: Vec<CallRecord> = self.tracker.drain().collect();
        for r in done {
            self.keep(r);
        }
    }

    fn keep(&mut self, r: CallRecord) {
        if !self.filter.matches(&r) || self.selected.iter().any(|c| c.call_id == r.call_id) {
            return;
        }
        let at = self.selected.partition_point(|c| c.start <= r.start);
        self.selected.insert(at, r);
        if self.selected.len() > self.max {
            self.selected.pop();
            self.more += 1;
        }
    }
}

impl Sink for Records {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, _: usize) {
        self.tracker.message(at.time.unwrap_or(0.0), at.flow, msg);
        self.take();
    }
    fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
}

/// One message of a ladder.
#[derive(Clone, Debug)]
struct Step {
    time: f64,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
    label: String,
    /// 0 for a request, else the status class (1–6).
    class: u8,
    retransmission: bool,
    /// The User-Agent or Server it carries.
    agent: Option<String>,
}

/// Pass two: the messages of the calls selected.
struct Steps {
    wanted: HashSet<Vec<u8>>,
    calls: BTreeMap<Vec<u8>, Vec<Step>>,
    retrans: Retransmissions,
    dropped: u64,
}

impl Sink for Steps {
    fn message(&mut self, at: &Location<'_>, msg: &Message<'_>, _: usize) {
        let head = &msg.head;
        let Some(Ok(call_id)) = head.get::<sipline::header::CallId>() else {
            return;
        };
        if !self.wanted.contains(call_id) {
            return;
        }
        let time = at.time.unwrap_or(0.0);
        let retransmission =
            message_key(at.flow, head).is_some_and(|k| self.retrans.check(k, time));
        let (label, class) = match &head.start_line {
            StartLine::Request(r) => (String::from_utf8_lossy(r.method.as_bytes()).into_owned(), 0),
            StartLine::Status(s) => (
                format!(
                    "{} {}",
                    s.code.as_u16(),
                    String::from_utf8_lossy(s.reason.as_bytes())
                ),
                (s.code.as_u16() / 100) as u8,
            ),
        };
        let agent = head
            .header("User-Agent")
            .or_else(|| head.header("Server"))
            .map(|f| String::from_utf8_lossy(f.value).trim().to_string());
        let steps = self.calls.entry(call_id.to_vec()).or_default();
        if steps.len() >= MAX_MESSAGES {
            self.dropped += 1;
            return;
        }
        steps.push(Step {
            time,
            src: at.flow.map(|f| f.src),
            dst: at.flow.map(|f| f.dst),
            label,
            class,
            retransmission,
            agent,
        });
    }
    fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
}

/// An endpoint's name in a column: its address, or `?` for a message read
/// from a raw stream.
fn endpoint(a: Option<SocketAddr>) -> String {
    a.map_or_else(|| "?".to_string(), |a| a.to_string())
}

/// ANSI colours by class: requests cyan, 1xx yellow, 2xx green, 3xx blue,
/// 4xx red, 5xx magenta, 6xx bold red.
fn paint(text: &str, class: u8, color: bool) -> String {
    if !color {
        return text.to_string();
    }
    let code = match class {
        0 => "36",
        1 => "33",
        2 => "32",
        3 => "34",
        4 => "31",
        5 => "35",
        _ => "1;31",
    };
    format!("\x1b[{code}m{text}\x1b[0m")
}

/// `text` cut into lines of at most `width` characters, at spaces where
/// it can.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let mut word: Vec<char> = word.chars().collect();
        loop {
            let len = line.chars().count();
            let sep = usize::from(len > 0);
            if len + sep + word.len() <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.extend(word.iter());
                break;
            }
            if len > 0 {
                lines.push(std::mem::take(&mut line));
                continue;
            }
            // A word longer than the line: cut.
            let rest = word.split_off(width.min(word.len()));
            lines.push(word.iter().collect());
            word = rest;
            if word.is_empty() {
                break;
            }
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// Draws one call's ladder.
fn ladder(o: &mut String, record: &CallRecord, steps: &[Step], width: usize, color: bool) {
    use std::fmt::Write as _;
    // Endpoints in the order they first appear, each with its agent.
    let mut ends: Vec<String> = Vec::new();
    let mut agents: BTreeMap<String, String> = BTreeMap::new();
    for s in steps {
        for (a, agent) in [(s.src, s.agent.as_ref()), (s.dst, None)] {
            let name = endpoint(a);
            if !ends.contains(&name) {
                ends.push(name.clone());
            }
            if let Some(agent) = agent {
                agents.entry(name).or_insert_with(|| agent.clone());
            }
        }
    }
    const PREFIX: usize = 20;
    let n = ends.len().max(1);
    let col = ((width.saturating_sub(PREFIX)) / n).clamp(14, 40);
    let center = |i: usize| PREFIX + i * col + col / 2;
    let line_len = PREFIX + n * col;
    let lifelines = || {
        let mut l = vec![' '; line_len];
        for i in 0..n {
            if let Some(c) = l.get_mut(center(i)) {
                *c = '|';
            }
        }
        l
    };
    let centered = |texts: Vec<String>| {
        let mut l = vec![' '; line_len];
        for (i, t) in texts.iter().enumerate() {
            let t: Vec<char> = t.chars().take(col - 1).collect();
            let start = center(i).saturating_sub(t.len() / 2);
            for (k, c) in t.into_iter().enumerate() {
                if let Some(slot) = l.get_mut(start + k) {
                    *slot = c;
                }
            }
        }
        l.into_iter().collect::<String>().trim_end().to_string()
    };
    let _ = writeln!(
        o,
        "Call-ID {}  {} -> {}  started {}",
        record.call_id,
        record.caller,
        record.callee,
        rfc3339(record.start)
    );
    let _ = writeln!(o, "{}", centered(ends.clone()));
    let agent_line = centered(
        ends.iter()
            .map(|e| agents.get(e).cloned().unwrap_or_default())
            .collect(),
    );
    if !agent_line.is_empty() {
        let _ = writeln!(o, "{agent_line}");
    }
    let first = steps.first().map_or(0.0, |s| s.time);
    let mut previous = first;
    for s in steps {
        let (a, b) = (
            ends.iter().position(|e| *e == endpoint(s.src)).unwrap_or(0),
            ends.iter().position(|e| *e == endpoint(s.dst)).unwrap_or(0),
        );
        let (left, right) = (center(a.min(b)), center(a.max(b)));
        let span = right.saturating_sub(left).saturating_sub(2).max(8);
        let label = if s.retransmission {
            format!("{} (retransmission)", s.label)
        } else {
            s.label.clone()
        };
        for text in wrap(&label, span) {
            let mut l = lifelines();
            let start = left + 1 + (right - left).saturating_sub(text.chars().count()) / 2;
            for (k, c) in text.chars().enumerate() {
                if let Some(slot) = l.get_mut(start + k) {
                    *slot = c;
                }
            }
            let line: String = l.into_iter().collect();
            let _ = writeln!(o, "{}", paint(line.trim_end(), s.class, color));
        }
        let mut l = lifelines();
        if a == b {
            // To itself: a short loop.
            for (k, c) in "<-'".chars().enumerate() {
                if let Some(slot) = l.get_mut(left + 1 + k) {
                    *slot = c;
                }
            }
        } else {
            for slot in l.iter_mut().take(right).skip(left + 1) {
                *slot = '-';
            }
            if b > a {
                if let Some(slot) = l.get_mut(right - 1) {
                    *slot = '>';
                }
            } else if let Some(slot) = l.get_mut(left + 1) {
                *slot = '<';
            }
        }
        let times = format!("{:>8.3} {:>+9.3}", s.time - first, s.time - previous);
        for (k, c) in times.chars().enumerate() {
            if let Some(slot) = l.get_mut(k) {
                *slot = c;
            }
        }
        let line: String = l.into_iter().collect();
        let _ = writeln!(o, "{}", paint(line.trim_end(), s.class, color));
        previous = s.time;
    }
    let final_text = match (record.final_code, &record.final_reason) {
        (Some(c), Some(r)) => format!(", final {c} {r}"),
        (Some(c), None) => format!(", final {c}"),
        _ => String::new(),
    };
    let ms = |label: &str, v: Option<f64>| {
        v.map_or(String::new(), |v| format!(", {label} {v:.3} ms"))
    };
    let _ = writeln!(
        o,
        "outcome: {}{final_text}{}{}{}\n",
        record.outcome.name(),
        ms("SRD", record.srd_ms),
        ms("PDD", record.pdd_ms),
        ms("duration", record.duration_ms)
    );
}

/// Runs `flow` on `inputs`.
pub fn run(inputs: &[String], opts: &ReadOptions, f: &Options) -> ExitCode {
    let files = crate::plan(inputs, opts);
    let mut records = Records {
        tracker: CallTracker::default(),
        filter: f.filter.clone(),
        selected: Vec::new(),
        max: f.max_calls.max(1),
        more: 0,
    };
    let mut errors = Vec::new();
    for file in &files {
        if let Err(e) = sipline_capture::read_source(file, opts, &mut records) {
            errors.push(e);
        }
    }
    let tracker = std::mem::take(&mut records.tracker);
    for r in tracker.finish() {
        records.keep(r);
    }
    for e in &errors {
        eprintln!("sipline flow: {e}");
    }
    if records.selected.is_empty() {
        eprintln!("sipline flow: no call matches");
        return ExitCode::from(1);
    }
    let mut steps = Steps {
        wanted: records
            .selected
            .iter()
            .map(|c| c.call_id.as_bytes().to_vec())
            .collect(),
        calls: BTreeMap::new(),
        retrans: Retransmissions::new(100_000, 32.0),
        dropped: 0,
    };
    for file in &files {
        let _ = sipline_capture::read_source(file, opts, &mut steps);
    }
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let color = f.color.unwrap_or(terminal);
    let width = f.width.unwrap_or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(120)
    });
    let mut o = String::new();
    for record in &records.selected {
        let messages = steps
            .calls
            .get(record.call_id.as_bytes())
            .map_or(&[][..], Vec::as_slice);
        ladder(&mut o, record, messages, width, color);
    }
    if records.more > 0 {
        o.push_str(&format!(
            "{} more call(s) match: --max-calls to draw more\n",
            records.more
        ));
    }
    if steps.dropped > 0 {
        o.push_str(&format!(
            "{} message(s) past {MAX_MESSAGES} in one call not drawn\n",
            steps.dropped
        ));
    }
    let _ = stdout.lock().write_all(o.as_bytes());
    ExitCode::from(if errors.is_empty() {
        0
    } else {
        crate::EXIT_USAGE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_wrap_at_spaces_and_cut_long_words() {
        assert_eq!(wrap("486 Busy Here", 8), ["486 Busy", "Here"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(paint("x", 2, true), "\x1b[32mx\x1b[0m");
        assert_eq!(paint("x", 2, false), "x");
    }
}
