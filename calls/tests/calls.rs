//! The call engine on hand-built message sequences, one per case of the
//! spec's §6 (shared/spec/calls-and-metrics.md): the expected outcome and
//! timings are worked out in each test's comments.

use sipline::flow::{FlowId, Transport};
use sipline::{parse_datagram, Datagram, ParserConfig};
use sipline_calls::{CallLimits, CallRecord, CallTracker, Outcome, Party};

/// A message of call `cid` (caller tag `ft`): `line`, the top Via branch,
/// the number of Vias, CSeq, the To tag, and extra header lines.
#[allow(clippy::too_many_arguments)]
fn msg(
    line: &str,
    branch: &str,
    vias: usize,
    cseq: &str,
    cid: &str,
    ft: &str,
    tt: Option<&str>,
    extra: &str,
) -> Vec<u8> {
    let mut s = format!("{line}\r\n");
    s.push_str(&format!(
        "Via: SIP/2.0/UDP pc.a.example;branch={branch}\r\n"
    ));
    for i in 1..vias {
        s.push_str(&format!(
            "Via: SIP/2.0/UDP hop{i}.example;branch=z9hG4bKhop{i}\r\n"
        ));
    }
    s.push_str(&format!("From: <sip:alice@a.example>;tag={ft}\r\n"));
    match tt {
        Some(t) => s.push_str(&format!("To: <sip:bob@b.example>;tag={t}\r\n")),
        None => s.push_str("To: <sip:bob@b.example>\r\n"),
    }
    s.push_str(&format!(
        "Call-ID: {cid}\r\nCSeq: {cseq}\r\n{extra}Content-Length: 0\r\n\r\n"
    ));
    s.into_bytes()
}

fn flow() -> Option<FlowId> {
    Some(FlowId {
        transport: Transport::Udp,
        src: "192.0.2.1:5060".parse().unwrap(),
        dst: "192.0.2.2:5060".parse().unwrap(),
    })
}

fn feed(t: &mut CallTracker, time: f64, bytes: &[u8]) {
    let Ok(Datagram::Message(m)) = parse_datagram(bytes, &ParserConfig::default()) else {
        panic!("{}", String::from_utf8_lossy(bytes))
    };
    t.message(time, flow(), &m);
}

fn run(seq: &[(f64, Vec<u8>)]) -> Vec<CallRecord> {
    let mut t = CallTracker::default();
    for (time, m) in seq {
        feed(&mut t, *time, m);
    }
    t.finish()
}

const INV: &str = "INVITE sip:bob@b.example SIP/2.0";

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-6)
}

