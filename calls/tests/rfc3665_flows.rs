//! Every call flow of RFC 3665 ("SIP Basic Call Flow Examples"), fed to the
//! call engine in the order the RFC numbers its messages, gets the outcome
//! its section describes. The flows are in `../shared/corpus/rfc3665`, one
//! file per message (`S.NN_title-MM.dat`); they carry no capture times, so
//! messages are 100 ms apart, and a copy of the message before it (a
//! retransmission: §3.4's INVITEs to the dead proxy) comes after Timer A,
//! T1 doubling from 500 ms, as RFC 3261 §17.1.1.2 sends them. After the
//! last message the clock runs on past 64·T1, so what the RFC shows as a
//! timeout is one.
//!
//! All flows see every hop (the RFC draws both sides of each proxy), so
//! the engine must also tell proxy legs from new attempts.

#[path = "../../tests/common/mod.rs"]
mod common;

use sipline::{parse_datagram, Datagram, ParserConfig};
use sipline_calls::{CallLimits, CallRecord, CallTracker, Outcome, Party, Registrations};
use std::path::PathBuf;

fn dir() -> PathBuf {
    common::workspace_root().join("../shared/corpus")
}

/// Whether the shared corpus is here, through the tests' one helper for
/// outside inputs (a skip line, or a failure when it is required).
fn have_corpus(skipped: &str) -> bool {
    common::shared_corpus(skipped).is_some()
}

/// The records and registrations of one section, fed with the times
/// [`common::rfc3665_section`] gives.
fn run(prefix: &str) -> (Vec<CallRecord>, Registrations) {
    let limits = CallLimits::default();
    let mut t = CallTracker::new(limits);
    let mut time = 0.0;
    for (name, at, bytes) in common::rfc3665_section(&dir(), prefix, limits.t1) {
        let Ok(Datagram::Message(m)) = parse_datagram(&bytes, &ParserConfig::default()) else {
            panic!("{name} does not parse")
        };
        t.message(at, None, &m);
        time = at;
    }
    t.advance(time + 64.0 * limits.t1 + 1.0);
    t.finish_all()
}

/// What a section's call attempt must show.
struct Want {
    outcome: Outcome,
    final_code: Option<u16>,
    invites: u32,
    auth_challenges: u32,
    redirects: u32,
    retransmissions: u32,
    ended_by: Option<Party>,
    open_at_end: bool,
}

const fn want(outcome: Outcome, final_code: Option<u16>, invites: u32) -> Want {
    Want {
        outcome,
        final_code,
        invites,
        auth_challenges: 0,
        redirects: 0,
        retransmissions: 0,
        ended_by: None,
        open_at_end: false,
    }
}

fn check(prefix: &str, wants: &[Want]) {
    let (recs, regs) = run(prefix);
    assert_eq!(regs.attempts, 0, "{prefix}: no REGISTER in a session flow");
    assert_eq!(recs.len(), wants.len(), "{prefix}: {recs:#?}");
    for (r, w) in recs.iter().zip(wants) {
        let got = (
            r.outcome,
            r.final_code,
            r.invites,
            r.auth_challenges,
            r.redirects,
            r.retransmissions,
            r.ended_by,
            r.open_at_end,
        );
        let expected = (
            w.outcome,
            w.final_code,
            w.invites,
            w.auth_challenges,
            w.redirects,
            w.retransmissions,
            w.ended_by,
            w.open_at_end,
        );
        assert_eq!(got, expected, "{prefix}: {r:#?}");
    }
}

