#!/usr/bin/env python3
"""Writes a classic pcap of CALLS G.711 calls of SECONDS each, media both
ways: per call an INVITE with its SDP offer, a 200 with the answer, an ACK,
then 50 RTP packets a second each way (160 bytes of payload, 20 ms), then a
BYE and its 200. Calls start 10 ms apart and overlap; every address and port
is the call's own, so each stream belongs to one call. By bytes it is about
97 % RTP. Generated at benchmark time, never stored.

With --streams N instead: N RTP streams of 4 packets each and no SIP (every
stream its own source address), to check the bound on streams held.

usage: make_rtp_pcap.py OUT CALLS SECONDS
       make_rtp_pcap.py OUT --streams N"""
import heapq
import struct
import sys

out_path = sys.argv[1]
many = sys.argv[2] == "--streams"
calls, seconds = (0, 0) if many else (int(sys.argv[2]), int(sys.argv[3]))


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(src, sport, dst, dport, payload):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                     bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + ip + udp


def addr(call, side):
    # 10.x.y.1 calls 10.x.y.2: one /24 per call.
    return [10, 1 + call // 250, 1 + call % 250, 1 + side]


def sip(call, start, cseq, method, tags, body=b""):
    to = ";tag=%s" % tags[1] if tags[1] else ""
    ct = "Content-Type: application/sdp\r\n" if body else ""
    via = "SIP/2.0/UDP %s:5060;branch=z9hG4bK%d-%d" % (".".join(map(str, addr(call, 0))), call, cseq)
    head = ("%s\r\nVia: %s\r\nFrom: <sip:a%d@example.com>;tag=%s\r\nTo: <sip:b%d@example.com>%s\r\n"
            "Call-ID: bench-%d@example.com\r\nCSeq: %d %s\r\nMax-Forwards: 70\r\n%sContent-Length: %d\r\n\r\n"
            % (start, via, call, tags[0], call, to, call, cseq, method, ct, len(body)))
    return head.encode() + body


def sdp(call, side):
    ip = ".".join(map(str, addr(call, side)))
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio 4000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
            "a=sendrecv\r\n" % (call, ip, ip)).encode()


def events(call):
    """(time, frame) of one call, in time order."""
    t0 = call * 0.010
    a, b = addr(call, 0), addr(call, 1)
    ruri = "sip:b%d@example.com" % call
    tags = ("c%d" % call, None)
    out = [(t0, frame(a, 5060, b, 5060, sip(call, "INVITE %s SIP/2.0" % ruri, 1, "INVITE", tags, sdp(call, 0))))]
    tags = ("c%d" % call, "s%d" % call)
    out.append((t0 + 0.5, frame(b, 5060, a, 5060, sip(call, "SIP/2.0 200 OK", 1, "INVITE", tags, sdp(call, 1)))))
    out.append((t0 + 0.501, frame(a, 5060, b, 5060, sip(call, "ACK %s SIP/2.0" % ruri, 1, "ACK", tags))))
    payload = bytes(160)
    for i in range(seconds * 50):
        t = t0 + 0.52 + i * 0.020
        for side, (src, dst) in enumerate(((a, b), (b, a))):
            rtp = struct.pack("!BBHII", 0x80, 8, i & 0xFFFF, (i * 160) & 0xFFFFFFFF, 1000 + call * 2 + side)
            out.append((t + side * 0.001, frame(src, 4000, dst, 4000, rtp + payload)))
    end = t0 + 0.52 + seconds + 0.01
    out.append((end, frame(a, 5060, b, 5060, sip(call, "BYE %s SIP/2.0" % ruri, 2, "BYE", tags))))
    out.append((end + 0.001, frame(b, 5060, a, 5060, sip(call, "SIP/2.0 200 OK", 2, "BYE", tags))))
    return out


def streams(n):
    """(time, frame) of n streams of 4 packets, all interleaved."""
    payload = bytes(20)
    for seq in range(4):
        for k in range(n):
            src = [10, 100 + k // 62500, (k // 250) % 250 + 1, k % 250 + 1]
            rtp = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, k)
            yield (seq * 0.020 + k * 1e-7, frame(src, 4000, [10, 0, 0, 1], 4000, rtp + payload))


base = 1_796_000_000
if many:
    n = int(sys.argv[3])
    with open(out_path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, fr in streams(n):
            sec = int(t)
            f.write(struct.pack("<IIII", base + sec, int((t - sec) * 1e6), len(fr), len(fr)))
            f.write(fr)
    print(f"{out_path}: {4 * n} frames, {n} streams of 4 packets")
    sys.exit(0)
with open(out_path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    n = 0
    for t, fr in heapq.merge(*(events(c) for c in range(calls))):
        sec = int(t)
        f.write(struct.pack("<IIII", base + sec, int((t - sec) * 1e6), len(fr), len(fr)))
        f.write(fr)
        n += 1
print(f"{out_path}: {n} frames, {calls} calls of {seconds} s")
