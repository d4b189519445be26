//! `/metrics` in Prometheus' text format (version 0.0.4), served over HTTP
//! by a thread of its own.
//!
//! The server is a few lines over `std::net`: one route, `GET /metrics`,
//! the request read with a size bound and a timeout, the connection closed
//! after the answer. An HTTP framework would bring an async runtime or a
//! crate unmaintained since 2022 for this one route.

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sipline_calls::{Metrics, Outcome};

use super::state::{lock, Histogram, State, BUCKETS};
use crate::stats::not_read;

/// The most bytes of a request read (its line and headers).
const MAX_REQUEST: usize = 8 * 1024;

/// A label value escaped as the text format wants it.
pub(super) fn escape(v: &str) -> String {
    let mut out = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// One metric family's header.
fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP {name} {help}");
    let _ = writeln!(o, "# TYPE {name} {kind}");
}

pub(super) fn histogram(o: &mut String, name: &str, labels: &str, h: &Histogram) {
    let sep = if labels.is_empty() { "" } else { "," };
    let mut below = 0;
    for (i, bound) in BUCKETS.iter().enumerate() {
        below += h.buckets.get(i).copied().unwrap_or(0);
        let _ = writeln!(o, "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {below}");
    }
    let _ = writeln!(o, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}", h.count);
    let braces = if labels.is_empty() {
        String::new()
    } else {
        format!("{{{labels}}}")
    };
    let _ = writeln!(o, "{name}_sum{braces} {}", h.sum);
    let _ = writeln!(o, "{name}_count{braces} {}", h.count);
}

/// What `/metrics` answers: the run's counters, the calls in progress, the
/// delays as histograms, and the ratios of the last window closed.
pub fn render(s: &State) -> String {
    let mut o = String::new();
    family(
        &mut o,
        "sipline_messages_total",
        "counter",
        "SIP messages read.",
    );
    let _ = writeln!(o, "sipline_messages_total {}", s.total.messages);
    family(
        &mut o,
        "sipline_requests_total",
        "counter",
        "SIP requests read, by method.",
    );
    for (method, n) in &s.total.requests {
        let _ = writeln!(
            o,
            "sipline_requests_total{{method=\"{}\"}} {n}",
            escape(method)
        );
    }
    if s.total.other_methods > 0 {
        let _ = writeln!(
            o,
            "sipline_requests_total{{method=\"(other)\"}} {}",
            s.total.other_methods
        );
    }
    family(
        &mut o,
        "sipline_responses_total",
        "counter",
        "SIP responses read, by status code and class.",
    );
    for (code, c) in &s.total.responses {
        let _ = writeln!(
            o,
            "sipline_responses_total{{code=\"{code}\",class=\"{}xx\"}} {}",
            code / 100,
            c.count
        );
    }
    family(
        &mut o,
        "sipline_malformed_total",
        "counter",
        "Malformed SIP messages.",
    );
    let _ = writeln!(o, "sipline_malformed_total {}", s.total.malformed);
    family(
        &mut o,
        "sipline_not_read_total",
        "counter",
        "What could not be read, by kind (as stats --json's not_read).",
    );
    let (events, bytes) = not_read(&s.total);
    for (what, n) in events {
        let _ = writeln!(o, "sipline_not_read_total{{what=\"{what}\"}} {n}");
    }
    family(
        &mut o,
        "sipline_not_read_bytes_total",
        "counter",
        "Bytes that could not be read, by kind (TCP gaps, bytes skipped, TLS).",
    );
    for (what, n) in bytes {
        let _ = writeln!(o, "sipline_not_read_bytes_total{{what=\"{what}\"}} {n}");
    }
    family(
        &mut o,
        "sipline_calls_total",
        "counter",
        "INVITE attempts finished, by outcome.",
    );
    for out in Outcome::ALL {
        let n = s.calls.by_outcome.get(&out).copied().unwrap_or(0);
        let _ = writeln!(o, "sipline_calls_total{{outcome=\"{}\"}} {n}", out.name());
    }
    family(
        &mut o,
        "sipline_calls_in_progress",
        "gauge",
        "INVITE attempts held open now.",
    );
    let _ = writeln!(o, "sipline_calls_in_progress {}", s.calls_in_progress());
    family(
        &mut o,
        "sipline_tcp_flows_held",
        "gauge",
        "TCP directions being reassembled now (an interface's).",
    );
    let _ = writeln!(o, "sipline_tcp_flows_held {}", s.tcp_held.0);
    family(
        &mut o,
        "sipline_tcp_held_bytes",
        "gauge",
        "Bytes the TCP directions being reassembled hold now.",
    );
    let _ = writeln!(o, "sipline_tcp_held_bytes {}", s.tcp_held.1);
    let counts = s.call_counts();
    family(
        &mut o,
        "sipline_calls_evicted_total",
        "counter",
        "Attempts evicted by the call engine's limit.",
    );
    let _ = writeln!(o, "sipline_calls_evicted_total {}", counts.evicted);
    family(
        &mut o,
        "sipline_srd_seconds",
        "histogram",
        "Session Request Delay (RFC 6076), by result.",
    );
    histogram(
        &mut o,
        "sipline_srd_seconds",
        "result=\"success\"",
        &s.delays.srd_success,
    );
    histogram(
        &mut o,
        "sipline_srd_seconds",
        "result=\"failure\"",
        &s.delays.srd_failure,
    );
    family(
        &mut o,
        "sipline_pdd_seconds",
        "histogram",
        "Post-Dial Delay (ITU-T E.721): INVITE to the first 180/183, else the 2xx.",
    );
    histogram(&mut o, "sipline_pdd_seconds", "", &s.delays.pdd);
    family(
        &mut o,
        "sipline_sdd_seconds",
        "histogram",
        "Session Disconnect Delay (RFC 6076), by result.",
    );
    histogram(
        &mut o,
        "sipline_sdd_seconds",
        "result=\"success\"",
        &s.delays.sdd_success,
    );
    histogram(
        &mut o,
        "sipline_sdd_seconds",
        "result=\"failure\"",
        &s.delays.sdd_failure,
    );
    ratios(&mut o, &s.last_window);
    family(
        &mut o,
        "sipline_windows_total",
        "counter",
        "Windows closed.",
    );
    let _ = writeln!(o, "sipline_windows_total {}", s.windows);
    o
}

