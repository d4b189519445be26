//! The classic BPF program an interface runs in the kernel before a packet
//! reaches sipline (packets from the network header on, as a `SOCK_DGRAM`
//! packet socket sees them):
//!
//! - on the loopback interface, each packet is seen twice, sent and
//!   received: the sent copy is dropped, as libpcap does;
//! - IPv4, IPv6 and VLAN-tagged frames pass; other protocols (ARP …) do not;
//! - IPv4 fragments after the first, tunnels (IP in IP, GRE) and IPv6
//!   with extension headers pass (sipline decodes them);
//! - with ports asked, TCP, UDP and SCTP pass only to or from one of them
//!   (and VXLAN, to its port); without, TCP and SCTP pass, and a UDP
//!   datagram passes unless its payload starts as RTP and RTCP do (version
//!   2: the first two bits `10`), which SIP, HEP, STUN and keep-alives
//!   never do. RTP on a busy interface stays in the kernel.

use crate::source::packet_socket::{Insn, PACKET_OUTGOING};

const LD: u16 = 0x00;
const LDX: u16 = 0x01;
const ALU: u16 = 0x04;
const JMP: u16 = 0x05;
const RET: u16 = 0x06;
const W: u16 = 0x00;
const H: u16 = 0x08;
const B: u16 = 0x10;
const IMM: u16 = 0x00;
const ABS: u16 = 0x20;
const IND: u16 = 0x40;
const MSH: u16 = 0xa0;
const JA: u16 = 0x00;
const JEQ: u16 = 0x10;
const JSET: u16 = 0x40;
const AND: u16 = 0x50;

/// The kernel's ancillary data, loaded at these negative offsets.
const AD_OFF: u32 = 0u32.wrapping_sub(0x1000);
const AD_PROTOCOL: u32 = AD_OFF;
const AD_PKTTYPE: u32 = AD_OFF + 4;
const AD_IFINDEX: u32 = AD_OFF + 8;

/// What a packet that passes keeps (all of any IP packet).
const KEEP: u32 = 0x40000;

/// The most ports the kernel filter checks one by one (each is two
/// instructions; a conditional jump reaches 255 ahead). With more, the
/// filter passes every port and sipline picks its own.
pub(crate) const MAX_FILTER_PORTS: usize = 60;

/// Where a jump goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum To {
    Next,
    Label(Label),
    Accept,
    Drop,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Label {
    Protocol,
    V4,
    V6,
    Udp,
    Ports,
}

enum Op {
    Stmt(u16, u32),
    Jump(u16, u32, To, To),
    Mark(Label),
}

/// The program for an interface: `lo` is the loopback interface's index,
/// whose sent copies are dropped; `ports`, the ports asked (empty: any).
pub(crate) fn program(lo: Option<i32>, ports: &[u16]) -> Vec<Insn> {
    use Label::*;
    use Op::*;
    let ports = if ports.len() > MAX_FILTER_PORTS {
        &[][..]
    } else {
        ports
    };
    let mut ops = Vec::new();
    if let Some(lo) = lo.and_then(|i| u32::try_from(i).ok()) {
        ops.extend([
            Stmt(LD | W | ABS, AD_PKTTYPE),
            Jump(
                JEQ,
                u32::from(PACKET_OUTGOING),
                To::Next,
                To::Label(Protocol),
            ),
            Stmt(LD | W | ABS, AD_IFINDEX),
            Jump(JEQ, lo, To::Drop, To::Next),
        ]);
    }
    ops.extend([
        Mark(Protocol),
        Stmt(LD | W | ABS, AD_PROTOCOL),
        Jump(JEQ, 0x0800, To::Label(V4), To::Next),
        Jump(JEQ, 0x86dd, To::Label(V6), To::Next),
        Jump(JEQ, 0x8100, To::Accept, To::Next),
        Jump(JEQ, 0x88a8, To::Accept, To::Drop),
        Mark(V4),
        // A fragment after the first: no ports to look at.
        Stmt(LD | H | ABS, 6),
        Jump(JSET, 0x1fff, To::Accept, To::Next),
        Stmt(LDX | B | MSH, 0),
        Stmt(LD | B | ABS, 9),
        Jump(JEQ, 17, To::Label(Udp), To::Next),
        Jump(JEQ, 6, To::Label(Ports), To::Next),
        Jump(JEQ, 132, To::Label(Ports), To::Next),
        Jump(JEQ, 4, To::Accept, To::Next),
        Jump(JEQ, 41, To::Accept, To::Next),
        Jump(JEQ, 47, To::Accept, To::Drop),
        Mark(V6),
        Stmt(LDX | IMM, 40),
        Stmt(LD | B | ABS, 6),
        Jump(JEQ, 17, To::Label(Udp), To::Next),
        Jump(JEQ, 6, To::Label(Ports), To::Next),
        Jump(JEQ, 132, To::Label(Ports), To::Accept),
        Mark(Udp),
    ]);
    if ports.is_empty() {
        ops.extend([
            Stmt(LD | B | IND, 8),
            Stmt(ALU | AND, 0xc0),
            Jump(JEQ, 0x80, To::Drop, To::Accept),
            Mark(Ports),
            Jump(JA, 0, To::Accept, To::Accept),
        ]);
    } else {
        ops.extend([
            Stmt(LD | H | IND, 2),
            Jump(JEQ, 4789, To::Accept, To::Label(Ports)),
            Mark(Ports),
        ]);
        for offset in [0, 2] {
            ops.push(Stmt(LD | H | IND, offset));
            for &p in ports {
                ops.push(Jump(JEQ, u32::from(p), To::Accept, To::Next));
            }
        }
        ops.push(Jump(JA, 0, To::Drop, To::Drop));
    }
    assemble(&ops)
}

