#!/usr/bin/env python3
"""A minimal authoritative DNS server over UDP, for tests of name resolution in the layer's root.

Usage: dns_test_server.py ADDRESS PORT NAME=IPV4...
Answers A queries for the NAMEs given, NOERROR without answers for their other types, NXDOMAIN
for every other name. Prints the port on its first line once listening; exits when its standard
input closes (so it never outlives the test that started it).
"""
import socket
import struct
import sys
import threading


def parse_question(query):
    """(id, flags, name, qtype, question bytes) of a one-question query; None if malformed."""
    if len(query) < 12:
        return None
    ident, flags, qdcount = struct.unpack("!HHH", query[:6])
    if qdcount != 1:
        return None
    labels, offset = [], 12
    while offset < len(query) and query[offset] != 0:
        length = query[offset]
        labels.append(query[offset + 1 : offset + 1 + length].decode("ascii", "replace"))
        offset += 1 + length
    end = offset + 5
    if end > len(query):
        return None
    qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
    return ident, flags, ".".join(labels).lower(), qtype, query[12:end]


def answer(query, table):
    parsed = parse_question(query)
    if parsed is None:
        return None
    ident, flags, name, qtype, question = parsed
    address = table.get(name)
    rcode = 0 if address else 3
    records = b""
    if address and qtype == 1:
        # Name as a pointer to the question's (offset 12), type A, class IN, TTL 60, 4 bytes.
        records = struct.pack("!HHHIH", 0xC00C, 1, 1, 60, 4) + socket.inet_aton(address)
    header = struct.pack("!HHHHHH", ident, 0x8400 | (flags & 0x0100) | rcode, 1, 1 if records else 0, 0, 0)
    return header + question + records


def main():
    address, port = sys.argv[1], int(sys.argv[2])
    table = dict(entry.lower().split("=", 1) for entry in sys.argv[3:])
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((address, port))

    def serve():
        while True:
            query, client = server.recvfrom(512)
            reply = answer(query, table)
            if reply:
                server.sendto(reply, client)

    threading.Thread(target=serve, daemon=True).start()
    print(server.getsockname()[1], flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