/// Case 1: Retransmissions. INVITE at 0, again at 0.5 (Timer A); 180 at 0.7;
/// 200 at 2.0 and again at 2.5 (the UAS resends until the ACK); ACK;
/// BYE by the caller at 12.0, its 200 at 12.05.
/// Outcome established; SRD = 0.7 − 0 = 700 ms (the first non-100 1xx, t1
/// not moved by the retransmission); PDD 700 ms (a 180); SDT = 12.0 − 2.0 =
/// 10 000 ms; SDD 50 ms; retransmissions 2; invites 1.
#[test]
fn retransmissions_do_not_move_t1_or_count_twice() {
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c1", "f1", None, ""),
        ),
        (
            0.5,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c1", "f1", None, ""),
        ),
        (
            0.6,
            msg(
                "SIP/2.0 100 Trying",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c1",
                "f1",
                None,
                "",
            ),
        ),
        (
            0.7,
            msg(
                "SIP/2.0 180 Ringing",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c1",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            2.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c1",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            2.5,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c1",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            2.6,
            msg(
                "ACK sip:bob@b.example SIP/2.0",
                "z9hG4bK2",
                1,
                "1 ACK",
                "c1",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            12.0,
            msg(
                "BYE sip:bob@b.example SIP/2.0",
                "z9hG4bK3",
                1,
                "2 BYE",
                "c1",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            12.05,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK3",
                1,
                "2 BYE",
                "c1",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    assert_eq!(r.len(), 1);
    let c = &r[0];
    assert_eq!(c.outcome, Outcome::Established);
    assert_eq!(
        (c.final_code, c.invites, c.retransmissions),
        (Some(200), 1, 2)
    );
    assert!(close(c.srd_ms, 700.0) && close(c.pdd_ms, 700.0), "{c:?}");
    assert!(
        close(c.duration_ms, 10_000.0) && close(c.disconnect_ms, 50.0),
        "{c:?}"
    );
    assert_eq!(
        (c.ended_by, c.bye_code, c.open_at_end),
        (Some(Party::Caller), Some(200), false)
    );
    assert_eq!(
        (c.caller.as_str(), c.callee.as_str()),
        ("sip:alice@a.example", "sip:bob@b.example")
    );
}

/// Case 2: Capture duplicates: the same bytes on the same flow 1 ms apart are one
/// packet captured twice, dropped and counted, not a retransmission.
#[test]
fn capture_duplicates_are_dropped() {
    let inv = msg(INV, "z9hG4bK1", 1, "1 INVITE", "c2", "f1", None, "");
    let busy = msg(
        "SIP/2.0 486 Busy Here",
        "z9hG4bK1",
        1,
        "1 INVITE",
        "c2",
        "f1",
        Some("t1"),
        "",
    );
    let mut t = CallTracker::default();
    for (time, m) in [(0.0, &inv), (0.001, &inv), (1.0, &busy), (1.0005, &busy)] {
        feed(&mut t, time, m);
    }
    assert_eq!(t.counts().capture_duplicates, 2);
    let r = t.finish();
    assert_eq!((r[0].outcome, r[0].retransmissions), (Outcome::Failed, 0));
}

/// Case 3: Two legs at one capture point: the caller's INVITE (1 Via) and the
/// proxy's copy downstream (2 Vias, new top branch). The callee's 486 comes
/// back on the downstream leg at 1.0 and is relayed on the caller's leg at
/// 1.01: the attempt is the caller's leg, SRD 1 010 ms (no 1xx: the final),
/// one attempt, one INVITE.
#[test]
fn a_proxy_leg_is_not_a_second_attempt() {
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bKa", 1, "1 INVITE", "c3", "f1", None, ""),
        ),
        (
            0.01,
            msg(INV, "z9hG4bKb", 2, "1 INVITE", "c3", "f1", None, ""),
        ),
        (
            1.0,
            msg(
                "SIP/2.0 486 Busy Here",
                "z9hG4bKb",
                2,
                "1 INVITE",
                "c3",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            1.01,
            msg(
                "SIP/2.0 486 Busy Here",
                "z9hG4bKa",
                1,
                "1 INVITE",
                "c3",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].outcome, r[0].invites), (Outcome::Failed, 1));
    assert!(close(r[0].srd_ms, 1010.0), "{:?}", r[0]);
}

/// Case 4: Auth challenge: INVITE → 407 → ACK → INVITE (CSeq 2, new branch) →
/// 180 at 0.9 → 200 at 3.0. One attempt (RFC 6076 §4.8's flow), invites 2,
/// auth_challenges 1, SRD from the first INVITE: 900 ms.
#[test]
fn a_challenge_retry_folds_into_one_attempt() {
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c4", "f1", None, ""),
        ),
        (
            0.1,
            msg(
                "SIP/2.0 407 Proxy Authentication Required",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c4",
                "f1",
                Some("px"),
                "",
            ),
        ),
        (
            0.11,
            msg(
                "ACK sip:bob@b.example SIP/2.0",
                "z9hG4bK1",
                1,
                "1 ACK",
                "c4",
                "f1",
                Some("px"),
                "",
            ),
        ),
        (
            0.2,
            msg(
                INV,
                "z9hG4bK2",
                1,
                "2 INVITE",
                "c4",
                "f1",
                None,
                "Proxy-Authorization: Digest x\r\n",
            ),
        ),
        (
            0.9,
            msg(
                "SIP/2.0 180 Ringing",
                "z9hG4bK2",
                1,
                "2 INVITE",
                "c4",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            3.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK2",
                1,
                "2 INVITE",
                "c4",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    assert_eq!(r.len(), 1);
    let c = &r[0];
    assert_eq!(
        (c.outcome, c.invites, c.auth_challenges),
        (Outcome::Established, 2, 1)
    );
    assert!(close(c.srd_ms, 900.0), "{c:?}");
    assert!(c.open_at_end, "no BYE before the end");
    assert_eq!(c.duration_ms, None);
}

/// Case 5: CANCEL race: 180, then the caller's CANCEL crosses the callee's 200.
/// The INVITE got a 2xx: established, whatever the CANCEL.
#[test]
fn a_cancel_that_crosses_the_answer_is_established() {
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c5", "f1", None, ""),
        ),
        (
            0.5,
            msg(
                "SIP/2.0 180 Ringing",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c5",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            5.0,
            msg(
                "CANCEL sip:bob@b.example SIP/2.0",
                "z9hG4bK1",
                1,
                "1 CANCEL",
                "c5",
                "f1",
                None,
                "",
            ),
        ),
        (
            5.001,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c5",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            5.002,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 CANCEL",
                "c5",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            5.1,
            msg(
                "BYE sip:bob@b.example SIP/2.0",
                "z9hG4bK9",
                1,
                "2 BYE",
                "c5",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            5.2,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK9",
                1,
                "2 BYE",
                "c5",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    assert_eq!(
        (r[0].outcome, r[0].final_code),
        (Outcome::Established, Some(200))
    );
    // And without the 2xx: cancelled (487 after a CANCEL).
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c5b", "f1", None, ""),
        ),
        (
            0.5,
            msg(
                "SIP/2.0 180 Ringing",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c5b",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            5.0,
            msg(
                "CANCEL sip:bob@b.example SIP/2.0",
                "z9hG4bK1",
                1,
                "1 CANCEL",
                "c5b",
                "f1",
                None,
                "Reason: Q.850;cause=16\r\n",
            ),
        ),
        (
            5.01,
            msg(
                "SIP/2.0 487 Request Terminated",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c5b",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    let c = &r[0];
    assert_eq!(
        (c.outcome, c.final_code, c.q850_cause),
        (Outcome::Cancelled, Some(487), Some(16))
    );
    assert_eq!(c.srd_ms, None, "cancelled attempts have no SRD (spec §3.3)");
    assert!(close(c.pdd_ms, 500.0));
}

/// Case 6: Forked 2xx: two 200s with different To tags. One attempt, the first
/// answer decides; the second is not a retransmission of the first.
#[test]
fn forked_answers_are_one_attempt() {
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c6", "f1", None, ""),
        ),
        (
            1.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c6",
                "f1",
                Some("ta"),
                "",
            ),
        ),
        (
            1.2,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c6",
                "f1",
                Some("tb"),
                "",
            ),
        ),
        (
            1.3,
            msg(
                "SIP/2.0 486 Busy Here",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c6",
                "f1",
                Some("tc"),
                "",
            ),
        ),
    ]);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[0].outcome, r[0].final_code, r[0].retransmissions),
        (Outcome::Established, Some(200), 0)
    );
    assert!(close(r[0].srd_ms, 1000.0));
}

