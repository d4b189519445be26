//! `SdpMap`: RTP streams tied to calls by the addresses their offers and
//! answers announce (RFC 3264), with the cases a capture throws at it:
//! one media port reused call after call, overlapping calls, re-INVITEs,
//! hold, failed calls, bad bodies and the bound on calls.

use std::net::SocketAddr;

use sipline::{parse_datagram, Datagram, ParserConfig};
use sipline_calls::{Party, SdpLimits, SdpMap, Tie};

/// An SDP body announcing audio at `addr` with `extra` media lines.
fn sdp(addr: &str, extra: &str) -> String {
    let (ip, port) = addr.rsplit_once(':').unwrap();
    format!(
        "v=0\r\no=- 1 1 IN IP4 {ip}\r\ns=-\r\nc=IN IP4 {ip}\r\nt=0 0\r\n\
         m=audio {port} RTP/AVP 8 96\r\na=rtpmap:96 opus/48000/2\r\n{extra}"
    )
}

/// A message: `start` line, the call's tags, CSeq and an optional body.
fn msg(
    start: &str,
    call: &str,
    tags: (&str, Option<&str>),
    cseq: &str,
    body: Option<&str>,
) -> Vec<u8> {
    let to = tags.1.map_or(String::new(), |t| format!(";tag={t}"));
    let body = body.unwrap_or("");
    let ct = if body.is_empty() {
        String::new()
    } else {
        "Content-Type: application/sdp\r\n".to_string()
    };
    format!(
        "{start}\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK{call}{cseq}\r\n\
         From: <sip:a@h>;tag={}\r\nTo: <sip:b@h>{to}\r\nCall-ID: {call}\r\nCSeq: {cseq}\r\n\
         {ct}Content-Length: {}\r\n\r\n{body}",
        tags.0,
        body.len()
    )
    .into_bytes()
}

