#![no_main]
//! Every frame decoder on raw bytes: link layers, IP, fragments, the
//! encapsulations opened on the way (MPLS, GRE, ERSPAN, VXLAN, IP-in-IP,
//! HEP), SCTP chunks and WebSocket frame headers. Whatever the bytes, they
//! answer; what they hand out lies in the input.
use pcap_parser::Linktype;
use sipline_capture::__fuzzing::link::{decode, ip_payload, Decoded, TransportPayload};
use sipline_capture::__fuzzing::{hep, sctp, tunnel, ws};

fn within(outer: &[u8], inner: &[u8]) {
    let o = outer.as_ptr_range();
    let i = inner.as_ptr_range();
    assert!(inner.is_empty() || (o.start <= i.start && i.end <= o.end));
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for lt in [
        Linktype::ETHERNET,
        Linktype::RAW,
        Linktype::LINUX_SLL,
        Linktype::LINUX_SLL2,
        Linktype::NULL,
    ] {
        match decode(lt, data) {
            Decoded::Packet {
                payload:
                    TransportPayload::Udp(p) | TransportPayload::Tcp(_, p) | TransportPayload::Sctp(p),
                ..
            } => within(data, p),
            Decoded::Fragment(f) => within(data, f.payload),
            _ => {}
        }
    }
    if let Some((&proto, rest)) = data.split_first() {
        let _ = ip_payload(
            "192.0.2.1".parse().unwrap(),
            "192.0.2.2".parse().unwrap(),
            proto,
            rest,
        );
    }
    if let Some(h) = hep::parse(data) {
        within(data, h.payload);
    }
    match tunnel::gre(data) {
        Some(tunnel::Inner::Ethernet(b) | tunnel::Inner::Ip(b)) => within(data, b),
        None => {}
    }
    if let Some(b) = tunnel::vxlan(data) {
        within(data, b);
    }
    if let Some(b) = tunnel::mpls(data) {
        within(data, b);
    }
    for chunk in sctp::data_chunks(data) {
        within(data, chunk.data);
    }
    if let ws::Header::Frame(h) = ws::frame_header(data) {
        assert!(h.header_len <= data.len() && h.header_len <= 14);
        let mut out = Vec::new();
        let payload = data.get(h.header_len..).unwrap_or_default();
        ws::unmask_into(payload, h.mask, &mut out);
        assert_eq!(out.len(), payload.len());
    }
    let _ = ws::opens_sip_websocket(data);
});