/// Case 7: Redirect: 302, not followed: redirected. Followed by a new INVITE
/// (same Call-ID and From tag, CSeq 2) that is answered: one attempt,
/// established, redirects 1, invites 2.
#[test]
fn redirects() {
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c7", "f1", None, ""),
        ),
        (
            0.2,
            msg(
                "SIP/2.0 302 Moved Temporarily",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c7",
                "f1",
                Some("r1"),
                "Contact: <sip:bob@c.example>\r\n",
            ),
        ),
    ]);
    assert_eq!((r[0].outcome, r[0].redirects), (Outcome::Redirected, 1));
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c7b", "f1", None, ""),
        ),
        (
            0.2,
            msg(
                "SIP/2.0 302 Moved Temporarily",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c7b",
                "f1",
                Some("r1"),
                "",
            ),
        ),
        (
            0.3,
            msg(INV, "z9hG4bK2", 1, "2 INVITE", "c7b", "f1", None, ""),
        ),
        (
            1.3,
            msg(
                "SIP/2.0 180 Ringing",
                "z9hG4bK2",
                1,
                "2 INVITE",
                "c7b",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            2.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK2",
                1,
                "2 INVITE",
                "c7b",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    let c = &r[0];
    assert_eq!(
        (c.outcome, c.redirects, c.invites),
        (Outcome::Established, 1, 2)
    );
    // RFC 6076 §4.3.1: t1 stays at the INVITE to the redirect server, t4 is the 180.
    assert!(close(c.srd_ms, 1300.0), "{c:?}");
}

/// Cases 8 and 9: The capture's edges: responses for an INVITE sent before the
/// capture began (truncated), and a call still up at the end (open).
#[test]
fn capture_edges() {
    let r = run(&[
        (
            0.0,
            msg(
                "SIP/2.0 180 Ringing",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c8",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            1.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c8",
                "f1",
                Some("t1"),
                "",
            ),
        ),
    ]);
    assert_eq!(
        (r[0].outcome, r[0].srd_ms, r[0].invites),
        (Outcome::Truncated, None, 0)
    );
    let r = run(&[
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c9", "f1", None, ""),
        ),
        (
            1.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c9",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            100.0,
            msg(
                "OPTIONS sip:x@b.example SIP/2.0",
                "z9hG4bKo",
                1,
                "1 OPTIONS",
                "other",
                "o1",
                None,
                "",
            ),
        ),
    ]);
    assert_eq!(
        (r[0].outcome, r[0].open_at_end, r[0].duration_ms),
        (Outcome::Established, true, None)
    );
}