fn feed(map: &mut SdpMap, time: f64, bytes: &[u8]) {
    match parse_datagram(bytes, &ParserConfig::default()) {
        Ok(Datagram::Message(m)) => map.message(time, &m),
        other => panic!("{other:?}\n{}", String::from_utf8_lossy(bytes)),
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A whole call: offer at `t`, answer at `t + 1`, BYE at `t + end`.
fn call(map: &mut SdpMap, t: f64, id: &str, caller: &str, callee: &str, end: Option<f64>) {
    let offer = sdp(caller, "");
    let answer = sdp(callee, "");
    feed(
        map,
        t,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            id,
            ("1", None),
            "1 INVITE",
            Some(&offer),
        ),
    );
    feed(
        map,
        t + 1.0,
        &msg(
            "SIP/2.0 200 OK",
            id,
            ("1", Some("2")),
            "1 INVITE",
            Some(&answer),
        ),
    );
    feed(
        map,
        t + 1.1,
        &msg("ACK sip:b@h SIP/2.0", id, ("1", Some("2")), "1 ACK", None),
    );
    if let Some(e) = end {
        feed(
            map,
            t + e,
            &msg("BYE sip:b@h SIP/2.0", id, ("1", Some("2")), "2 BYE", None),
        );
    }
}

/// Who a stream was tied to: (Call-ID, sender), or a word.
fn tied(map: &SdpMap, time: f64, src: &str, dst: &str) -> String {
    match map.tie(time, addr(src), addr(dst)) {
        Tie::Call { call, sender, .. } => format!("{} {}", call.call_id, sender.name()),
        Tie::Ambiguous => "ambiguous".into(),
        Tie::Unknown => "unknown".into(),
    }
}

#[test]
fn offer_and_answer_tie_each_direction_with_its_codec() {
    let mut map = SdpMap::default();
    call(
        &mut map,
        0.0,
        "c1",
        "192.0.2.1:4000",
        "192.0.2.2:5000",
        None,
    );
    assert_eq!(
        tied(&map, 2.0, "192.0.2.2:5000", "192.0.2.1:4000"),
        "c1 callee"
    );
    assert_eq!(
        tied(&map, 2.0, "192.0.2.1:4000", "192.0.2.2:5000"),
        "c1 caller"
    );
    // The callee's answer came at 1.0: nothing was announced there before.
    assert_eq!(
        tied(&map, 0.5, "192.0.2.1:4000", "192.0.2.2:5000"),
        "unknown"
    );
    assert_eq!(
        tied(&map, 2.0, "192.0.2.1:4000", "192.0.2.9:5000"),
        "unknown"
    );
    let Tie::Call { media, call, .. } =
        map.tie(2.0, addr("192.0.2.2:5000"), addr("192.0.2.1:4000"))
    else {
        panic!()
    };
    assert_eq!(media.codec(96), Some(("opus", 48_000)));
    assert_eq!(media.codec(8), Some(("PCMA", 8_000)));
    assert_eq!(media.codec(0), None, "not offered");
    assert_eq!(media.rtcp, Some(addr("192.0.2.1:4001")));
    assert!(!media.srtp);
    assert_eq!(call.answered, Some(1.0));
    assert!(call.audio_both_ways());
    assert_eq!(map.counts().descriptions, 2);
}

#[test]
fn one_port_reused_call_after_call_ties_each_stream_to_its_own_call() {
    let mut map = SdpMap::default();
    call(
        &mut map,
        0.0,
        "c1",
        "192.0.2.1:6000",
        "192.0.2.2:6000",
        Some(10.0),
    );
    call(
        &mut map,
        11.0,
        "c2",
        "192.0.2.1:6000",
        "192.0.2.2:6000",
        Some(10.0),
    );
    assert_eq!(
        tied(&map, 5.0, "192.0.2.2:6000", "192.0.2.1:6000"),
        "c1 callee"
    );
    assert_eq!(
        tied(&map, 13.0, "192.0.2.2:6000", "192.0.2.1:6000"),
        "c2 callee"
    );
    // Between the two: the first is over, the second not yet offered.
    assert_eq!(
        tied(&map, 10.5, "192.0.2.2:6000", "192.0.2.1:6000"),
        "unknown"
    );
}

#[test]
fn overlapping_calls_on_one_address_are_told_apart_by_the_sender_or_not_at_all() {
    let mut map = SdpMap::default();
    call(
        &mut map,
        0.0,
        "c1",
        "192.0.2.1:6000",
        "192.0.2.2:7000",
        None,
    );
    call(
        &mut map,
        0.5,
        "c2",
        "192.0.2.1:6000",
        "192.0.2.3:7000",
        None,
    );
    assert_eq!(
        tied(&map, 3.0, "192.0.2.2:7000", "192.0.2.1:6000"),
        "c1 callee"
    );
    assert_eq!(
        tied(&map, 3.0, "192.0.2.3:7000", "192.0.2.1:6000"),
        "c2 callee"
    );
    // A sender neither announced: never merged into one of them.
    assert_eq!(
        tied(&map, 3.0, "192.0.2.9:7000", "192.0.2.1:6000"),
        "ambiguous"
    );
    call(
        &mut map,
        1.0,
        "c3",
        "192.0.2.1:6000",
        "192.0.2.3:7000",
        None,
    );
    assert_eq!(
        tied(&map, 3.0, "192.0.2.3:7000", "192.0.2.1:6000"),
        "ambiguous"
    );
}

#[test]
fn a_re_invite_moves_the_media_and_hold_is_not_both_ways() {
    let mut map = SdpMap::default();
    call(
        &mut map,
        0.0,
        "c1",
        "192.0.2.1:4000",
        "192.0.2.2:5000",
        None,
    );
    // The callee re-INVITEs: its From tag is the callee's, and it moves to 5002.
    let moved = sdp("192.0.2.2:5002", "a=sendonly\r\n");
    feed(
        &mut map,
        20.0,
        &msg(
            "INVITE sip:a@h SIP/2.0",
            "c1",
            ("2", Some("1")),
            "1 INVITE",
            Some(&moved),
        ),
    );
    let back = sdp("192.0.2.1:4000", "a=recvonly\r\n");
    feed(
        &mut map,
        20.1,
        &msg(
            "SIP/2.0 200 OK",
            "c1",
            ("2", Some("1")),
            "1 INVITE",
            Some(&back),
        ),
    );
    assert_eq!(
        tied(&map, 21.0, "192.0.2.1:4000", "192.0.2.2:5002"),
        "c1 caller"
    );
    assert_eq!(
        tied(&map, 19.0, "192.0.2.1:4000", "192.0.2.2:5002"),
        "unknown"
    );
    // The address it moved away from is no longer the call's.
    assert_eq!(
        tied(&map, 21.0, "192.0.2.1:4000", "192.0.2.2:5000"),
        "unknown"
    );
    assert_eq!(
        tied(&map, 19.0, "192.0.2.1:4000", "192.0.2.2:5000"),
        "c1 caller"
    );
    let c = map.call(b"c1", "1").unwrap();
    assert_eq!(c.described.len(), 4);
    assert_eq!(c.described[2].by, Party::Callee);
    assert_eq!(c.described[3].by, Party::Caller);
    assert!(!c.audio_both_ways(), "on hold");
    // Its answer is still the first 2xx to the initial INVITE.
    assert_eq!(c.answered, Some(1.0));
}

#[test]
fn a_failed_call_is_over_and_a_retry_after_a_challenge_opens_it_again() {
    let mut map = SdpMap::default();
    let offer = sdp("192.0.2.1:4000", "");
    feed(
        &mut map,
        0.0,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            ("1", None),
            "1 INVITE",
            Some(&offer),
        ),
    );
    feed(
        &mut map,
        0.1,
        &msg(
            "SIP/2.0 407 Proxy Authentication Required",
            "c1",
            ("1", Some("x")),
            "1 INVITE",
            None,
        ),
    );
    assert_eq!(map.call(b"c1", "1").unwrap().ended, Some(0.1));
    assert_eq!(
        tied(&map, 0.5, "192.0.2.2:5000", "192.0.2.1:4000"),
        "unknown"
    );
    feed(
        &mut map,
        0.2,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            ("1", None),
            "2 INVITE",
            Some(&offer),
        ),
    );
    assert_eq!(map.call(b"c1", "1").unwrap().ended, None);
    assert_eq!(
        map.call(b"c1", "1").unwrap().described.len(),
        1,
        "the same offer again"
    );
    assert_eq!(
        tied(&map, 0.5, "192.0.2.2:5000", "192.0.2.1:4000"),
        "c1 callee"
    );
    feed(
        &mut map,
        0.3,
        &msg(
            "SIP/2.0 486 Busy Here",
            "c1",
            ("1", Some("y")),
            "2 INVITE",
            None,
        ),
    );
    assert_eq!(
        tied(&map, 0.5, "192.0.2.2:5000", "192.0.2.1:4000"),
        "unknown"
    );
}

