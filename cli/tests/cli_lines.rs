//! `sipline lines`: one JSON object per message, and its exit status.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> (Vec<serde_json::Value>, i32) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut sin = child.stdin.take().unwrap();
    let input = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = sin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let lines = out
        .stdout
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("each line is JSON"))
        .collect();
    (lines, out.status.code().unwrap())
}

#[test]
fn frames_a_stream() {
    let s = b"SIP/2.0 180 Ringing\r\nl: 0\r\n\r\n\r\n\r\nINVITE sip:bob@example.com SIP/2.0\r\nContent-Length: 2\r\n\r\nhi";
    let (v, code) = run(&["lines"], s);
    assert_eq!(code, 0);
    assert_eq!(
        v,
        vec![
            serde_json::json!({"offset":0,"kind":"response","code":180,"reason":"Ringing","headers":1,"body_len":0,
                "call_id":null,"cseq":null,"cseq_method":null,"branch":null,"from_tag":null,"to_tag":null,"from_user":null,"to_user":null}),
            serde_json::json!({"offset":29,"kind":"keep-alive"}),
            serde_json::json!({"offset":33,"kind":"request","method":"INVITE","uri":"sip:bob@example.com","headers":1,"body_len":2,
                "call_id":null,"cseq":null,"cseq_method":null,"branch":null,"from_tag":null,"to_tag":null,"from_user":null,"to_user":null}),
        ]
    );
}

#[test]
fn malformed_and_incomplete() {
    let (v, code) = run(
        &["lines"],
        b"SIP/2.0 200 OK\r\nl: 0\r\n\r\nSIP/2.0 2000 OK\r\n",
    );
    assert_eq!(code, 1);
    assert_eq!(v.len(), 2);
    assert_eq!(v[1]["kind"], "error");
    assert_eq!(v[1]["error"], "status-code");
    assert_eq!(v[1]["offset"], 24 + 11);
    // The vocabulary's keys beside 0.1's.
    assert_eq!(v[1]["error_kind"], "status-code");
    assert_eq!(
        v[1]["message"],
        "status code must be three digits 100-699 at byte 35"
    );
    let (v, code) = run(&["lines"], b"SIP/2.0 200 OK\r\nl: 5\r\n\r\nab");
    assert_eq!(code, 3);
    assert_eq!(v.len(), 1);
    assert_eq!(
        (&v[0]["offset"], &v[0]["kind"]),
        (&0.into(), &"incomplete".into())
    );
    assert_eq!(v[0]["error_kind"], "incomplete-message");
    let (_, code) = run(&["lines", "--strict"], b"SIP/2.0 200 OK\r\n\r\n");
    assert_eq!(code, 1, "strict: no Content-Length on a stream");
    let (_, code) = run(&["lines", "/no/such/file"], b"");
    assert_eq!(code, 2);
}

/// A message that fails to frame keeps, in its error object, what can
/// still be read of it (issue 25): method or code, Call-ID, CSeq, tags,
/// branch, users; in a stream as in a datagram.
#[test]
fn an_error_keeps_what_can_be_read() {
    let bad = b"INVITE sip:bob@b.example SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK7\r\n\
        f: <sip:alice@a.example>;tag=f1\r\nt: <sip:bob@b.example>;tag=t1\r\ni: c9@h\r\n\
        CSeq: 2 INVITE\r\nContent-Length: x\r\n\r\n";
    let mut stream = b"SIP/2.0 200 OK\r\nl: 0\r\n\r\n".to_vec();
    stream.extend_from_slice(bad);
    for (args, input) in [
        (&["lines"][..], &stream[..]),
        (&["lines", "--datagram"][..], &bad[..]),
        (&["lines", "--as", "proxy"][..], &stream[..]),
    ] {
        let (v, code) = run(args, input);
        assert_eq!(code, 1, "{args:?}");
        let e = &v[v.len() - 1];
        assert_eq!(e["kind"], "error");
        assert_eq!(e["error_kind"], "content-length");
        assert_eq!(e["method"], "INVITE");
        assert_eq!(e["call_id"], "c9@h");
        assert_eq!(
            (&e["cseq"], &e["cseq_method"]),
            (&2.into(), &"INVITE".into())
        );
        assert_eq!(e["branch"], "z9hG4bK7");
        assert_eq!((&e["from_tag"], &e["to_tag"]), (&"f1".into(), &"t1".into()));
        assert_eq!(
            (&e["from_user"], &e["to_user"]),
            (&"alice".into(), &"bob".into())
        );
    }
    // A reason phrase with a control: lenient reads it; strict refuses the
    // status line and still gives its code.
    let (v, _) = run(
        &["lines", "--datagram"],
        b"SIP/2.0 486 Busy\x01\r\ni: x\r\nl: 0\r\n\r\n",
    );
    assert_eq!(
        (&v[0]["kind"], &v[0]["code"]),
        (&"response".into(), &486.into())
    );
    let (v, _) = run(
        &["lines", "--strict", "--datagram"],
        b"SIP/2.0 486 Busy\x01\r\ni: x\r\nl: 0\r\n\r\n",
    );
    assert_eq!(v[0]["kind"], "error");
    assert_eq!(
        (&v[0]["code"], &v[0]["call_id"]),
        (&486.into(), &"x".into())
    );
}

