//! `sipline flow`: the ladder of one or more calls, as SIP people read
//! calls. Columns are the endpoints (address:port, with the User-Agent or
//! Server where known), rows the messages in capture time, each arrow
//! labelled with its method or `code reason`, the time since the call's
//! first message and the gap to the previous one; retransmissions are
//! marked, and each call ends with its outcome. Legs of one call through a
//! proxy (one Call-ID on several hops) share a ladder.
//!
//! A message read from a raw byte stream has no addresses: its endpoints
//! are then read from its headers (see [`Hops`]).
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
    /// Each message's text under its arrow.
    pub full: bool,
    /// Write the ladders as SVG to this file instead.
    pub svg: Option<std::path::PathBuf>,
}

/// The most messages kept per call drawn (a flood in one Call-ID cannot
/// hold memory); past it, counted.
pub(crate) const MAX_MESSAGES: usize = 2_000;

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
pub(crate) struct Step {
    /// Capture time; none for a message read from a raw stream.
    time: Option<f64>,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
    /// What its headers say of its hop, for a message with no addresses.
    hops: Option<Hops>,
    /// Its CSeq (number, method).
    cseq: Option<(u32, String)>,
    label: String,
    /// 0 for a request, else the status class (1–6).
    class: u8,
    retransmission: bool,
    /// The User-Agent or Server it carries.
    agent: Option<String>,
    /// Its text, when kept (`--full`, `--svg`).
    text: Option<String>,
}

/// Pass two: the messages of the calls selected.
pub(crate) struct Steps {
    wanted: HashSet<Vec<u8>>,
    calls: BTreeMap<Vec<u8>, Vec<Step>>,
    retrans: Retransmissions,
    /// Messages kept in one call, at most.
    max_messages: usize,
    /// Messages past `max_messages`, in all, and by call.
    dropped: u64,
    dropped_by_call: BTreeMap<Vec<u8>, u64>,
    /// Keep each message's text.
    keep_text: bool,
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
        let retransmission = message_key(at.flow, head)
            .is_some_and(|k| self.retrans.check(k, at.time.unwrap_or(0.0)));
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
        if steps.len() >= self.max_messages {
            self.dropped += 1;
            *self.dropped_by_call.entry(call_id.to_vec()).or_default() += 1;
            return;
        }
        steps.push(Step {
            time: at.time,
            src: at.flow.map(|f| f.src),
            dst: at.flow.map(|f| f.dst),
            hops: at.flow.is_none().then(|| Hops::of(head)),
            cseq: head.get::<sipline::CSeq>().and_then(Result::ok).map(|c| {
                (
                    c.number,
                    String::from_utf8_lossy(c.method.as_bytes()).into_owned(),
                )
            }),
            label,
            class,
            retransmission,
            agent,
            text: self.keep_text.then(|| {
                let mut t = masked(&String::from_utf8_lossy(head.as_bytes()));
                t.push_str(&String::from_utf8_lossy(msg.body));
                t
            }),
        });
    }
    fn malformed(&mut self, _: &Location<'_>, _: &Error) {}
    fn skipped(&mut self, _: &Location<'_>, _: Skip) {}
}

/// A head's text with the values of its credentials masked
/// (Authorization, Proxy-Authorization): ladders go into tickets.
fn masked(head: &str) -> String {
    let mut out = String::with_capacity(head.len());
    for line in head.split_inclusive('\n') {
        let name = line.split(':').next().unwrap_or_default().trim();
        if name.eq_ignore_ascii_case("authorization")
            || name.eq_ignore_ascii_case("proxy-authorization")
        {
            out.push_str(name);
            out.push_str(": [masked by sipline]");
            out.push_str(if line.ends_with("\r\n") { "\r\n" } else { "\n" });
        } else {
            out.push_str(line);
        }
    }
    out
}

/// An endpoint's name in a column: its address, or `?` when not known.
fn endpoint(a: Option<SocketAddr>) -> String {
    a.map_or_else(|| "?".to_string(), |a| a.to_string())
}

/// `host:port` as a column names it: the host lower-cased, the port
/// defaulted (5060; 5061 for TLS or `sips:`) as RFC 3261 §18.1.1 and
/// §19.1.2 do.
fn host_port(host: &sipline::Host<'_>, port: Option<u16>, secure: bool) -> String {
    let port = port.unwrap_or(if secure { 5061 } else { 5060 });
    format!("{}:{port}", host.to_string().to_ascii_lowercase())
}

/// A message's hop as its headers tell it, for a message read with no
/// addresses (a raw stream, a log). A transaction is named by its top
/// Via's branch and sent-by and its CSeq method (RFC 3261 §17.2.3), so
/// that examples which reuse a branch across requests still read right.
/// The rules, for an observer that sees every hop of a call (as RFC 3665
/// draws them):
///
/// - a request comes from its top Via's sent-by. It went to whoever sent
///   the next hop's copy of it (a later request of the same method whose
///   second Via carries this one's branch, §16.6 item 8); else where its
///   INVITE went, for the CANCEL or non-2xx ACK of that transaction
///   (§9.1, §17.1.1.3); else to its first Route (§16.12, §8.1.2); else,
///   when a 1xx or 2xx answer to it carries a Contact, to the UAS that
///   Contact names (§12.1.1); else, when it was challenged (401, 407),
///   where its retry with credentials went (§22.2); else to its
///   Request-URI's host.
/// - a response goes to its top Via's sent-by (§18.2.2) and comes from
///   where the request of its transaction went.
///
/// Ports are defaulted as §18.1.1 says; what no rule tells is `?`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Hops {
    /// 0 for a request, else the status code.
    code: u16,
    /// The CSeq method.
    method: Option<String>,
    /// The top Via's sent-by.
    via: Option<String>,
    /// The top Via's branch, and the second Via's.
    branch: Option<String>,
    parent: Option<String>,
    /// A request's first Route.
    route: Option<String>,
    /// A request's Request-URI host; a response's first Contact.
    target: Option<String>,
}

