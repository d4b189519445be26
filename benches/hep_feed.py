#!/usr/bin/env python3
"""A steady HEP3 feed for the collector's figures (BENCHMARKS.md, "Live").

    hep_feed.py HOST:PORT CALLS_PER_SECOND SECONDS [--first N] [--invites-only]

Sends, for SECONDS, CALLS_PER_SECOND calls per second as HEP3 over UDP: each
call has a Call-ID of its own (`feed-N`), and six messages (INVITE, 180,
200, ACK, BYE, 200), captured "now", between two fixed addresses. Paced in
slices of 10 ms. Prints one JSON object: calls and messages sent, and the
seconds it took. A collector that loses nothing counts 6 messages and one
established call per call sent. With --invites-only, each call is its INVITE
alone (a flood of distinct Call-IDs that never end: the call engine's limit
must hold memory).
"""

import json
import socket
import struct
import sys
import time


def chunk(kind, value):
    return struct.pack("!HHH", 0, kind, 6 + len(value)) + value


def hep3(payload, src_port, dst_port, now):
    secs = int(now)
    usecs = int((now - secs) * 1e6)
    body = b"".join(
        [
            chunk(1, b"\x02"),
            chunk(2, b"\x11"),
            chunk(3, bytes([192, 0, 2, 1])),
            chunk(4, bytes([192, 0, 2, 2])),
            chunk(7, struct.pack("!H", src_port)),
            chunk(8, struct.pack("!H", dst_port)),
            chunk(9, struct.pack("!I", secs)),
            chunk(10, struct.pack("!I", usecs)),
            chunk(11, b"\x01"),
            chunk(12, struct.pack("!I", 1)),
            chunk(15, payload),
        ]
    )
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def call(n):
    cid = f"feed-{n}@192.0.2.1"
    common = (
        f"From: <sip:alice@192.0.2.1>;tag=a{n}\r\nTo: <sip:bob@192.0.2.2>{{to}}\r\n"
        f"Call-ID: {cid}\r\n"
    )
    via = f"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK{{b}}{n}\r\n"

    def req(method, cseq, b, to):
        return (
            f"{method} sip:bob@192.0.2.2 SIP/2.0\r\n" + via.format(b=b) + common.format(to=to)
            + f"CSeq: {cseq} {method}\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        ).encode()

    def resp(code, reason, cseq, method, b):
        return (
            f"SIP/2.0 {code} {reason}\r\n" + via.format(b=b) + common.format(to=f";tag=b{n}")
            + f"CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        ).encode()

    return [
        (req("INVITE", 1, "i", ""), 5060, 5080),
        (resp(180, "Ringing", 1, "INVITE", "i"), 5080, 5060),
        (resp(200, "OK", 1, "INVITE", "i"), 5080, 5060),
        (req("ACK", 1, "a", f";tag=b{n}"), 5060, 5080),
        (req("BYE", 2, "y", f";tag=b{n}"), 5060, 5080),
        (resp(200, "OK", 2, "BYE", "y"), 5080, 5060),
    ]


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    host, port = sys.argv[1].rsplit(":", 1)
    rate, seconds = float(sys.argv[2]), float(sys.argv[3])
    args = sys.argv[4:]
    first = int(args[args.index("--first") + 1]) if "--first" in args else 0
    invites_only = "--invites-only" in args
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dest = (host, int(port))
    start = time.time()
    sent_calls = sent = 0
    n = first
    while True:
        now = time.time()
        elapsed = now - start
        if elapsed >= seconds:
            break
        due = int(elapsed * rate) - sent_calls
        for _ in range(max(due, 0)):
            messages = call(n)[:1] if invites_only else call(n)
            for payload, sp, dp in messages:
                s.sendto(hep3(payload, sp, dp, time.time()), dest)
                sent += 1
            n += 1
            sent_calls += 1
        time.sleep(0.01)
    print(json.dumps({"calls": sent_calls, "messages": sent, "seconds": round(time.time() - start, 3)}))


if __name__ == "__main__":
    main()