/// Case 10: Timeouts by capture time: no final 64·T1 = 32 s after the INVITE is
/// timed out; the capture ending 5 s after it leaves it pending.
#[test]
fn timeouts_by_capture_time() {
    let inv = msg(INV, "z9hG4bK1", 1, "1 INVITE", "c10", "f1", None, "");
    let other = msg(
        "OPTIONS sip:x@b.example SIP/2.0",
        "z9hG4bKo",
        1,
        "1 OPTIONS",
        "other",
        "o1",
        None,
        "",
    );
    let mut t = CallTracker::default();
    feed(&mut t, 0.0, &inv);
    feed(&mut t, 40.0, &other);
    let done: Vec<_> = t.drain().collect();
    assert_eq!(
        done.len(),
        1,
        "handed out once it timed out, before the end"
    );
    assert_eq!(done[0].outcome, Outcome::TimedOut);
    assert_eq!(t.open(), 0);
    let r = run(&[(0.0, inv.clone()), (5.0, other)]);
    assert_eq!(r[0].outcome, Outcome::Pending);
}

/// Case 11: The callee hangs up, with a Q.850 cause on the BYE.
#[test]
fn the_callee_hangs_up() {
    let r = run(&[
        (0.0, msg(INV, "z9hG4bK1", 1, "1 INVITE", "c11", "f1", None, "")),
        (1.0, msg("SIP/2.0 200 OK", "z9hG4bK1", 1, "1 INVITE", "c11", "f1", Some("t1"), "")),
        // From and To swapped: the callee's request.
        (61.0, b"BYE sip:alice@a.example SIP/2.0\r\nVia: SIP/2.0/UDP pc.b.example;branch=z9hG4bKb\r\nFrom: <sip:bob@b.example>;tag=t1\r\nTo: <sip:alice@a.example>;tag=f1\r\nCall-ID: c11\r\nCSeq: 1 BYE\r\nReason: Q.850;cause=16;text=\"Normal\"\r\nContent-Length: 0\r\n\r\n".to_vec()),
        (61.1, b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP pc.b.example;branch=z9hG4bKb\r\nFrom: <sip:bob@b.example>;tag=t1\r\nTo: <sip:alice@a.example>;tag=f1\r\nCall-ID: c11\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n".to_vec()),
    ]);
    let c = &r[0];
    assert_eq!(
        (c.ended_by, c.q850_cause, c.bye_code),
        (Some(Party::Callee), Some(16), Some(200))
    );
    assert!(
        close(c.duration_ms, 60_000.0) && close(c.disconnect_ms, 100.0),
        "{c:?}"
    );
}

/// Case 12: Memory stays bounded: 1 000 attempts left pending with a cap of 10;
/// 990 are evicted (handed out, counted), 10 are held.
#[test]
fn attempts_in_progress_are_capped() {
    let mut t = CallTracker::new(CallLimits {
        max_calls: 10,
        ..CallLimits::default()
    });
    for i in 0..1000 {
        let m = msg(
            INV,
            &format!("z9hG4bK{i}"),
            1,
            "1 INVITE",
            &format!("cap{i}"),
            "f1",
            None,
            "",
        );
        feed(&mut t, i as f64 * 0.001, &m);
        assert!(t.open() <= 10);
    }
    assert_eq!(t.counts().evicted, 990);
    assert_eq!(t.drain().count(), 990);
    assert_eq!(t.finish().len(), 10);
}

/// The metrics of the spec's §3 on a set of attempts worked out by hand:
/// established ×2 (one redirected first, both ended by a BYE answered 200),
/// busy 486, 503, redirected (not followed), challenge left unanswered,
/// cancelled after ringing, timed out, pending (left out).
///
/// Session requests (known outcome): 8. Redirected outcomes: 1.
/// SER = 2 ÷ (8 − 1) = 28.571 %. SEER = (2 + 486) ÷ 7 = 42.857 %.
/// ISA = (503 + timeout) ÷ 8 = 25 %. SCR = 2 completed ÷ 8 = 25 %.
/// ASR = 2 ÷ 8 = 25 %.
#[test]
fn rfc6076_ratios_by_hand() {
    use sipline_calls::Metrics;
    let base = CallRecord {
        call_id: "x".into(),
        from_tag: "f".into(),
        caller: String::new(),
        callee: String::new(),
        start: 0.0,
        outcome: Outcome::Failed,
        final_code: None,
        final_reason: None,
        q850_cause: None,
        srd_ms: None,
        pdd_ms: None,
        duration_ms: None,
        disconnect_ms: None,
        bye_code: None,
        open_at_end: false,
        ended_by: None,
        invites: 1,
        auth_challenges: 0,
        redirects: 0,
        retransmissions: 0,
        flow: None,
    };
    let with = |outcome, code: Option<u16>, f: &dyn Fn(&mut CallRecord)| {
        let mut r = base.clone();
        r.outcome = outcome;
        r.final_code = code;
        f(&mut r);
        r
    };
    let ended = |r: &mut CallRecord| {
        r.bye_code = Some(200);
        r.disconnect_ms = Some(40.0);
        r.duration_ms = Some(60_000.0);
        r.ended_by = Some(Party::Caller);
        r.srd_ms = Some(800.0);
    };
    let records = [
        with(Outcome::Established, Some(200), &ended),
        with(Outcome::Established, Some(200), &|r| {
            ended(r);
            r.redirects = 1;
        }),
        with(Outcome::Failed, Some(486), &|r| r.srd_ms = Some(300.0)),
        with(Outcome::Failed, Some(503), &|r| r.srd_ms = Some(100.0)),
        with(Outcome::Redirected, Some(302), &|r| r.redirects = 1),
        with(Outcome::ChallengeUnanswered, Some(407), &|_| {}),
        with(Outcome::Cancelled, Some(487), &|r| r.pdd_ms = Some(500.0)),
        with(Outcome::TimedOut, None, &|_| {}),
        with(Outcome::Pending, None, &|_| {}),
    ];
    let mut m = Metrics::default();
    for r in &records {
        m.add(r);
    }
    let approx = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-3);
    assert_eq!(m.session_requests(), 8);
    assert!(approx(m.ser(), 200.0 / 7.0), "{:?}", m.ser());
    assert!(approx(m.seer(), 300.0 / 7.0), "{:?}", m.seer());
    assert!(approx(m.isa(), 25.0));
    assert!(approx(m.scr(), 25.0));
    assert!(approx(m.asr(), 25.0));
    let srd = m.srd_success.summary().unwrap();
    assert_eq!((srd.count, srd.mean), (2, 800.0));
    let fail = m.srd_failure.summary().unwrap();
    assert_eq!((fail.count, fail.p50, fail.max), (2, 100.0, 300.0));
    assert_eq!(m.sdt.summary().unwrap().count, 2);
    assert_eq!(m.sdd_success.summary().unwrap().mean, 40.0);
    // A ratio with no denominator is undefined, not 0 (RFC 6076 §4).
    assert_eq!(Metrics::default().ser(), None);
}