/// A SIP URI's `host:port`.
fn uri_host(u: &sipline::Uri<'_>) -> Option<String> {
    let secure = u.scheme.eq_ignore_ascii_case("sips");
    u.host.map(|h| host_port(&h, u.port, secure))
}

impl Hops {
    fn of(head: &sipline::Head<'_>) -> Hops {
        let mut vias = head.get_all::<sipline::Via>().map_while(Result::ok);
        let top = vias.next();
        let second = vias.next();
        let first = |addrs: Option<Result<sipline::NameAddr<'_>, Error>>| {
            addrs.and_then(Result::ok).and_then(|a| uri_host(&a.uri))
        };
        let (code, route, target) = match &head.start_line {
            StartLine::Request(r) => (
                0,
                first(head.get_all::<sipline::header::Route>().next()),
                sipline::parse_uri(r.uri).ok().and_then(|u| uri_host(&u)),
            ),
            StartLine::Status(st) => (
                st.code.as_u16(),
                None,
                first(head.get_all::<sipline::Contact>().next()),
            ),
        };
        Hops {
            code,
            method: head
                .get::<sipline::CSeq>()
                .and_then(Result::ok)
                .map(|c| String::from_utf8_lossy(c.method.as_bytes()).into_owned()),
            via: top.map(|v| {
                let s = sipline::SentBy::of(&v);
                host_port(&s.host, Some(s.port), false)
            }),
            branch: top.and_then(|v| v.branch()).map(str::to_string),
            parent: second.and_then(|v| v.branch()).map(str::to_string),
            route,
            target,
        }
    }

    /// Whether `self` and `other` are of one transaction (`other` may be
    /// the CANCEL or ACK of `self`'s INVITE).
    fn follows(&self, other: &Hops) -> bool {
        self.branch.is_some()
            && self.branch == other.branch
            && self.via == other.via
            && (self.method == other.method
                || (self.method.as_deref() == Some("INVITE")
                    && matches!(other.method.as_deref(), Some("ACK" | "CANCEL"))))
    }

    /// The endpoints (from, to) of every step, by address where the
    /// capture has one, else by the rules above.
    fn resolve(steps: &[Step]) -> Vec<(String, String)> {
        let hops: Vec<Option<&Hops>> = steps.iter().map(|s| s.hops.as_ref()).collect();
        let requests = || {
            hops.iter()
                .enumerate()
                .filter_map(|(i, h)| h.filter(|h| h.code == 0).map(|h| (i, h)))
        };
        let mut went: Vec<Option<String>> = vec![None; steps.len()];
        // Requests sent where their Request-URI names, for want of a
        // better rule.
        let mut by_uri: Vec<bool> = vec![false; steps.len()];
        // Requests that went where an earlier one of their transaction did.
        let mut after: Vec<Option<usize>> = vec![None; steps.len()];
        for (i, h) in requests() {
            let observed = requests()
                .filter(|(j, _)| *j > i)
                .find(|(_, n)| n.parent.is_some() && n.parent == h.branch && n.method == h.method)
                .and_then(|(_, n)| n.via.clone());
            // The first earlier request of the transaction with a hop.
            let earlier = requests()
                .filter(|(j, e)| *j < i && e.follows(h))
                .find(|(j, _)| went.get(*j).is_some_and(Option::is_some))
                .map(|(j, _)| j);
            if let (Some(j), Some(slot)) = (earlier, after.get_mut(i)) {
                *slot = Some(j);
            }
            let answered_by = || {
                hops.iter().flatten().find_map(|r| {
                    ((100..300).contains(&r.code) && h.follows(r) && r.method == h.method)
                        .then(|| r.target.clone())
                        .flatten()
                })
            };
            let to = observed
                .or_else(|| earlier.and_then(|j| went.get(j).cloned().flatten()))
                .or_else(|| h.route.clone())
                .or_else(answered_by);
            if let (None, Some(flag)) = (&to, by_uri.get_mut(i)) {
                *flag = true;
            }
            if let Some(slot) = went.get_mut(i) {
                *slot = to.or_else(|| h.target.clone());
            }
        }
        // A request challenged (401, 407) went where its retry with
        // credentials went (§22.2: the sender's next request of that
        // method to that Request-URI), when that retry's hop is known.
        for (i, h) in requests() {
            let challenged = hops
                .iter()
                .flatten()
                .any(|r| matches!(r.code, 401 | 407) && h.follows(r) && r.method == h.method);
            if !challenged || !by_uri.get(i).copied().unwrap_or(false) {
                continue;
            }
            let retry = requests()
                .find(|(k, n)| {
                    *k > i
                        && n.via == h.via
                        && n.method == h.method
                        && n.target == h.target
                        && n.branch != h.branch
                        && !by_uri.get(*k).copied().unwrap_or(true)
                })
                .and_then(|(k, _)| went.get(k).cloned().flatten());
            if let (Some(to), Some(slot)) = (retry, went.get_mut(i)) {
                *slot = Some(to);
            }
        }
        // And the CANCEL or ACK of such a request with it.
        for i in 0..steps.len() {
            if let Some(Some(j)) = after.get(i).copied() {
                let to = went.get(j).cloned().flatten();
                if let Some(slot) = went.get_mut(i) {
                    *slot = to;
                }
            }
        }
        let unknown = || "?".to_string();
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| match &s.hops {
                None => (endpoint(s.src), endpoint(s.dst)),
                Some(h) if h.code == 0 => (
                    h.via.clone().unwrap_or_else(unknown),
                    went.get(i).cloned().flatten().unwrap_or_else(unknown),
                ),
                Some(h) => {
                    let from = requests()
                        .filter(|(_, r)| r.follows(h) && r.method == h.method)
                        .find_map(|(j, _)| went.get(j).cloned().flatten());
                    (
                        from.unwrap_or_else(unknown),
                        h.via.clone().unwrap_or_else(unknown),
                    )
                }
            })
            .collect()
    }
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
            // A word longer than the line: cut after its last `.`, `:`,
            // `@` or `-` that fits (a host, an address), else at the width.
            let fits = width.min(word.len());
            let at = word
                .get(..fits)
                .and_then(|w| w.iter().rposition(|c| matches!(c, '.' | ':' | '@' | '-')))
                .filter(|&p| p + 1 < word.len() && p > 0)
                .map_or(fits, |p| p + 1);
            let rest = word.split_off(at);
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

