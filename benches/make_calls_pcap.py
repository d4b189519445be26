#!/usr/bin/env python3
"""Writes a pcap of N distinct calls (each its own Call-ID), for the report's
figures at scale (BENCHMARKS.md, "The report at scale").

    make_calls_pcap.py OUT.pcap N

Calls start 36 ms apart (an hour for 100 000) between 10.0.0.1:5060 and
10.0.0.2:5060 over UDP, one outcome each in turn: 6 in 10 answered (INVITE,
180, 200, ACK, BYE, 200), 2 busy (INVITE, 180, 486, ACK), 1 cancelled
(INVITE, 180, CANCEL, 200, 487, ACK), 1 unavailable (INVITE, 503, ACK).
"""

import struct
import sys


def frame(src, dst, payload):
    udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload
    total = 20 + len(udp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 17, 0, bytes(src), bytes(dst))
    return b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp


def messages(n, kind):
    cid = f"gen-{n}@10.0.0.1"
    head = f"From: <sip:caller{n % 5000}@10.0.0.1>;tag=f{n}\r\nCall-ID: {cid}\r\n"

    def req(method, cseq, branch, to_tag=""):
        to = f"To: <sip:callee{n % 700}@10.0.0.2>{';tag=t' + str(n) if to_tag else ''}\r\n"
        return (f"{method} sip:callee{n % 700}@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{branch}{n}\r\n"
                + head + to + f"CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()

    def resp(code, reason, cseq, method, branch):
        to = f"To: <sip:callee{n % 700}@10.0.0.2>;tag=t{n}\r\n"
        return (f"SIP/2.0 {code} {reason}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{branch}{n}\r\n"
                + head + to + f"CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n").encode()

    out, back = (1, 2), (2, 1)
    if kind == "answered":
        return [(0.0, out, req("INVITE", 1, "i")), (0.05, back, resp(180, "Ringing", 1, "INVITE", "i")),
                (2.0, back, resp(200, "OK", 1, "INVITE", "i")), (2.01, out, req("ACK", 1, "a", True)),
                (30.0, out, req("BYE", 2, "b", True)), (30.01, back, resp(200, "OK", 2, "BYE", "b"))]
    if kind == "busy":
        return [(0.0, out, req("INVITE", 1, "i")), (0.05, back, resp(180, "Ringing", 1, "INVITE", "i")),
                (3.0, back, resp(486, "Busy Here", 1, "INVITE", "i")), (3.01, out, req("ACK", 1, "i", True))]
    if kind == "cancelled":
        return [(0.0, out, req("INVITE", 1, "i")), (0.05, back, resp(180, "Ringing", 1, "INVITE", "i")),
                (5.0, out, req("CANCEL", 1, "i")), (5.01, back, resp(200, "OK", 1, "CANCEL", "i")),
                (5.02, back, resp(487, "Request Terminated", 1, "INVITE", "i")), (5.03, out, req("ACK", 1, "i", True))]
    return [(0.0, out, req("INVITE", 1, "i")), (0.02, back, resp(503, "Service Unavailable", 1, "INVITE", "i")),
            (0.03, out, req("ACK", 1, "i", True))]


def main():
    out_path, n = sys.argv[1], int(sys.argv[2])
    kinds = ["answered"] * 6 + ["busy"] * 2 + ["cancelled", "unavailable"]
    ip = {1: [10, 0, 0, 1], 2: [10, 0, 0, 2]}
    events = []
    for i in range(n):
        start = 1_760_000_000 + i * 0.036
        for dt, (s, d), payload in messages(i, kinds[i % len(kinds)]):
            events.append((start + dt, s, d, payload))
    events.sort(key=lambda e: e[0])
    with open(out_path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, s, d, payload in events:
            fr = frame(ip[s], ip[d], payload)
            secs = int(t)
            f.write(struct.pack("<IIII", secs, int((t - secs) * 1e6), len(fr), len(fr)))
            f.write(fr)


if __name__ == "__main__":
    main()
