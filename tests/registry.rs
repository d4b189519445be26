//! Every row of `../shared/spec/response-codes.tsv` against the one table in
//! `src/status.rs`, and the table against the file (nothing extra).

mod common;

use sipline::StatusCode;

#[test]
fn every_registry_row_has_its_constant_and_reason() {
    let Some(spec) = common::shared_spec("the IANA registry against the status-code table") else {
        return;
    };
    let path = spec.join("response-codes.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut rows = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [code, reason, rfc] = cols[..] else {
            panic!("bad row {line:?}")
        };
        let c: StatusCode = code.parse().unwrap();
        assert_eq!(c.canonical_reason(), Some(reason), "{code}");
        assert!(c.is_registered());
        assert_eq!(c.treat_as(), c);
        let entry = StatusCode::REGISTRY
            .iter()
            .find(|(k, _, _)| *k == c)
            .expect("in REGISTRY");
        assert_eq!((entry.1, entry.2), (reason, rfc), "{code}");
        assert_eq!(c.to_string(), format!("{code} {reason}"));
        rows += 1;
    }
    assert_eq!(rows, 75);
    assert_eq!(
        StatusCode::REGISTRY.len(),
        rows,
        "the table has no row the registry lacks"
    );
    let registered = (100..=699u16)
        .filter_map(StatusCode::from_u16)
        .filter(|c| c.is_registered());
    assert_eq!(registered.count(), rows);
}

#[test]
fn named_constants_match_their_numbers() {
    let pairs = [
        (StatusCode::TRYING, 100),
        (StatusCode::RINGING, 180),
        (StatusCode::SESSION_PROGRESS, 183),
        (StatusCode::OK, 200),
        (StatusCode::MOVED_TEMPORARILY, 302),
        (StatusCode::PROXY_AUTHENTICATION_REQUIRED, 407),
        (StatusCode::FLOW_FAILED, 430),
        (StatusCode::BUSY_HERE, 486),
        (StatusCode::REQUEST_TERMINATED, 487),
        (StatusCode::SERVER_INTERNAL_ERROR, 500),
        (StatusCode::BUSY_EVERYWHERE, 600),
        (StatusCode::DECLINE, 603),
        (StatusCode::NOT_ACCEPTABLE_ANYWHERE, 606),
        (StatusCode::REJECTED, 608),
    ];
    for (c, n) in pairs {
        assert_eq!(c, n);
        assert_eq!(u16::from(c), n);
        assert_eq!(StatusCode::try_from(n).unwrap(), c);
    }
}