/// One arrow of a ladder.
pub(crate) struct Row {
    pub from: usize,
    pub to: usize,
    pub label: String,
    pub class: u8,
    pub retransmission: bool,
    /// Seconds since the call's first message, and since the previous.
    pub time: f64,
    pub gap: f64,
    /// The message's text (`--full`, and the SVG's tooltips).
    pub text: Option<String>,
}

/// A call's ladder, drawn as text or SVG alike.
pub(crate) struct Ladder {
    pub title: String,
    /// The endpoints, and the agent each sent (or nothing).
    pub ends: Vec<(String, String)>,
    pub rows: Vec<Row>,
    /// Whether its messages carry capture times (a raw stream's do not).
    pub timed: bool,
    /// A line per transaction (CSeq), in the order they began.
    pub transactions: Vec<String>,
    pub outcome: String,
}

impl Ladder {
    pub(crate) fn of(record: &CallRecord, steps: &[Step]) -> Ladder {
        let names = Hops::resolve(steps);
        // Endpoints in the order they first appear, each with its agent.
        let mut ends: Vec<(String, String)> = Vec::new();
        let mut column = |name: &str, agent: Option<&String>| {
            let at = match ends.iter().position(|(e, _)| e == name) {
                Some(i) => i,
                None => {
                    ends.push((name.to_string(), String::new()));
                    ends.len() - 1
                }
            };
            if let (Some(agent), Some((_, slot))) = (agent, ends.get_mut(at)) {
                if slot.is_empty() {
                    slot.clone_from(agent);
                }
            }
            at
        };
        let columns: Vec<(usize, usize)> = steps
            .iter()
            .zip(&names)
            .map(|(s, (from, to))| (column(from, s.agent.as_ref()), column(to, None)))
            .collect();
        let timed = steps.iter().any(|s| s.time.is_some());
        let first = steps.first().and_then(|s| s.time).unwrap_or(0.0);
        let mut previous = first;
        let rows = steps
            .iter()
            .zip(columns)
            .map(|(s, (from, to))| {
                let time = s.time.unwrap_or(first);
                let row = Row {
                    from,
                    to,
                    label: s.label.clone(),
                    class: s.class,
                    retransmission: s.retransmission,
                    time: time - first,
                    gap: time - previous,
                    text: s.text.clone(),
                };
                previous = time;
                row
            })
            .collect();
        let final_text = match (record.final_code, &record.final_reason) {
            (Some(c), Some(r)) => format!(", final {c} {r}"),
            (Some(c), None) => format!(", final {c}"),
            _ => String::new(),
        };
        let ms = |label: &str, v: Option<f64>| {
            v.map_or(String::new(), |v| format!(", {label} {v:.3} ms"))
        };
        // A raw stream has no times: no start, no delays.
        let (started, delays) = if timed {
            (
                format!("  started {}", rfc3339(record.start)),
                format!(
                    "{}{}{}",
                    ms("SRD", record.srd_ms),
                    ms("PDD", record.pdd_ms),
                    ms("duration", record.duration_ms)
                ),
            )
        } else {
            (String::new(), String::new())
        };
        Ladder {
            transactions: transactions(steps, timed),
            title: format!(
                "Call-ID {}  {} -> {}{started}",
                record.call_id, record.caller, record.callee,
            ),
            ends,
            rows,
            timed,
            outcome: format!("outcome: {}{final_text}{delays}", record.outcome.name()),
        }
    }