#[test]
fn bodies_that_are_not_sdp_or_do_not_parse_are_counted_or_passed_over() {
    let mut map = SdpMap::default();
    feed(
        &mut map,
        0.0,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            ("1", None),
            "1 INVITE",
            Some("m=\r\n"),
        ),
    );
    assert_eq!(map.counts().malformed, 1);
    // SRTP, a rejected stream, a held address and no address at all.
    let body = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n\
                m=audio 4000 RTP/SAVP 0\r\nc=IN IP4 192.0.2.1\r\n\
                m=video 0 RTP/AVP 96\r\nc=IN IP4 192.0.2.1\r\n\
                m=audio 4002 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n\
                m=audio 4004 RTP/AVP 0\r\n";
    feed(
        &mut map,
        0.0,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            "c2",
            ("1", None),
            "1 INVITE",
            Some(body),
        ),
    );
    let c = map.call(b"c2", "1").unwrap();
    assert_eq!(c.described[0].media.len(), 1, "{c:?}");
    assert!(c.described[0].media[0].srtp);
    // A message outside any call, and one of another method, change nothing.
    feed(
        &mut map,
        0.0,
        &msg("BYE sip:b@h SIP/2.0", "c9", ("1", Some("2")), "2 BYE", None),
    );
    feed(
        &mut map,
        0.0,
        &msg(
            "OPTIONS sip:b@h SIP/2.0",
            "c2",
            ("1", None),
            "1 OPTIONS",
            None,
        ),
    );
    assert_eq!(map.calls().count(), 2);
}

#[test]
fn calls_are_bounded_and_an_evicted_call_ties_nothing() {
    let mut map = SdpMap::new(2);
    call(
        &mut map,
        0.0,
        "c1",
        "192.0.2.1:4000",
        "192.0.2.2:5000",
        None,
    );
    call(
        &mut map,
        0.0,
        "c2",
        "192.0.2.1:4010",
        "192.0.2.2:5010",
        None,
    );
    call(
        &mut map,
        0.0,
        "c3",
        "192.0.2.1:4020",
        "192.0.2.2:5020",
        None,
    );
    assert_eq!(map.counts().evicted, 1);
    assert_eq!(map.calls().count(), 2);
    assert_eq!(
        tied(&map, 2.0, "192.0.2.2:5000", "192.0.2.1:4000"),
        "unknown"
    );
    assert_eq!(
        tied(&map, 2.0, "192.0.2.2:5020", "192.0.2.1:4020"),
        "c3 callee"
    );
}

