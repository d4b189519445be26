#!/usr/bin/env python3
"""A hostile TCP client for benches/proxy.sh (HOSTILE=1): for SECONDS, one
connection after another to ADDR, each carrying one of the stream tests'
hostile inputs, and counts how each ended. Prints one JSON line:
connections per kind, how many the proxy closed while they were being
sent (the client saw a reset), how many the client sent whole, bytes sent.

    python3 benches/proxy/hostile.py 127.0.0.1:5060 20

The kinds (tests/hostile.rs feeds the same to the decoder):
  long_line   a 10 MB start line (no line end)
  headers     10^5 header fields
  cl_2_64     Content-Length 2^64
  one_byte    a header line that never ends, one byte per write
  nuls        1 MB of NUL bytes, then a start line of NULs
"""
import json
import socket
import sys
import time

addr, secs = sys.argv[1], float(sys.argv[2])
host, port = addr.rsplit(":", 1)
port = int(port)


def chunks_long_line():
    yield b"OPTIONS sip:"
    block = b"a" * 65536
    for _ in range(10 * 1024 * 1024 // len(block)):
        yield block


def chunks_headers():
    yield b"OPTIONS sip:h SIP/2.0\r\n"
    block = b"X-H: v\r\n" * 1000
    for _ in range(100):
        yield block


def chunks_cl():
    yield (b"INVITE sip:h SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.9;branch=z9hG4bKh\r\n"
           b"Content-Length: 18446744073709551616\r\n\r\n")
    yield b"x" * 65536


def chunks_one_byte():
    yield from (bytes([b]) for b in b"OPTIONS sip:h SIP/2.0\r\nX-Slow: ")
    for _ in range(8192):
        yield b"s"


def chunks_nuls():
    block = b"\0" * 65536
    for _ in range(16):
        yield block
    yield b"\0\0\0 sip:h SIP/2.0\r\n\r\n"


KINDS = {
    "long_line": chunks_long_line,
    "headers": chunks_headers,
    "cl_2_64": chunks_cl,
    "one_byte": chunks_one_byte,
    "nuls": chunks_nuls,
}

stats = {k: {"connections": 0, "closed_by_proxy": 0, "finished": 0} for k in KINDS}
sent = 0
end = time.monotonic() + secs
while time.monotonic() < end:
    for kind, make in KINDS.items():
        if time.monotonic() >= end:
            break
        s = socket.create_connection((host, port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.settimeout(5)
        stats[kind]["connections"] += 1
        closed = False
        try:
            for c in make():
                s.sendall(c)
                sent += len(c)
        except (BrokenPipeError, ConnectionResetError):
            # The proxy closed it while it was being sent.
            closed = True
        finally:
            s.close()
        stats[kind]["closed_by_proxy" if closed else "finished"] += 1

print(json.dumps({"bytes_sent": sent, "kinds": stats}))
