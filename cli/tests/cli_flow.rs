//! `sipline flow`: ladders of the project's recorded captures against
//! golden files (one per outcome kind, and both legs of a call through
//! Kamailio in `proxy.pcap`), colours on demand, and a selection that
//! matches nothing.
//!
//! `SIPLINE_BLESS=1 cargo test -p sipline-cli --test cli_flow` writes the
//! golden files anew from what `flow` draws now (read them before
//! committing).

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::Command;

fn flow(args: &[&str]) -> (String, String, Option<i32>) {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .arg("flow")
        .args(args)
        .current_dir(common::workspace_root())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// `flow args` against `cli/tests/golden/name`.
fn golden(name: &str, args: &[&str]) {
    let mut all = vec!["--color", "never", "--width", "100"];
    all.extend_from_slice(args);
    let (out, err, code) = flow(&all);
    assert_eq!(code, Some(0), "{err}");
    let path = common::workspace_root().join("cli/tests/golden").join(name);
    if std::env::var_os("SIPLINE_BLESS").is_some() {
        std::fs::write(&path, &out).unwrap();
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (SIPLINE_BLESS=1 writes it)", path.display()));
    assert_eq!(out, expected, "{name}: flow {args:?} drew something else");
}

#[test]
fn one_ladder_per_outcome_on_the_recorded_capture() {
    golden(
        "loopback_outcomes.txt",
        &[
            "--call-id",
            "cdc55c023e5105cb",
            "--call-id",
            "59631a2c33a0b8a2",
            "--call-id",
            "8e6048c0d043246a",
            "corpus/captures/loopback.pcap",
        ],
    );
}

#[test]
fn sipp_calls_by_outcome() {
    for outcome in ["established", "failed", "cancelled"] {
        golden(
            &format!("sipp_{outcome}.txt"),
            &[
                "--outcome",
                outcome,
                "--max-calls",
                "1",
                "corpus/sipp/calls.pcap",
            ],
        );
    }
}

#[test]
fn both_legs_through_the_proxy_share_a_ladder() {
    golden(
        "proxy_failed.txt",
        &[
            "--outcome",
            "failed",
            "--code",
            "486",
            "--max-calls",
            "1",
            "corpus/sipp/proxy.pcap",
        ],
    );
    let text =
        std::fs::read_to_string(common::workspace_root().join("cli/tests/golden/proxy_failed.txt"))
            .unwrap();
    // Three endpoints: the caller, Kamailio, the callee; each INVITE hop,
    // and one line for the INVITE transaction end to end.
    assert_eq!(text.matches("INVITE").count(), 3, "{text}");
    assert!(
        text.contains("CSeq 1 INVITE: 486 Busy Here after"),
        "{text}"
    );
    assert!(text.contains("kamailio"), "{text}");
}

#[test]
fn colours_by_class_when_asked() {
    let (out, _, code) = flow(&[
        "--color",
        "always",
        "--call-id",
        "59631a2c33a0b8a2",
        "corpus/captures/loopback.pcap",
    ]);
    assert_eq!(code, Some(0));
    // A request in cyan, a 486 in red, a 180 in yellow.
    assert!(out.contains("\x1b[36m"), "{out}");
    assert!(out.contains("\x1b[31m"), "{out}");
    assert!(out.contains("\x1b[33m"), "{out}");
}

#[test]
fn a_call_id_that_matches_nothing_says_so() {
    let (out, err, code) = flow(&["--call-id", "nothing-here", "corpus/captures/loopback.pcap"]);
    assert_eq!(code, Some(1));
    assert!(out.is_empty());
    assert!(err.contains("no call matches"), "{err}");
    let (_, _, code) = flow(&["--since", "yesterday", "corpus/captures/loopback.pcap"]);
    assert_eq!(code, Some(2));
}

#[test]
fn time_and_party_filters_select_calls() {
    let (all, _, _) = flow(&["--max-calls", "1000", "corpus/captures/loopback.pcap"]);
    let (carol, _, code) = flow(&[
        "--max-calls",
        "1000",
        "--callee",
        "carol",
        "--caller",
        "alice",
        "--since",
        "2026-11-25T12:24:30Z",
        "--until",
        "2026-11-25T12:24:40Z",
        "corpus/captures/loopback.pcap",
    ]);
    assert_eq!(code, Some(0));
    assert_eq!(carol.matches("Call-ID ").count(), 1, "{carol}");
    assert!(all.matches("Call-ID ").count() > 1);
}

/// The labels of the arrows of an SVG, in document order.
fn svg_labels(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("{e}: {svg}"));
    doc.descendants()
        .filter(|n| n.has_tag_name("g") && n.attribute("class") == Some("message"))
        .map(|n| n.attribute("data-label").unwrap_or_default().to_string())
        .collect()
}

#[test]
fn the_svg_is_xml_and_its_arrows_are_the_messages_in_order() {
    let svg = std::env::temp_dir().join(format!("sipline-flow-{}.svg", std::process::id()));
    let (_, err, code) = flow(&[
        "--svg",
        svg.to_str().unwrap(),
        "--outcome",
        "failed",
        "--code",
        "486",
        "--max-calls",
        "1",
        "corpus/sipp/proxy.pcap",
    ]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("1 call(s) drawn"), "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let _ = std::fs::remove_file(&svg);
    // The same messages as the text ladder, in its order.
    let golden =
        std::fs::read_to_string(common::workspace_root().join("cli/tests/golden/proxy_failed.txt"))
            .unwrap();
    let expected: Vec<&str> = [
        "INVITE",
        "100 trying -- your call is important to us",
        "INVITE",
        "180 Ringing",
        "180 Ringing",
        "486 Busy Here",
        "ACK",
        "486 Busy Here",
        "ACK",
    ]
    .to_vec();
    assert_eq!(svg_labels(&text), expected);
    for label in ["INVITE", "180 Ringing", "486 Busy Here", "ACK"] {
        assert!(golden.contains(label));
    }
}

/// Markup in headers, URIs and bodies is text in the SVG: it parses, no
/// element but the ladder's own appears, and the text reads as it was.
#[test]
fn message_text_is_escaped_in_the_svg() {
    let nasty = "<script>alert(1)</script>\"'&";
    let invite = format!(
        "INVITE sip:{0}@example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\
         From: \"{nasty}\" <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>\r\n\
         Call-ID: nasty-1\r\nCSeq: 1 INVITE\r\nUser-Agent: {nasty}\r\n\
         Content-Type: text/plain\r\nContent-Length: {1}\r\n\r\n{nasty}",
        "%3Cscript%3E",
        nasty.len()
    );
    let busy =
        "SIP/2.0 486 <b>Busy</b> & \"gone\" until the meeting ends at five\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\n\
         From: <sip:a@example.com>;tag=1\r\nTo: <sip:b@example.com>;tag=2\r\n\
         Call-ID: nasty-1\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let frame = |src: [u8; 4], dst: [u8; 4], msg: &[u8]| {
        let mut out = Vec::new();
        etherparse::PacketBuilder::ethernet2([1; 6], [2; 6])
            .ipv4(src, dst, 64)
            .udp(5060, 5060)
            .write(&mut out, msg)
            .unwrap();
        out
    };
    let capture = common::write_temp(
        "nasty.pcap",
        &common::pcap(
            1,
            &[
                frame([192, 0, 2, 1], [192, 0, 2, 2], invite.as_bytes()),
                frame([192, 0, 2, 2], [192, 0, 2, 1], busy.as_bytes()),
            ],
        ),
    );
    let svg = capture.with_extension("svg");
    let (_, err, code) = flow(&[
        "--svg",
        svg.to_str().unwrap(),
        "--full",
        capture.to_str().unwrap(),
    ]);
    assert_eq!(code, Some(0), "{err}");
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let tags: std::collections::BTreeSet<&str> = doc
        .descendants()
        .filter(|n| n.is_element())
        .map(|n| n.tag_name().name())
        .collect();
    assert_eq!(
        tags.into_iter().collect::<Vec<_>>(),
        ["defs", "g", "line", "marker", "path", "rect", "svg", "text", "title", "tspan"]
    );
    let busy_label = "486 <b>Busy</b> & \"gone\" until the meeting ends at five";
    let all_text: String = doc
        .descendants()
        .filter(|n| n.is_text())
        .filter_map(|n| n.text())
        .collect();
    assert!(all_text.contains(nasty), "{all_text}");
    assert!(all_text.contains(busy_label), "{all_text}");
    assert_eq!(svg_labels(&text), ["INVITE", busy_label]);
    // A label wider than the room between its lifelines is wrapped at
    // spaces, never cut.
    let lines: Vec<&str> = doc
        .descendants()
        .rfind(|n| n.has_tag_name("text") && n.attribute("class") == Some("label"))
        .unwrap()
        .children()
        .filter(|n| n.has_tag_name("tspan"))
        .filter_map(|n| n.text())
        .collect();
    assert!(lines.len() >= 2, "{lines:?}");
    assert!(lines.iter().all(|l| l.chars().count() <= 29), "{lines:?}");
    assert_eq!(lines.join(" "), busy_label);
    // The terminal shows it as it is, under --full too.
    let (out, _, _) = flow(&["--full", "--color", "never", capture.to_str().unwrap()]);
    assert!(out.contains(&format!("User-Agent: {nasty}")), "{out}");
}

/// A raw byte stream has no addresses and no times: RFC 3665 §3.2's
/// messages (a TCP flow through two proxies, so a stream is their own
/// form) draw as one ladder, every message an arrow in order, between the
/// four endpoints their headers name, with no time column.
#[test]
fn a_raw_stream_draws_with_endpoints_from_its_headers() {
    let Some(corpus) = common::shared_corpus("a ladder from a raw stream") else {
        return;
    };
    let messages = common::rfc3665_section(&corpus, "3.02", 0.5);
    let mut bytes = Vec::new();
    let mut labels = Vec::new();
    for (_, _, text) in &messages {
        let first = String::from_utf8_lossy(text)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        labels.push(match first.strip_prefix("SIP/2.0 ") {
            Some(status) => status.trim().to_string(),
            None => first.split(' ').next().unwrap_or_default().to_string(),
        });
        bytes.extend_from_slice(text);
    }
    let stream = common::write_temp("rfc3665-3.02.sip", &bytes);
    let path = stream.to_string_lossy().into_owned();
    let svg = stream.with_extension("svg");
    let svg_path = svg.to_string_lossy().into_owned();
    let (_, err, code) = flow(&["--svg", &svg_path, &path]);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(svg_labels(&std::fs::read_to_string(&svg).unwrap()), labels);
    let (out, err, code) = flow(&["--color", "never", "--width", "200", &path]);
    assert_eq!(code, Some(0), "{err}");
    let ends = out.lines().nth(1).unwrap_or_default();
    let names: Vec<&str> = ends.split_whitespace().collect();
    assert_eq!(
        names,
        [
            "client.atlanta.example.com:5060",
            "ss1.atlanta.example.com:5060",
            "ss2.biloxi.example.com:5060",
            "client.biloxi.example.com:5060"
        ],
        "{out}"
    );
    assert!(!out.contains("+0.000"), "no times in a raw stream: {out}");
    assert!(!out.contains("started"), "{out}");
    let _ = std::fs::remove_file(&stream);
    let _ = std::fs::remove_file(&svg);
}