    /// A row's label as drawn.
    fn label(row: &Row) -> String {
        if row.retransmission {
            format!("{} (retransmission)", row.label)
        } else {
            row.label.clone()
        }
    }
}

/// A line per transaction of a call, end to end (by CSeq, so one line for
/// all the hops of a request through proxies): the request, its final
/// response (the first seen) and how long after the request's first
/// copy it came, or that none came; its retransmissions. ACKs are not
/// transactions of their own (RFC 3261 §17.1.1.3) and have no line.
fn transactions(steps: &[Step], timed: bool) -> Vec<String> {
    struct Tx<'s> {
        cseq: &'s (u32, String),
        start: f64,
        last: Option<(&'s str, f64)>,
        retransmissions: u32,
    }
    let mut txs: Vec<Tx<'_>> = Vec::new();
    for s in steps {
        let Some(cseq) = &s.cseq else { continue };
        if cseq.1 == "ACK" {
            continue;
        }
        let time = s.time.unwrap_or(0.0);
        let at = match txs.iter().position(|t| t.cseq == cseq) {
            Some(i) => i,
            None if s.class == 0 => {
                txs.push(Tx {
                    cseq,
                    start: time,
                    last: None,
                    retransmissions: 0,
                });
                txs.len() - 1
            }
            // A response to a request not seen.
            None => continue,
        };
        let Some(tx) = txs.get_mut(at) else { continue };
        if s.class == 0 && s.retransmission {
            tx.retransmissions += 1;
        }
        if s.class >= 2 && tx.last.is_none() {
            tx.last = Some((s.label.as_str(), time));
        }
    }
    txs.iter()
        .map(|t| {
            let answer = match t.last {
                Some((label, at)) if timed => {
                    format!("{label} after {:.3} ms", (at - t.start) * 1000.0)
                }
                Some((label, _)) => label.to_string(),
                None => "no final response".to_string(),
            };
            let again = match t.retransmissions {
                0 => String::new(),
                1 => ", 1 retransmission".to_string(),
                n => format!(", {n} retransmissions"),
            };
            format!("  CSeq {} {}: {answer}{again}", t.cseq.0, t.cseq.1)
        })
        .collect()
}

