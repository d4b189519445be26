//! Media tied to calls, on calls SIPp makes while dumpcap records them:
//! RTP played one way (`uac_pcap` to a plain `uas`), both ways (`uac_pcap`
//! to a `uas` that echoes it) and not at all after the answer (`uac` to
//! `uas`: SDP offered and answered, no RTP). `calls`, `export --what
//! streams` and `stats` must tie every stream to its call and tell the
//! three apart.

#[path = "../../tests/common/mod.rs"]
mod common;

use std::process::{Child, Command, Stdio};

use serde_json::Value;

fn sipline(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sipline"))
        .args(args)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8(out.stdout).unwrap()
}

fn json_rows(out: &str) -> Vec<Value> {
    out.lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect()
}

/// A SIPp user agent server on `port`, its media on `media`.
fn uas(dir: &std::path::Path, port: u16, media: u16, echo: bool) -> Child {
    let mut cmd = Command::new("sipp");
    cmd.args(["-sn", "uas", "-i", "127.0.0.1", "-nostdin"])
        .args(["-p", &port.to_string(), "-mp", &media.to_string()]);
    if echo {
        cmd.arg("-rtp_echo");
    }
    cmd.current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// One call of SIPp's `scenario` from `port` (media on `media`) to `to`.
fn uac(dir: &std::path::Path, scenario: &str, port: u16, media: u16, to: u16) -> Child {
    Command::new("sipp")
        .args(["-sn", scenario, "-i", "127.0.0.1", "-nostdin", "-m", "1"])
        .args(["-timeout", "30s", "-p", &port.to_string()])
        .args(["-mp", &media.to_string()])
        .arg(format!("127.0.0.1:{to}"))
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A port whose block of four is free now and overlaps none in `taken`.
fn free_block(taken: &mut Vec<u16>) -> u16 {
    loop {
        let p = common::free_port();
        let block = p..p.saturating_add(4);
        let clear = p < u16::MAX - 4
            && taken
                .iter()
                .all(|t| !block.contains(t) && !(*t..t + 4).contains(&p))
            && block
                .clone()
                .all(|q| std::net::UdpSocket::bind(("127.0.0.1", q)).is_ok());
        if clear {
            taken.push(p);
            return p;
        }
    }
}

#[test]
fn sipp_calls_one_way_both_ways_and_silent_are_told_apart() {
    // `sipp -v` exits 99: that it starts is what counts.
    let sipp = Command::new("sipp").arg("-v").output();
    let why = match &sipp {
        Ok(_) => String::new(),
        Err(e) => format!("`sipp` did not start: {e}"),
    };
    let skipped = "media tied to SIPp's calls";
    if !common::have(&common::SIPP, sipp.is_ok(), &why, skipped)
        || !common::have_program(&common::TSHARK, "dumpcap", &["-v"], skipped)
    {
        return;
    }
    let dir = std::env::temp_dir().join(format!("sipline-media-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::os::unix::fs::symlink("/usr/share/sip-tester", dir.join("pcap"));
    // Three servers and three clients, each a SIP port and a media port
    // (SIPp also uses the two above it).
    // Each a block of four free ports no other block overlaps, so that no
    // SIPp finds a port it binds taken by another.
    let mut taken = Vec::new();
    let sip: Vec<u16> = (0..6).map(|_| free_block(&mut taken)).collect();
    let media: Vec<u16> = (0..6).map(|_| free_block(&mut taken)).collect();
    let ports: Vec<String> = sip
        .iter()
        .map(|p| format!("port {p}"))
        .chain(media.iter().map(|m| format!("portrange {m}-{}", m + 3)))
        .collect();
    let cap = dir.join("media.pcap");
    let dumpcap = common::dumpcap(&format!("udp and ({})", ports.join(" or ")), &cap);
    let mut servers = vec![
        uas(&dir, sip[0], media[0], false),
        uas(&dir, sip[1], media[1], true),
        uas(&dir, sip[2], media[2], false),
    ];
    std::thread::sleep(std::time::Duration::from_millis(300));
    let clients = [
        uac(&dir, "uac_pcap", sip[3], media[3], sip[0]),
        uac(&dir, "uac_pcap", sip[4], media[4], sip[1]),
        uac(&dir, "uac", sip[5], media[5], sip[2]),
    ];
    for c in clients {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for s in &mut servers {
        let _ = s.kill();
        let _ = s.wait();
    }
    common::stop_dumpcap(dumpcap);
    let cap = cap.to_str().unwrap();

    // The calls, each found by the server it went to.
    let rows = json_rows(&sipline(&["calls", "--json", cap]));
    assert_eq!(rows.len(), 3, "{rows:?}");
    let call = |server: u16| {
        rows.iter()
            .find(|r| {
                r["callee"]
                    .as_str()
                    .unwrap()
                    .ends_with(&format!(":{server}"))
            })
            .unwrap_or_else(|| panic!("no call to {server}: {rows:?}"))
    };
    let (one_way, both, silent) = (call(sip[0]), call(sip[1]), call(sip[2]));
    for r in [one_way, both, silent] {
        assert_eq!(r["outcome"], "established", "{r}");
    }
    // Played one way: the caller's audio (and its telephone-events) only.
    assert_eq!(one_way["heard"], "from-caller", "{one_way}");
    assert_eq!(one_way["one_way_audio"], true);
    assert_eq!(one_way["codec"], "PCMA");
    assert_eq!(one_way["loss_pct_from_caller"], 0.0);
    assert!(one_way["loss_pct_from_callee"].is_null());
    assert!(one_way["jitter_ms_from_caller"].as_f64().unwrap() >= 0.0);
    assert!(one_way["jitter_ms_from_callee"].is_null());
    // G.711 with no loss, 80 ms assumed: R near 93.2 less the delay's share.
    let r = one_way["r_factor"].as_f64().unwrap();
    assert!((85.0..93.2).contains(&r), "{one_way}");
    assert!(one_way["mos"].as_f64().unwrap() > 4.0);
    // Echoed: both directions, as many streams back as went out.
    assert_eq!(both["heard"], "both", "{both}");
    assert_eq!(both["one_way_audio"], false);
    assert_eq!(both["loss_pct_from_caller"], 0.0);
    assert_eq!(both["loss_pct_from_callee"], 0.0);
    let sent = one_way["media_streams"].as_u64().unwrap();
    assert!(sent >= 1);
    assert_eq!(both["media_streams"].as_u64(), Some(2 * sent));
    // Offered and answered, then nothing.
    assert_eq!(silent["heard"], "none", "{silent}");
    assert_eq!(silent["one_way_audio"], true);
    assert_eq!(silent["media_streams"], 0);
    assert!(silent["codec"].is_null() && silent["mos"].is_null());

    // The CSV has the same columns.
    let csv = sipline(&["calls", "--csv", cap]);
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",media_streams,codec,loss_pct_from_caller,loss_pct_from_callee,jitter_ms_from_caller,jitter_ms_from_callee,r_factor,mos,one_way_audio,heard"), "{header}");

    // Every stream tied to its call, by the SDP, from the right side.
    let streams = json_rows(&sipline(&[
        "export", "--what", "streams", "--format", "jsonl", cap,
    ]));
    assert_eq!(streams.len() as u64, 3 * sent, "{streams:?}");
    for s in &streams {
        assert_eq!(s["found_by"], "sdp", "{s}");
        assert_eq!(s["srtp"], false);
        let call = [one_way, both]
            .into_iter()
            .find(|c| c["call_id"] == s["call_id"] && c["from_tag"] == s["from_tag"])
            .unwrap_or_else(|| panic!("{s} tied to no audible call"));
        // The caller sends from the ports above its own media port.
        let src_port: u16 = s["src"]
            .as_str()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let from_caller = media[3..5].iter().any(|m| (*m..*m + 4).contains(&src_port));
        assert_eq!(
            s["sender"],
            if from_caller { "caller" } else { "callee" },
            "{s}"
        );
        if call == one_way {
            assert_eq!(s["sender"], "caller", "{s}");
        }
        // Audio over loopback loses nothing; the telephone-events named by
        // the caller's own SDP (the answer left them out).
        match s["codec"].as_str() {
            Some("PCMA") => assert_eq!(s["lost"], 0, "{s}"),
            Some("telephone-event") => assert!(s["jitter_ms"].is_null(), "{s}"),
            _ => panic!("{s}"),
        }
    }

    // stats: as many ties, three offers and three answers, one call in
    // three heard both ways.
    let stats: Value = serde_json::from_str(&sipline(&["stats", "--json", cap])).unwrap();
    let m = &stats["media"];
    assert_eq!(
        m["rtp_streams_tied_to_calls"].as_u64(),
        Some(3 * sent),
        "{m}"
    );
    assert_eq!(m["rtp_streams_ambiguous"], 0);
    assert_eq!(m["sdp_descriptions"], 6);
    assert_eq!(m["sdp_malformed"], 0);
    assert_eq!(m["calls_with_media"], 2);
    assert_eq!(m["calls_judged_for_audio"], 3);
    assert_eq!(m["calls_one_way_audio"], 2);
    // The same on one thread.
    let one: Value =
        serde_json::from_str(&sipline(&["stats", "--json", "--threads", "1", cap])).unwrap();
    assert_eq!(one["media"], stats["media"]);
    let _ = std::fs::remove_dir_all(&dir);
}
