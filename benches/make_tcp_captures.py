#!/usr/bin/env python3
"""Writes the TCP captures of the capture-scale benchmark (issue 10), with
nothing but the standard library:

  many-connections.pcap  CONNS concurrent TCP connections (default 5000), each
                         carrying MSGS requests (default 20), every message cut
                         into two segments, the connections interleaved
                         round-robin so that all of them are open at once.
  short-flows.pcap       FLOWS short connections (default 200000): SYN, one
                         request, FIN.
  fragmented.pcap        UDP INVITEs of which FRAG_PCT percent (default 30) are
                         3.4 KB and fragmented at a 1500-byte MTU, the rest small.
  unfinished-flows.pcap  FLOWS connections (default 200000), each a SYN and the
                         first half of a request head, never finished nor closed.

ONLY (a comma-separated list of those names without .pcap) writes only those.

usage: make_tcp_captures.py OUTDIR [CONNS MSGS FLOWS FRAG_MSGS]"""
import os
import struct
import sys

out = sys.argv[1]
conns = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
msgs = int(sys.argv[3]) if len(sys.argv) > 3 else 20
flows = int(sys.argv[4]) if len(sys.argv) > 4 else 200000
frag_msgs = int(sys.argv[5]) if len(sys.argv) > 5 else 100000
os.makedirs(out, exist_ok=True)
only = [n for n in os.environ.get("ONLY", "").split(",") if n]


def wanted(name):
    return not only or name in only


def pcap_header():
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)


def record(ts, frame):
    return struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), len(frame)) + frame


def ipv4(src, dst, proto, payload, ident=0, frag=0):
    total = 20 + len(payload)
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, ident, frag, 64, proto, 0,
                      bytes(src), bytes(dst))
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    hdr = hdr[:10] + struct.pack("!H", ~s & 0xFFFF) + hdr[12:]
    return b"\x02" * 6 + b"\x01" * 6 + b"\x08\x00" + hdr + payload


def tcp(src, dst, sport, dport, seq, flags, payload):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, seq, 1, 5 << 4, flags, 65535, 0, 0)
    return ipv4(src, dst, 6, hdr + payload)


def request(i, k):
    return (f"OPTIONS sip:trunk@10.1.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1;branch=z9hG4bK{i}x{k}\r\n"
            f"From: <sip:a@10.0.0.1>;tag={i}\r\nTo: <sip:trunk@10.1.0.1>\r\nCall-ID: {i}-{k}@scale\r\n"
            f"CSeq: {k + 1} OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


SYN, ACK, PSH, FIN = 0x02, 0x10, 0x08, 0x01
dst = [10, 1, 0, 1]


def client(i):
    return [10, 2 + (i >> 16) % 200, (i >> 8) & 0xFF, i & 0xFF], 1024 + i % 60000

# Many concurrent connections, every message in two segments.
if wanted("many-connections"):
    with open(os.path.join(out, "many-connections.pcap"), "wb") as f:
        f.write(pcap_header())
        ts = 1_700_000_000_000_000
        seqs = {}
        for i in range(conns):
            src, sport = client(i)
            f.write(record(ts, tcp(src, dst, sport, 5060, 1000, SYN, b"")))
            seqs[i] = 1001
            ts += 10
        for k in range(msgs):
            for half in (0, 1):
                for i in range(conns):
                    src, sport = client(i)
                    m = request(i, k)
                    cut = len(m) // 2
                    part = m[:cut] if half == 0 else m[cut:]
                    f.write(record(ts, tcp(src, dst, sport, 5060, seqs[i], ACK | PSH, part)))
                    seqs[i] += len(part)
                    ts += 10
        for i in range(conns):
            src, sport = client(i)
            f.write(record(ts, tcp(src, dst, sport, 5060, seqs[i], ACK | FIN, b"")))
            ts += 10

def one_segment_flows(name, part, fin):
    """FLOWS connections, each a SYN and one segment of `part(request)`,
    then a FIN when `fin`."""
    with open(os.path.join(out, name), "wb") as f:
        f.write(pcap_header())
        ts = 1_700_000_000_000_000
        for i in range(flows):
            src, sport = client(i)
            m = part(request(i, 0))
            f.write(record(ts, tcp(src, dst, sport, 5060, 1000, SYN, b"")))
            f.write(record(ts + 1, tcp(src, dst, sport, 5060, 1001, ACK | PSH, m)))
            if fin:
                f.write(record(ts + 2, tcp(src, dst, sport, 5060, 1001 + len(m), ACK | FIN, b"")))
            ts += 10


# Short flows: SYN, one request, FIN.
if wanted("short-flows"):
    one_segment_flows("short-flows.pcap", lambda m: m, True)

# UDP INVITEs, FRAG_PCT percent fragmented.
def invite(i, size):
    sdp = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
    k = 0
    while len(sdp) < size:
        sdp += f"a=candidate:{k} 1 udp 2130706431 10.0.0.1 {40000 + k} typ host\r\n"
        k += 1
    return (f"INVITE sip:b@10.1.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK{i}\r\n"
            f"From: <sip:a@10.0.0.1>;tag={i}\r\nTo: <sip:b@10.1.0.1>\r\nCall-ID: {i}@frag\r\n"
            f"CSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Type: application/sdp\r\n"
            f"Content-Length: {len(sdp)}\r\n\r\n{sdp}").encode()


pct = int(os.environ.get("FRAG_PCT", "30"))
if wanted("fragmented"):
    with open(os.path.join(out, "fragmented.pcap"), "wb") as f:
        f.write(pcap_header())
        ts = 1_700_000_000_000_000
        src = [10, 0, 0, 1]
        for i in range(frag_msgs):
            big = (i % 100) < pct
            m = invite(i, 3400 if big else 300)
            udp = struct.pack("!HHHH", 5060, 5060, 8 + len(m), 0) + m
            ident = i & 0xFFFF
            if len(udp) + 20 <= 1500:
                f.write(record(ts, ipv4(src, dst, 17, udp, ident)))
            else:
                per = 1480
                for off in range(0, len(udp), per):
                    part = udp[off:off + per]
                    more = 0x2000 if off + per < len(udp) else 0
                    f.write(record(ts, ipv4(src, dst, 17, part, ident, more | (off // 8))))
            ts += 100

# Unfinished flows: a SYN and half a request head each, never closed.
if wanted("unfinished-flows"):
    one_segment_flows("unfinished-flows.pcap", lambda m: m[:len(m) // 2], False)