/// Draws a ladder as text `width` wide; `full`: each message's text under
/// its arrow.
fn text(o: &mut String, l: &Ladder, width: usize, color: bool, full: bool) {
    use std::fmt::Write as _;
    const PREFIX: usize = 20;
    let n = l.ends.len().max(1);
    let col = ((width.saturating_sub(PREFIX)) / n).clamp(14, 40);
    let center = |i: usize| PREFIX + i * col + col / 2;
    let line_len = PREFIX + n * col;
    let lifelines = || {
        let mut line = vec![' '; line_len];
        for i in 0..n {
            if let Some(c) = line.get_mut(center(i)) {
                *c = '|';
            }
        }
        line
    };
    let put = |line: &mut Vec<char>, at: usize, text: &str| {
        for (k, c) in text.chars().enumerate() {
            if let Some(slot) = line.get_mut(at + k) {
                *slot = c;
            }
        }
    };
    // Names too wide for a column take several lines, never a neighbour's
    // room.
    let centered = |o: &mut String, texts: Vec<&str>| {
        let wrapped: Vec<Vec<String>> = texts.iter().map(|t| wrap(t, col - 1)).collect();
        let depth = wrapped.iter().map(Vec::len).max().unwrap_or(0);
        for k in 0..depth {
            let mut line = vec![' '; line_len];
            for (i, parts) in wrapped.iter().enumerate() {
                let t = parts.get(k).map_or("", String::as_str);
                put(
                    &mut line,
                    center(i).saturating_sub(t.chars().count() / 2),
                    t,
                );
            }
            let line = line.into_iter().collect::<String>();
            if !line.trim().is_empty() {
                let _ = writeln!(o, "{}", line.trim_end());
            }
        }
    };
    let _ = writeln!(o, "{}", l.title);
    centered(o, l.ends.iter().map(|(e, _)| e.as_str()).collect());
    centered(o, l.ends.iter().map(|(_, a)| a.as_str()).collect());
    for r in &l.rows {
        let (left, right) = (center(r.from.min(r.to)), center(r.from.max(r.to)));
        let span = right.saturating_sub(left).saturating_sub(2).max(8);
        for part in wrap(&Ladder::label(r), span) {
            let mut line = lifelines();
            let start = left + 1 + (right - left).saturating_sub(part.chars().count()) / 2;
            put(&mut line, start, &part);
            let line: String = line.into_iter().collect();
            let _ = writeln!(o, "{}", paint(line.trim_end(), r.class, color));
        }
        let mut line = lifelines();
        if r.from == r.to {
            // To itself: a short loop.
            put(&mut line, left + 1, "<-'");
        } else {
            for slot in line.iter_mut().take(right).skip(left + 1) {
                *slot = '-';
            }
            let (at, head) = if r.to > r.from {
                (right - 1, ">")
            } else {
                (left + 1, "<")
            };
            put(&mut line, at, head);
        }
        if l.timed {
            put(&mut line, 0, &format!("{:>8.3} {:>+9.3}", r.time, r.gap));
        }
        let line: String = line.into_iter().collect();
        let _ = writeln!(o, "{}", paint(line.trim_end(), r.class, color));
        if let (true, Some(t)) = (full, &r.text) {
            for text_line in t.lines() {
                let _ = writeln!(o, "{:PREFIX$}  {text_line}", "");
            }
        }
    }
    for t in &l.transactions {
        let _ = writeln!(o, "{t}");
    }
    let _ = writeln!(o, "{}\n", l.outcome);
}

/// `s` safe in SVG text and attributes.
pub(crate) fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Not allowed in XML 1.0 at all: shown as the replacement.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Lines as `<tspan>`s of one `<text>`, `step` pixels apart, each
/// escaped.
fn tspans(lines: &[String], x: usize, step: usize) -> String {
    lines
        .iter()
        .enumerate()
        .map(|(k, part)| {
            format!(
                "<tspan x=\"{x}\" dy=\"{}\">{}</tspan>",
                if k == 0 { 0 } else { step },
                xml(part)
            )
        })
        .collect()
}