/// Sessions (§3). The table: section, what the RFC describes, and what the
/// engine must make of it.
///
/// | section | the RFC's flow | attempts |
/// |---|---|---|
/// | 3.1 | INVITE, 180, 200, ACK; Bob sends BYE | established, callee hung up |
/// | 3.2 | through two proxies; proxy 1 challenges (407), Bob hangs up | established, 2 INVITEs folded, 1 challenge |
/// | 3.3 | proxies 1 and 2 each challenge; no BYE in the flow | established, 3 INVITEs, 2 challenges, open at the end |
/// | 3.4 | proxy 1 never answers (7 INVITEs), Alice fails over to proxy 2 with a new Call-ID | timed out (6 retransmissions); then established, 1 challenge |
/// | 3.5 | through a SIP ALG; Alice hangs up | established, caller hung up |
/// | 3.6 | a redirect server's 302, then the proxy; Bob hangs up | established, 1 redirect folded (2 INVITEs) |
/// | 3.7 | Bob's re-INVITE changes his address; Alice hangs up | one attempt, established: the re-INVITE is not an attempt |
/// | 3.8 | ringing, Alice cancels | cancelled, 487 |
/// | 3.9 | Bob is busy | failed, 486 |
/// | 3.10 | Bob's UA never answers the proxy's INVITE (7 copies); the proxy gives up with 480 | failed, 480, 6 retransmissions |
/// | 3.11 | Bob is temporarily unavailable | failed, 480 |
#[test]
fn every_session_flow_gets_the_outcome_its_section_describes() {
    use Outcome::*;
    if !have_corpus("the RFC 3665 session flows") {
        return;
    }
    check(
        "3.01",
        &[Want {
            ended_by: Some(Party::Callee),
            ..want(Established, Some(200), 1)
        }],
    );
    check(
        "3.02",
        &[Want {
            auth_challenges: 1,
            ended_by: Some(Party::Callee),
            ..want(Established, Some(200), 2)
        }],
    );
    check(
        "3.03",
        &[Want {
            auth_challenges: 2,
            open_at_end: true,
            ..want(Established, Some(200), 3)
        }],
    );
    check(
        "3.04",
        &[
            Want {
                retransmissions: 6,
                ..want(TimedOut, None, 1)
            },
            Want {
                auth_challenges: 1,
                ended_by: Some(Party::Callee),
                ..want(Established, Some(200), 2)
            },
        ],
    );
    check(
        "3.05",
        &[Want {
            ended_by: Some(Party::Caller),
            ..want(Established, Some(200), 1)
        }],
    );
    check(
        "3.06",
        &[Want {
            redirects: 1,
            ended_by: Some(Party::Callee),
            ..want(Established, Some(200), 2)
        }],
    );
    check(
        "3.07",
        &[Want {
            ended_by: Some(Party::Caller),
            ..want(Established, Some(200), 1)
        }],
    );
    check("3.08", &[want(Cancelled, Some(487), 1)]);
    check("3.09", &[want(Failed, Some(486), 1)]);
    // The proxy's 6 retransmissions to Bob's silent UA are seen too.
    check(
        "3.10",
        &[Want {
            retransmissions: 6,
            ..want(Failed, Some(480), 1)
        }],
    );
    check("3.11", &[want(Failed, Some(480), 1)]);
}

/// Registrations (§2): RRD and IRA inputs.
///
/// | section | the RFC's flow | attempts | IRA failures | challenge left unanswered | RRD samples |
/// |---|---|---|---|---|---|
/// | 2.1 | REGISTER, 401, REGISTER with credentials, 200 | 1 | 0 | 0 | 1 (the challenge round inside it) |
/// | 2.2 | REGISTER adding a contact, 200 | 1 | 0 | 0 | 1 |
/// | 2.3 | REGISTER without Contact (a query), 200 | 1 | 0 | 0 | 1 |
/// | 2.4 | REGISTER with Expires 0, 200 | 1 | 0 | 0 | 1 |
/// | 2.5 | REGISTER, 401, REGISTER with wrong credentials, 401 | 1 | 0 | 1 | 0 |
///
/// §2.5 is "unsuccessful" in RFC 3665's words, but RFC 6076 §4.2 does not
/// count a 401 as a failed registration: the attempt is in IRA's
/// denominator only.
#[test]
fn every_registration_flow_counts_as_rfc_6076_says() {
    if !have_corpus("the RFC 3665 registration flows") {
        return;
    }
    for (prefix, failures, unanswered, rrd) in [
        ("2.01", 0, 0, 1),
        ("2.02", 0, 0, 1),
        ("2.03", 0, 0, 1),
        ("2.04", 0, 0, 1),
        ("2.05", 0, 1, 0),
    ] {
        let (recs, regs) = run(prefix);
        assert!(recs.is_empty(), "{prefix}: {recs:?}");
        assert_eq!(regs.attempts, 1, "{prefix}");
        assert_eq!(regs.failures, failures, "{prefix}");
        assert_eq!(regs.challenge_unanswered, unanswered, "{prefix}");
        assert_eq!(regs.rrd.summary().map_or(0, |s| s.count), rrd, "{prefix}");
    }
    // 2.1's RRD runs from the first REGISTER to the 200, the challenge
    // round inside: 3 steps of 100 ms.
    let (_, regs) = run("2.01");
    let s = regs.rrd.summary().expect("one sample");
    assert!((s.max - 300.0).abs() < 1e-6, "{s:?}");
}
