//! `Follower` and `FollowerThread` agree, over more heads than one batch,
//! and the records' names are the vocabulary the CLI prints.

use sipline::{parse_head, ParserConfig};
use sipline_calls::{CallLimits, Follower, FollowerThread, Metrics, Outcome, Party, SliceBy};

/// Call `i`: an INVITE, then a 486 (odd i) or a 200, 100 ms later.
fn messages(calls: usize) -> Vec<(f64, Vec<u8>)> {
    let mut out = Vec::new();
    for i in 0..calls {
        let t = i as f64 * 0.01;
        let common = format!(
            "Via: SIP/2.0/UDP a;branch=z9hG4bK{i}\r\nFrom: <sip:a{i}@h>;tag=f{i}\r\nCall-ID: c{i}\r\nCSeq: 1 INVITE\r\n"
        );
        out.push((
            t,
            format!("INVITE sip:b@h SIP/2.0\r\n{common}To: <sip:b@h>\r\n\r\n").into_bytes(),
        ));
        let status = if i % 2 == 1 {
            "486 Busy Here"
        } else {
            "200 OK"
        };
        out.push((
            t + 0.1,
            format!("SIP/2.0 {status}\r\n{common}To: <sip:b@h>;tag=t{i}\r\n\r\n").into_bytes(),
        ));
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0));
    out
}

#[test]
fn a_follower_on_its_own_thread_counts_what_one_inline_counts() {
    let cfg = ParserConfig::default();
    let msgs = messages(1500);
    let slices = Some((SliceBy::Caller, 10));
    let mut inline = Follower::new(CallLimits::default(), slices);
    let mut thread = FollowerThread::start(Follower::new(CallLimits::default(), slices));
    for (t, bytes) in &msgs {
        let head = parse_head(bytes, &cfg)
            .ok()
            .and_then(|p| p.value())
            .expect("a head");
        inline.head(*t, None, &head);
        thread.head(*t, None, &head);
    }
    let a = inline.finish();
    let b = thread.finish().expect("the thread ends");
    let count = |m: &Metrics, o: Outcome| m.by_outcome.get(&o).copied().unwrap_or(0);
    assert_eq!(count(&a.metrics, Outcome::Established), 750);
    assert_eq!(count(&a.metrics, Outcome::Failed), 750);
    assert_eq!(a.metrics.by_outcome, b.metrics.by_outcome);
    assert_eq!(a.metrics.finals, b.metrics.finals);
    assert_eq!(a.counts, b.counts);
    assert_eq!(a.metrics.ser(), Some(50.0));
    assert_eq!(
        a.metrics.seer(),
        Some(100.0),
        "486 is an effective response"
    );
    let (sa, sb) = (a.sliced.expect("slices"), b.sliced.expect("slices"));
    assert_eq!(format!("{sa:?}"), format!("{sb:?}"));
}

#[test]
fn names_are_the_cli_vocabulary() {
    let names: Vec<_> = Outcome::ALL.iter().map(|o| o.name()).collect();
    assert_eq!(
        names,
        [
            "established",
            "failed",
            "redirected",
            "challenge-unanswered",
            "cancelled",
            "timed-out",
            "pending",
            "truncated"
        ]
    );
    assert_eq!(
        (Party::Caller.name(), Party::Callee.name()),
        ("caller", "callee")
    );
}

#[test]
fn distributions_stay_exact_in_count_mean_and_max_past_the_reservoir() {
    use sipline_calls::{percent, Distribution};
    let mut d = Distribution::default();
    assert_eq!(d.summary(), None);
    let n = Distribution::EXACT as u64 + 1000;
    for i in 0..n {
        d.add((i % 100) as f64);
    }
    let s = d.summary().expect("samples");
    assert_eq!(s.count, n);
    assert_eq!(s.max, 99.0);
    assert!((s.mean - 49.5).abs() < 0.01, "{}", s.mean);
    assert!((40.0..=60.0).contains(&s.p50), "{}", s.p50);
    assert!((90.0..=99.0).contains(&s.p95), "{}", s.p95);
    assert_eq!(percent(1, 4), Some(25.0));
    assert_eq!(percent(1, 0), None, "undefined, not 0");
}