/// The SVG colour of a class (the terminal's, as hex).
fn svg_color(class: u8) -> &'static str {
    match class {
        0 => "#0e7490",
        1 => "#a16207",
        2 => "#15803d",
        3 => "#1d4ed8",
        4 => "#b91c1c",
        5 => "#a21caf",
        _ => "#7f1d1d",
    }
}

/// The ladders as one SVG document, one under the other. Each arrow is a
/// `<g class="message">` holding its line and label, and the message's
/// text as a `<title>` (shown on hover); `full`: the text is also written
/// under the arrow.
fn svg(ladders: &[Ladder], full: bool) -> String {
    use std::fmt::Write as _;
    const COL: usize = 220;
    const LEFT: usize = 130;
    const ROW: usize = 42;
    const LINE: usize = 14;
    let mut body = String::new();
    let mut y = 20;
    let mut widest = 400;
    for l in ladders {
        let n = l.ends.len().max(1);
        let x = |i: usize| LEFT + i * COL + COL / 2;
        widest = widest
            .max(LEFT + n * COL + 20)
            .max(l.title.chars().count() * 8 + 20);
        let _ = writeln!(body, "<g class=\"call\">");
        let _ = writeln!(
            body,
            "<text class=\"title\" x=\"10\" y=\"{y}\">{}</text>",
            xml(&l.title)
        );
        y += 28;
        // Names and agents wrapped to their column (under 8 px a character).
        let names: Vec<Vec<String>> = l.ends.iter().map(|(e, _)| wrap(e, COL / 8)).collect();
        let agents: Vec<Vec<String>> = l
            .ends
            .iter()
            .map(|(_, a)| {
                if a.is_empty() {
                    Vec::new()
                } else {
                    wrap(a, COL / 8)
                }
            })
            .collect();
        let name_depth = names.iter().map(Vec::len).max().unwrap_or(1);
        let agent_depth = agents.iter().map(Vec::len).max().unwrap_or(0);
        for (i, (name, agent)) in names.iter().zip(&agents).enumerate() {
            let _ = writeln!(
                body,
                "<text class=\"endpoint\" x=\"{}\" y=\"{y}\" text-anchor=\"middle\">{}</text>",
                x(i),
                tspans(name, x(i), LINE)
            );
            if !agent.is_empty() {
                let _ = writeln!(
                    body,
                    "<text class=\"agent\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    x(i),
                    y + LINE * name_depth,
                    tspans(agent, x(i), LINE)
                );
            }
        }
        y += LINE * (name_depth + agent_depth).max(2);
        let top = y;
        let mut rows = String::new();
        for r in &l.rows {
            let (x1, x2) = (x(r.from), x(r.to));
            // The label wrapped to the room between its lifelines (under
            // 8 px a character), its lines stacked above the arrow.
            let room = (x1.abs_diff(x2).max(COL) - 16) / 8;
            let label = wrap(&Ladder::label(r), room);
            y += ROW + LINE * label.len().saturating_sub(1);
            let color = svg_color(r.class);
            let dash = if r.retransmission {
                " stroke-dasharray=\"6 4\""
            } else {
                ""
            };
            let (x2, end) = if x1 == x2 {
                (x1 + 40, x1 + 40)
            } else {
                (x2, x2)
            };
            let _ = writeln!(
                rows,
                "<g class=\"message\" data-label=\"{}\"><title>{}</title>\
                 <text class=\"time\" x=\"10\" y=\"{y}\">{}</text>\
                 <line x1=\"{x1}\" y1=\"{y}\" x2=\"{end}\" y2=\"{y}\" stroke=\"{color}\" stroke-width=\"1.5\"{dash} marker-end=\"url(#arrow)\"/>\
                 <text class=\"label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"{color}\">{}</text></g>",
                xml(&r.label),
                xml(r.text.as_deref().unwrap_or(&r.label)),
                if l.timed {
                    format!("{:.3} (+{:.3})", r.time, r.gap)
                } else {
                    String::new()
                },
                (x1 + x2) / 2,
                y - 6 - LINE * label.len().saturating_sub(1),
                tspans(&label, (x1 + x2) / 2, LINE),
            );
            if let (true, Some(t)) = (full, &r.text) {
                for text_line in t.lines() {
                    y += LINE;
                    let _ = writeln!(
                        rows,
                        "<text class=\"full\" x=\"{}\" y=\"{y}\">{}</text>",
                        LEFT + 10,
                        xml(text_line)
                    );
                }
            }
        }
        y += ROW / 2;
        for i in 0..n {
            let _ = writeln!(
                body,
                "<line class=\"lifeline\" x1=\"{0}\" y1=\"{top}\" x2=\"{0}\" y2=\"{y}\" stroke=\"#9ca3af\"/>",
                x(i)
            );
        }
        body.push_str(&rows);
        for t in &l.transactions {
            y += LINE;
            let _ = writeln!(
                body,
                "<text class=\"transaction\" x=\"10\" y=\"{y}\" xml:space=\"preserve\">{}</text>",
                xml(t)
            );
        }
        y += LINE;
        let _ = writeln!(
            body,
            "<text class=\"outcome\" x=\"10\" y=\"{y}\">{}</text>\n</g>",
            xml(&l.outcome)
        );
        y += 2 * ROW;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{widest}\" height=\"{y}\" viewBox=\"0 0 {widest} {y}\" font-family=\"monospace\" font-size=\"12\">\n\
         <defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"context-stroke\"/></marker></defs>\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n{body}</svg>\n"
    )
}