/// Labels resolved to relative jumps; `Accept` and `Drop` are the last two
/// instructions.
fn assemble(ops: &[Op]) -> Vec<Insn> {
    let count = ops.iter().filter(|o| !matches!(o, Op::Mark(_))).count();
    let mut at = Vec::new();
    let mut n = 0;
    for op in ops {
        match op {
            Op::Mark(l) => at.push((*l, n)),
            _ => n += 1,
        }
    }
    let index = |to: To, next: usize| -> usize {
        match to {
            To::Next => next,
            To::Accept => count,
            To::Drop => count + 1,
            To::Label(l) => at
                .iter()
                .find(|(m, _)| *m == l)
                .map_or(count + 1, |&(_, i)| i),
        }
    };
    let mut out = Vec::with_capacity(count + 2);
    for op in ops {
        let i = out.len();
        match *op {
            Op::Mark(_) => {}
            Op::Stmt(code, k) => out.push(Insn {
                code,
                jt: 0,
                jf: 0,
                k,
            }),
            Op::Jump(JA, _, to, _) => out.push(Insn {
                code: JMP | JA,
                jt: 0,
                jf: 0,
                k: (index(to, i + 1) - (i + 1)) as u32,
            }),
            Op::Jump(code, k, t, f) => {
                // At most 255 ahead: the ports are capped so that it holds.
                let rel = |to| u8::try_from(index(to, i + 1) - (i + 1)).unwrap_or(u8::MAX);
                out.push(Insn {
                    code: JMP | code,
                    jt: rel(t),
                    jf: rel(f),
                    k,
                });
            }
        }
    }
    out.push(Insn {
        code: RET,
        jt: 0,
        jf: 0,
        k: KEEP,
    });
    out.push(Insn {
        code: RET,
        jt: 0,
        jf: 0,
        k: 0,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the kernel knows of a packet beside its bytes.
    struct Meta {
        protocol: u32,
        pkttype: u32,
        ifindex: u32,
    }

    /// Runs `prog` as the kernel would (the instructions this module
    /// emits): the bytes kept, 0 for a drop.
    fn run(prog: &[Insn], meta: &Meta, p: &[u8]) -> u32 {
        let (mut a, mut x, mut pc) = (0u32, 0u32, 0usize);
        let load = |at: u32, size: u16| -> Option<u32> {
            if at >= AD_OFF {
                return Some(match at - AD_OFF {
                    0 => meta.protocol,
                    4 => meta.pkttype,
                    8 => meta.ifindex,
                    _ => 0,
                });
            }
            let at = at as usize;
            let b = |i| p.get(at + i).copied().map(u32::from);
            match size {
                B => b(0),
                H => Some(b(0)? << 8 | b(1)?),
                _ => Some(b(0)? << 24 | b(1)? << 16 | b(2)? << 8 | b(3)?),
            }
        };
        loop {
            let i = prog[pc];
            pc += 1;
            match i.code {
                c if c & 0x07 == LD => {
                    let at = if c & 0xe0 == IND {
                        i.k.wrapping_add(x)
                    } else {
                        i.k
                    };
                    match load(at, c & 0x18) {
                        Some(v) => a = v,
                        None => return 0,
                    }
                }
                c if c == LDX | B | MSH => match load(i.k, B) {
                    Some(v) => x = 4 * (v & 0xf),
                    None => return 0,
                },
                c if c == LDX | IMM => x = i.k,
                c if c == ALU | AND => a &= i.k,
                c if c == JMP | JA => pc += i.k as usize,
                c if c & 0x07 == JMP => {
                    let taken = match c & 0xf0 {
                        JEQ => a == i.k,
                        JSET => a & i.k != 0,
                        other => panic!("jump {other:#x}"),
                    };
                    pc += usize::from(if taken { i.jt } else { i.jf });
                }
                c if c == RET => return i.k,
                other => panic!("instruction {other:#x}"),
            }
        }
    }

    fn v4(proto: u8, frag: u16, src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x45, 0, 0, 0, 0, 0];
        p.extend_from_slice(&frag.to_be_bytes());
        p.extend_from_slice(&[64, proto, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        p.extend_from_slice(&src.to_be_bytes());
        p.extend_from_slice(&dst.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(payload);
        p
    }

    fn v6(next: u8, src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, next, 64];
        p.extend_from_slice(&[0; 32]);
        p.extend_from_slice(&src.to_be_bytes());
        p.extend_from_slice(&dst.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(payload);
        p
    }

    const IN: Meta = Meta {
        protocol: 0x0800,
        pkttype: 0,
        ifindex: 1,
    };
    const IN6: Meta = Meta {
        protocol: 0x86dd,
        pkttype: 0,
        ifindex: 1,
    };

    #[test]
    fn without_ports_rtp_stays_in_the_kernel_and_sip_passes() {
        let prog = program(Some(1), &[]);
        let sip = b"INVITE sip:b SIP/2.0\r\n";
        let rtp = [0x80, 0x08, 0, 1];
        assert_eq!(run(&prog, &IN, &v4(17, 0, 5060, 5060, sip)), KEEP);
        assert_eq!(run(&prog, &IN, &v4(17, 0, 4000, 4002, &rtp)), 0);
        // RTCP (version 2, payload type 200) too.
        assert_eq!(run(&prog, &IN, &v4(17, 0, 4001, 4003, &[0x81, 200])), 0);
        assert_eq!(run(&prog, &IN6, &v6(17, 5060, 5060, sip)), KEEP);
        assert_eq!(run(&prog, &IN6, &v6(17, 4000, 4002, &rtp)), 0);
        // TCP and SCTP on any port, a later fragment, tunnels, IPv6 extensions.
        assert_eq!(run(&prog, &IN, &v4(6, 0, 1, 2, &rtp)), KEEP);
        assert_eq!(run(&prog, &IN, &v4(132, 0, 1, 2, &rtp)), KEEP);
        assert_eq!(run(&prog, &IN, &v4(17, 0x0010, 1, 2, &rtp)), KEEP);
        assert_eq!(run(&prog, &IN, &v4(47, 0, 1, 2, &rtp)), KEEP);
        assert_eq!(run(&prog, &IN6, &v6(44, 1, 2, &rtp)), KEEP);
        assert_eq!(run(&prog, &IN6, &v6(6, 1, 2, &rtp)), KEEP);
        // An ICMP message, an empty datagram, ARP: not SIP.
        assert_eq!(run(&prog, &IN, &v4(1, 0, 1, 2, sip)), 0);
        assert_eq!(run(&prog, &IN, &v4(17, 0, 1, 2, b"")), 0);
        let arp = Meta {
            protocol: 0x0806,
            ..IN
        };
        assert_eq!(run(&prog, &arp, &v4(17, 0, 5060, 5060, sip)), 0);
        let vlan = Meta {
            protocol: 0x8100,
            ..IN
        };
        assert_eq!(run(&prog, &vlan, &[0; 30]), KEEP);
    }

    #[test]
    fn on_loopback_the_sent_copy_is_dropped() {
        let prog = program(Some(1), &[]);
        let p = v4(17, 0, 5060, 5060, b"OPTIONS");
        let sent_on_lo = Meta { pkttype: 4, ..IN };
        let sent_elsewhere = Meta {
            pkttype: 4,
            ifindex: 2,
            ..IN
        };
        assert_eq!(run(&prog, &sent_on_lo, &p), 0);
        assert_eq!(run(&prog, &sent_elsewhere, &p), KEEP);
        assert_eq!(run(&prog, &IN, &p), KEEP);
        // No loopback known: both copies pass.
        assert_eq!(run(&program(None, &[]), &sent_on_lo, &p), KEEP);
    }

    #[test]
    fn with_ports_only_those_pass() {
        let prog = program(None, &[5060, 5080]);
        let rtp = [0x80, 0, 0, 0];
        assert_eq!(run(&prog, &IN, &v4(17, 0, 5060, 40000, &rtp)), KEEP);
        assert_eq!(run(&prog, &IN, &v4(6, 0, 40000, 5080, b"x")), KEEP);
        assert_eq!(run(&prog, &IN6, &v6(132, 40000, 5080, b"x")), KEEP);
        assert_eq!(run(&prog, &IN, &v4(17, 0, 5062, 5061, b"SIP/2.0")), 0);
        assert_eq!(run(&prog, &IN6, &v6(6, 1, 2, b"x")), 0);
        // VXLAN to its port: the inner packet decides.
        assert_eq!(run(&prog, &IN, &v4(17, 0, 40000, 4789, &[8])), KEEP);
        // Too many ports to check in the kernel: every port passes.
        let many: Vec<u16> = (1..=MAX_FILTER_PORTS as u16 + 1).collect();
        assert_eq!(
            run(&program(None, &many), &IN, &v4(6, 0, 40000, 40001, b"x")),
            KEEP
        );
        // The most checked: every jump within reach, the last port found.
        let most: Vec<u16> = (1..=MAX_FILTER_PORTS as u16).collect();
        let prog = program(Some(1), &most);
        assert!(prog.iter().all(|i| i.jt < u8::MAX && i.jf < u8::MAX));
        assert_eq!(
            run(&prog, &IN, &v4(6, 0, 40000, MAX_FILTER_PORTS as u16, b"x")),
            KEEP
        );
    }
}
