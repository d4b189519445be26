#!/usr/bin/env python3
"""Writes a classic pcap of at least SIZE_MB by repeating the UDP frames of
the given Ethernet pcap captures (TCP frames are left out: repeated TCP
segments would be retransmissions to any reassembler, and counted
differently by tshark and sipline). Timestamps advance with each copy.

usage: replicate_pcap.py OUT SIZE_MB IN.pcap [IN.pcap ...]"""
import struct
import sys

out_path, size_mb, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
frames = []
for path in inputs:
    data = open(path, "rb").read()
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    if linktype != 1:
        sys.exit(f"{path}: only Ethernet captures are replicated")
    pos = 24
    while pos + 16 <= len(data):
        ts, us, incl, orig = struct.unpack(endian + "IIII", data[pos:pos + 16])
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        # Ethernet (14) + IPv4 protocol at 14+9, or IPv6 next header at 14+6.
        ethertype = frame[12:14]
        proto = frame[23] if ethertype == b"\x08\x00" else frame[20] if ethertype == b"\x86\xdd" else None
        if proto == 17:
            frames.append((ts, us, frame))
target = size_mb * 1024 * 1024
with open(out_path, "wb") as out:
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    written, copy = 24, 0
    while written < target:
        for ts, us, frame in frames:
            out.write(struct.pack("<IIII", ts + copy * 3600, us, len(frame), len(frame)))
            out.write(frame)
            written += 16 + len(frame)
        copy += 1
print(f"{out_path}: {written} bytes, {copy} copies of {len(frames)} UDP frames")