impl Steps {
    /// A sink for the messages of the calls `wanted` (their Call-IDs), at
    /// most `max_messages` a call; `keep_text`: with each message's text.
    fn new(wanted: HashSet<Vec<u8>>, max_messages: usize, keep_text: bool) -> Steps {
        Steps {
            wanted,
            calls: BTreeMap::new(),
            retrans: Retransmissions::new(100_000, 32.0),
            max_messages,
            dropped: 0,
            dropped_by_call: BTreeMap::new(),
            keep_text,
        }
    }

    /// Reads `files` for the messages of the calls `wanted` (their
    /// Call-IDs), at most `max_messages` a call; `keep_text`: with each
    /// message's text.
    pub(crate) fn gather(
        files: &[String],
        opts: &ReadOptions,
        wanted: HashSet<Vec<u8>>,
        max_messages: usize,
        keep_text: bool,
    ) -> Steps {
        let mut steps = Steps::new(wanted, max_messages, keep_text);
        for file in files {
            let _ = sipline_capture::read_source(file, opts, &mut steps);
        }
        steps
    }

    /// The messages of `call_id`, in capture order.
    pub(crate) fn of(&self, call_id: &str) -> &[Step] {
        self.calls
            .get(call_id.as_bytes())
            .map_or(&[][..], Vec::as_slice)
    }