#[test]
fn one_datagram() {
    let (v, code) = run(
        &["lines", "--datagram"],
        b"SIP/2.0 200 OK\r\nl: 2\r\n\r\nhi and the rest",
    );
    assert_eq!(code, 0);
    assert_eq!(v[0]["body_len"], 2);
    let (v, code) = run(
        &["lines", "--datagram"],
        b"SIP/2.0 200 OK\r\nl: 20\r\n\r\nhi",
    );
    assert_eq!((v[0]["error"].as_str(), code), (Some("truncated-body"), 1));
}

#[test]
fn a_large_stream_in_chunks() {
    let mut rng = common::Rng(5);
    let mut s = Vec::new();
    for i in 0..2000 {
        s.extend_from_slice(&common::generated_message(i, &mut rng));
    }
    let (v, code) = run(&["lines", "--strict"], &s);
    assert_eq!(code, 0);
    assert_eq!(v.len(), 2000);
    let last = &v[1999];
    let off = last["offset"].as_u64().unwrap() as usize;
    assert!(off > 64 * 1024 * 4, "spans many read chunks");
}

/// The transaction and dialog fields, and `--validate`'s verdicts on RFC
/// 4475 messages: the status each sender is owed and the rule.
#[test]
fn transaction_fields_and_validate() {
    let msg = b"SIP/2.0 180 Ringing\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa1, SIP/2.0/UDP g;branch=z9hG4bKb2\r\n\
From: <sip:a@h>;tag=f1\r\nTo: <sip:b@h>;tag=t9\r\nCall-ID: c@h\r\nCSeq: 7 INVITE\r\nl: 0\r\n\r\n";
    let (v, code) = run(&["lines"], msg);
    assert_eq!(code, 0);
    let r = &v[0];
    assert_eq!(
        (
            &r["call_id"],
            &r["cseq"],
            &r["cseq_method"],
            &r["branch"],
            &r["from_tag"],
            &r["to_tag"]
        ),
        (
            &serde_json::json!("c@h"),
            &serde_json::json!(7),
            &serde_json::json!("INVITE"),
            &serde_json::json!("z9hG4bKa1"),
            &serde_json::json!("f1"),
            &serde_json::json!("t9")
        )
    );
    assert!(r.get("owed").is_none(), "only with --validate");
    let Some(corpus) =
        common::shared_corpus("validate on the corpus files (the built-in cases ran)")
    else {
        return;
    };
    // (file, valid, owed)
    for (file, valid, owed) in [
        ("wsinv.dat", true, serde_json::Value::Null),
        ("zeromf.dat", true, serde_json::Value::Null),
        ("mismatch01.dat", false, serde_json::json!(400)),
        ("insuf.dat", false, serde_json::json!(400)),
        ("badvers.dat", false, serde_json::json!(505)),
        ("scalarlg.dat", false, serde_json::Value::Null),
        ("bigcode.dat", false, serde_json::Value::Null),
    ] {
        let bytes = std::fs::read(corpus.join("rfc4475").join(file)).unwrap();
        let (v, _) = run(&["lines", "--datagram", "--validate"], &bytes);
        assert_eq!(v[0]["valid"], serde_json::json!(valid), "{file}");
        assert_eq!(v[0]["owed"], owed, "{file}");
        assert_eq!(v[0]["why"].is_null(), valid, "{file}");
    }
}

/// `--as proxy`: Max-Forwards 0 on a request to forward owes 483, which a
/// UAS (the default) processes; a request without Max-Forwards is valid
/// in both roles (a proxy adds 70); a response is judged alike.
#[test]
fn validate_as_a_proxy() {
    let request = |mf: &str| {
        format!(
            "INVITE sip:b@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKa1\r\n{mf}\
             From: <sip:a@h>;tag=f1\r\nTo: <sip:b@h>\r\nCall-ID: c@h\r\nCSeq: 7 INVITE\r\nl: 0\r\n\r\n"
        )
    };
    let zero = request("Max-Forwards: 0\r\n");
    let none = request("");
    // (args, input, valid, owed, as)
    for (args, input, valid, owed, role) in [
        (
            &["--validate"][..],
            &zero,
            true,
            serde_json::Value::Null,
            "uas",
        ),
        (
            &["--as", "uas"][..],
            &zero,
            true,
            serde_json::Value::Null,
            "uas",
        ),
        (
            &["--as", "proxy"][..],
            &zero,
            false,
            serde_json::json!(483),
            "proxy",
        ),
        (
            &["--validate", "--as", "proxy"][..],
            &none,
            true,
            serde_json::Value::Null,
            "proxy",
        ),
        (
            &["--validate"][..],
            &none,
            true,
            serde_json::Value::Null,
            "uas",
        ),
    ] {
        let mut all = vec!["lines", "--datagram"];
        all.extend_from_slice(args);
        let (v, code) = run(&all, input.as_bytes());
        assert_eq!(code, 0, "{args:?}");
        let r = &v[0];
        assert_eq!(r["valid"], serde_json::json!(valid), "{args:?}: {r}");
        assert_eq!(r["owed"], owed, "{args:?}: {r}");
        assert_eq!(r["as"], serde_json::json!(role), "{args:?}: {r}");
        if !valid {
            assert!(r["why"].as_str().unwrap().contains("Max-Forwards"), "{r}");
            assert!(r["rule"].as_str().unwrap().contains("16.3"), "{r}");
        }
    }
    // A stream, and a malformed message, say their role too.
    let (v, _) = run(
        &["lines", "--as", "proxy"],
        format!("{zero}BAD\r\n\r\n").as_bytes(),
    );
    assert_eq!(v[0]["owed"], serde_json::json!(483));
    assert_eq!(v[1]["kind"], serde_json::json!("error"));
    assert_eq!(v[1]["as"], serde_json::json!("proxy"));
}