#[test]
fn every_other_bound_holds_what_it_says() {
    let limits = SdpLimits {
        max_calls: 10,
        attempts_per_call_id: 1,
        descriptions: 2,
        sections: 1,
        formats: 1,
        calls_per_address: 1,
    };
    let mut map = SdpMap::with_limits(limits);
    assert_eq!(map.limits(), limits);
    // Two audio sections, two formats: one of each kept.
    let two = sdp("192.0.2.1:4000", "m=audio 4002 RTP/AVP 0\r\n");
    feed(
        &mut map,
        0.0,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            ("1", None),
            "1 INVITE",
            Some(&two),
        ),
    );
    let c = map.call(b"c1", "1").unwrap();
    assert_eq!(c.described[0].media.len(), 1);
    assert_eq!(c.described[0].media[0].formats.len(), 1);
    // Re-offers at new ports: the latest two descriptions kept.
    for (i, port) in [4010, 4020].into_iter().enumerate() {
        let offer = sdp(&format!("192.0.2.1:{port}"), "");
        let cseq = format!("{} INVITE", i + 2);
        feed(
            &mut map,
            1.0 + i as f64,
            &msg(
                "INVITE sip:b@h SIP/2.0",
                "c1",
                ("1", Some("2")),
                &cseq,
                Some(&offer),
            ),
        );
    }
    let c = map.call(b"c1", "1").unwrap();
    let ports: Vec<u16> = c.described.iter().map(|d| d.media[0].rtp.port()).collect();
    assert_eq!(ports, [4010, 4020]);
    // A second attempt under the same Call-ID evicts the first.
    feed(
        &mut map,
        3.0,
        &msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            ("9", None),
            "1 INVITE",
            Some(&sdp("192.0.2.9:6000", "")),
        ),
    );
    assert!(map.call(b"c1", "1").is_none());
    assert!(map.call(b"c1", "9").is_some());
    assert_eq!(map.counts().evicted, 1);
    // One call per address: of two live calls offering one address, the
    // later one alone is remembered there (else the stream is ambiguous).
    let mut wide = SdpMap::default();
    for id in ["c3", "c4"] {
        let offer = sdp("192.0.2.5:7000", "");
        let invite = msg(
            "INVITE sip:b@h SIP/2.0",
            id,
            ("1", None),
            "1 INVITE",
            Some(&offer),
        );
        feed(&mut map, 4.0, &invite);
        feed(&mut wide, 4.0, &invite);
    }
    assert_eq!(
        tied(&map, 5.0, "192.0.2.6:5000", "192.0.2.5:7000"),
        "c4 callee"
    );
    assert_eq!(
        tied(&wide, 5.0, "192.0.2.6:5000", "192.0.2.5:7000"),
        "ambiguous"
    );
}

#[test]
fn the_address_index_holds_only_what_the_held_calls_announce() {
    let mut map = SdpMap::with_limits(SdpLimits {
        max_calls: 2,
        attempts_per_call_id: 1,
        descriptions: 2,
        ..SdpLimits::default()
    });
    // One call re-offering at a new port 50 times: two descriptions kept,
    // so two addresses indexed.
    call(
        &mut map,
        0.0,
        "c1",
        "192.0.2.1:4000",
        "192.0.2.2:5000",
        None,
    );
    for i in 0..50u16 {
        let offer = sdp(&format!("192.0.2.1:{}", 6000 + 2 * i), "");
        let cseq = format!("{} INVITE", i + 2);
        let invite = msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            ("1", Some("2")),
            &cseq,
            Some(&offer),
        );
        feed(&mut map, 2.0 + f64::from(i), &invite);
    }
    assert_eq!(map.addresses(), 2);
    // New attempts under the same Call-ID, one held at a time.
    for tag in ["a", "b", "c"] {
        let offer = sdp(
            &format!("192.0.2.9:{}", 7000 + u16::from(tag.as_bytes()[0])),
            "",
        );
        let invite = msg(
            "INVITE sip:b@h SIP/2.0",
            "c1",
            (tag, None),
            "1 INVITE",
            Some(&offer),
        );
        feed(&mut map, 60.0, &invite);
    }
    assert_eq!(map.addresses(), 1);
    // Calls past the bound: the evicted ones leave the index.
    for k in 0..10u16 {
        let (a, b) = (
            format!("192.0.2.3:{}", 8000 + 2 * k),
            format!("192.0.2.4:{}", 9000 + 2 * k),
        );
        call(&mut map, 70.0, &format!("d{k}"), &a, &b, None);
    }
    assert_eq!(map.addresses(), 4);
}