    /// The messages of `call_id` past the most kept.
    pub(crate) fn more(&self, call_id: &str) -> u64 {
        self.dropped_by_call
            .get(call_id.as_bytes())
            .copied()
            .unwrap_or(0)
    }
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
    let steps = Steps::gather(
        &files,
        opts,
        records
            .selected
            .iter()
            .map(|c| c.call_id.as_bytes().to_vec())
            .collect(),
        MAX_MESSAGES,
        f.full || f.svg.is_some(),
    );
    let stdout = std::io::stdout();
    let terminal = stdout.is_terminal();
    let color = f.color.unwrap_or(terminal);
    let width = f.width.unwrap_or_else(|| {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(120)
    });
    let ladders: Vec<Ladder> = records
        .selected
        .iter()
        .map(|record| Ladder::of(record, steps.of(&record.call_id)))
        .collect();
    let mut o = String::new();
    if let Some(path) = &f.svg {
        if let Err(e) = std::fs::write(path, svg(&ladders, f.full)) {
            eprintln!("sipline flow: cannot write {}: {e}", path.display());
            return ExitCode::from(crate::EXIT_USAGE);
        }
        eprintln!(
            "sipline flow: {} call(s) drawn in {}",
            ladders.len(),
            path.display()
        );
    } else {
        for l in &ladders {
            text(&mut o, l, width, color, f.full);
        }
    }
    if records.more > 0 && f.svg.is_none() {
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
#[path = "../../tests/common/mod.rs"]
mod common;

#[cfg(test)]
mod tests {
    use super::*;
    use sipline::{parse_datagram, Datagram, ParserConfig};
    use sipline_calls::CallLimits;

    /// Every session flow of RFC 3665 (`../shared/corpus/rfc3665`), fed
    /// as the calls tests feed it (each file a datagram, in the RFC's
    /// order, 100 ms apart, retransmissions after Timer A), drawn with its
    /// endpoints read from its headers: every message is an arrow, in
    /// order, no endpoint is unknown, and the ladders equal
    /// `cli/tests/golden/rfc3665_sessions.txt` (`SIPLINE_BLESS=1` writes
    /// it anew).
    #[test]
    fn rfc3665_sessions_draw_from_their_headers() {
        let Some(corpus) = common::shared_corpus("the RFC 3665 ladders") else {
            return;
        };
        let limits = CallLimits::default();
        let mut all = String::new();
        let sections = common::rfc3665_sections(&corpus, "3.");
        assert!(sections.len() >= 11, "{sections:?}");
        for prefix in sections {
            let messages = common::rfc3665_section(&corpus, &prefix, limits.t1);
            let mut records = Records {
                tracker: CallTracker::new(limits),
                filter: Filter::default(),
                selected: Vec::new(),
                max: 10,
                more: 0,
            };
            let parsed: Vec<_> = messages
                .iter()
                .map(|(name, time, bytes)| {
                    let Ok(Datagram::Message(m)) = parse_datagram(bytes, &ParserConfig::default())
                    else {
                        panic!("{name} does not parse")
                    };
                    (name, *time, m)
                })
                .collect();
            let at = |name: &'static str, time| Location {
                file: name,
                frame: None,
                offset: 0,
                flow: None,
                time: Some(time),
            };
            for (_, time, m) in &parsed {
                records.message(&at("rfc3665", *time), m, 0);
            }
            let tracker = std::mem::take(&mut records.tracker);
            for r in tracker.finish() {
                records.keep(r);
            }
            let wanted = records
                .selected
                .iter()
                .map(|c| c.call_id.as_bytes().to_vec())
                .collect();
            let mut steps = Steps::new(wanted, MAX_MESSAGES, false);
            for (_, time, m) in &parsed {
                steps.message(&at("rfc3665", *time), m, 0);
            }
            let ladders: Vec<Ladder> = records
                .selected
                .iter()
                .map(|r| Ladder::of(r, steps.of(&r.call_id)))
                .collect();
            let labels: Vec<&str> = ladders
                .iter()
                .flat_map(|l| l.rows.iter().map(|r| r.label.as_str()))
                .collect();
            let expected: Vec<String> = parsed
                .iter()
                .map(|(_, _, m)| match &m.head.start_line {
                    StartLine::Request(r) => String::from_utf8_lossy(r.method.as_bytes()).into(),
                    StartLine::Status(s) => format!(
                        "{} {}",
                        s.code.as_u16(),
                        String::from_utf8_lossy(s.reason.as_bytes())
                    ),
                })
                .collect();
            assert_eq!(labels, expected, "{prefix}: the arrows are its messages");
            for l in &ladders {
                assert!(
                    l.ends.iter().all(|(e, _)| e != "?"),
                    "{prefix}: an endpoint no header names: {:?}",
                    l.ends
                );
            }
            all.push_str(&format!("== RFC 3665 section {prefix}\n"));
            for l in &ladders {
                text(&mut all, l, 160, false, false);
            }
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden/rfc3665_sessions.txt");
        if std::env::var_os("SIPLINE_BLESS").is_some() {
            std::fs::write(&path, &all).unwrap();
        }
        let golden = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (SIPLINE_BLESS=1 writes it)", path.display()));
        assert_eq!(all, golden, "the RFC 3665 ladders changed");
    }

    #[test]
    fn credentials_are_masked() {
        let head =
            "REGISTER sip:x SIP/2.0\r\nAuthorization: Digest username=\"a\", response=\"x\"\r\n\
                    proxy-authorization: Digest y\r\nVia: SIP/2.0/UDP h\r\n\r\n";
        let m = masked(head);
        assert!(!m.contains("Digest"), "{m}");
        assert!(m.contains("Authorization: [masked by sipline]\r\n"), "{m}");
        assert!(
            m.contains("proxy-authorization: [masked by sipline]\r\n"),
            "{m}"
        );
        assert!(m.ends_with("Via: SIP/2.0/UDP h\r\n\r\n"), "{m}");
    }

    #[test]
    fn labels_wrap_at_spaces_and_cut_long_words() {
        assert_eq!(wrap("486 Busy Here", 8), ["486 Busy", "Here"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
        assert_eq!(
            wrap("client.atlanta.example.com:5060", 20),
            ["client.atlanta.", "example.com:5060"]
        );
        assert_eq!(paint("x", 2, true), "\x1b[32mx\x1b[0m");
        assert_eq!(paint("x", 2, false), "x");
    }
}