/// One Call-ID with a thousand From tags (a hostile capture) holds at most
/// 32 attempts; the rest are evicted and counted.
#[test]
fn attempts_under_one_call_id_are_capped() {
    let mut t = CallTracker::default();
    for i in 0..1000 {
        let m = msg(
            INV,
            &format!("z9hG4bK{i}"),
            1,
            "1 INVITE",
            "same",
            &format!("f{i}"),
            None,
            "",
        );
        feed(&mut t, i as f64 * 0.001, &m);
        assert!(t.open() <= 32);
    }
    assert_eq!(t.counts().evicted, 968);
}

/// Spec §6 rule 9: a re-INVITE is not an attempt; a 491 to it leaves the
/// call up, a 481 (or 408) ends the dialog (RFC 3261 §12.2.1.2). Alice calls
/// Bob (200 at 1 s); Bob re-INVITEs at 10 s.
/// - Answered 491: the call is still up when the capture ends.
/// - Answered 481: the dialog is gone; 64·T1 later (a message at 50 s) the
///   attempt is handed out, established, not open, no BYE, no duration.
#[test]
fn a_481_to_a_reinvite_ends_the_dialog() {
    let reinvite = |branch: &str| -> Vec<u8> {
        format!(
            "INVITE sip:alice@a.example SIP/2.0\r\nVia: SIP/2.0/UDP pc.b.example;branch={branch}\r\n\
             From: <sip:bob@b.example>;tag=t1\r\nTo: <sip:alice@a.example>;tag=f1\r\n\
             Call-ID: c12\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    };
    let answer = |branch: &str, status: &str| -> Vec<u8> {
        format!(
            "SIP/2.0 {status}\r\nVia: SIP/2.0/UDP pc.b.example;branch={branch}\r\n\
             From: <sip:bob@b.example>;tag=t1\r\nTo: <sip:alice@a.example>;tag=f1\r\n\
             Call-ID: c12\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n"
        )
        .into_bytes()
    };
    let call = [
        (
            0.0,
            msg(INV, "z9hG4bK1", 1, "1 INVITE", "c12", "f1", None, ""),
        ),
        (
            1.0,
            msg(
                "SIP/2.0 200 OK",
                "z9hG4bK1",
                1,
                "1 INVITE",
                "c12",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (
            1.1,
            msg(
                "ACK sip:bob@b.example SIP/2.0",
                "z9hG4bK2",
                1,
                "1 ACK",
                "c12",
                "f1",
                Some("t1"),
                "",
            ),
        ),
        (10.0, reinvite("z9hG4bKre")),
    ];
    let mut seq = call.to_vec();
    seq.push((10.1, answer("z9hG4bKre", "491 Request Pending")));
    let r = run(&seq);
    assert_eq!(r.len(), 1, "the re-INVITE is not an attempt: {r:?}");
    assert_eq!(
        (r[0].outcome, r[0].open_at_end),
        (Outcome::Established, true)
    );

    let mut t = CallTracker::default();
    for (time, m) in call
        .iter()
        .chain([&(10.1, answer("z9hG4bKre", "481 Call Does Not Exist"))])
    {
        feed(&mut t, *time, m);
    }
    t.advance(50.0);
    let done: Vec<_> = t.drain().collect();
    assert_eq!(done.len(), 1, "ended before the capture did");
    assert_eq!(done[0].outcome, Outcome::Established);
    assert!(!done[0].open_at_end);
    assert_eq!((done[0].ended_by, done[0].duration_ms), (None, None));
    assert_eq!(t.open(), 0);
}