/// The RFC 6076 and industry ratios of the last window closed, as 0–1
/// gauges (absent while undefined: no call in the window).
fn ratios(o: &mut String, m: &Metrics) {
    let all: [(&str, &str, Option<f64>); 6] = [
        ("ser", "Session Establishment Ratio (RFC 6076)", m.ser()),
        (
            "seer",
            "Session Establishment Effectiveness Ratio (RFC 6076)",
            m.seer(),
        ),
        ("isa", "Ineffective Session Attempts (RFC 6076)", m.isa()),
        ("scr", "Session Completion Ratio (RFC 6076)", m.scr()),
        ("asr", "Answer-Seizure Ratio (ITU-T E.411)", m.asr()),
        ("ner", "Network Effectiveness Ratio (ITU-T E.411)", m.ner()),
    ];
    for (name, help, v) in all {
        let metric = format!("sipline_{name}_ratio");
        family(
            o,
            &metric,
            "gauge",
            &format!("{help}, over the last window closed."),
        );
        if let Some(v) = v {
            let _ = writeln!(o, "{metric} {}", v / 100.0);
        }
    }
}

/// Answers one connection: `GET /metrics` with the state's metrics,
/// anything else with 404 (405 for another method, 400 for what is not
/// HTTP). Errors end the connection, never the server.
fn answer(mut stream: TcpStream, state: &Mutex<State>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut got = 0;
    while got < buf.len() {
        match stream.read(buf.get_mut(got..).unwrap_or_default()) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                got += n;
                if buf
                    .get(..got)
                    .is_some_and(|b| b.windows(4).any(|w| w == b"\r\n\r\n"))
                {
                    break;
                }
            }
        }
    }
    let request = buf.get(..got).unwrap_or_default();
    let line = request
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (method, target) = (parts.next(), parts.next());
    let path = target.map(|t| t.split(|&b| b == b'?').next().unwrap_or_default());
    let (status, body) = match (method, path) {
        (Some(b"GET"), Some(b"/metrics")) => ("200 OK", render(&lock(state))),
        (Some(b"GET"), Some(b"/")) => {
            ("200 OK", "sipline watch: metrics at /metrics\n".to_string())
        }
        (Some(b"GET"), Some(_)) => ("404 Not Found", "not found\n".to_string()),
        (Some(m), Some(_)) if !m.is_empty() => ("405 Method Not Allowed", "only GET\n".to_string()),
        _ => ("400 Bad Request", "not an HTTP request\n".to_string()),
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// Serves `/metrics` on `addr` from a thread of its own, for the rest of
/// the process. The error is the listening socket's (the address is taken,
/// say).
pub fn serve_metrics(addr: SocketAddr, state: Arc<Mutex<State>>) -> std::io::Result<()> {
    let listener = TcpListener::bind(addr)?;
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            answer(stream, &state);
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
