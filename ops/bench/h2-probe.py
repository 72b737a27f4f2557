"""HTTP/2 load for ops/bench/ingress-bench.sh: one connection, rounds of STREAMS concurrent GETs.

A client of raw frames (standard library only: no HPACK table of its own, literal headers), so
that what is measured is the front and not a client library: the JDK's HTTP/2 client spends
more time per request than the front does. TCP_NODELAY is on: without it the kernel holds each
round's later HEADERS frames until the first is acknowledged (40 ms), which looks like a slow server.

    python3 h2-probe.py HOST PORT AUTHORITY PATH SECONDS STREAMS [tls]

Prints one line: requests, requests per second and the median time of a round.
"""
import socket
import ssl
import struct
import sys
import time

host, port, authority, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
seconds, streams = float(sys.argv[5]), int(sys.argv[6])
tls = len(sys.argv) > 7 and sys.argv[7] == "tls"

DATA, HEADERS, RST_STREAM, SETTINGS, GOAWAY, WINDOW_UPDATE = 0, 1, 3, 4, 7, 8
END_STREAM, END_HEADERS, ACK = 0x1, 0x4, 0x1


def literal(name, value):
    n, v = name.encode(), value.encode()
    return b"\x00" + bytes([len(n)]) + n + bytes([len(v)]) + v   # literal, not indexed, short strings


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


sock = socket.create_connection((host, port))
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
if tls:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE   # the bench's certificate is self-signed
    ctx.set_alpn_protocols(["h2"])
    sock = ctx.wrap_socket(sock, server_hostname=authority.split(":")[0])
    if sock.selected_alpn_protocol() != "h2":
        sys.exit("the server did not choose h2: %r" % sock.selected_alpn_protocol())
sock.settimeout(10)
# a large connection window, so that flow control never waits on this client
sock.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(SETTINGS, 0, 0) + frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", 1 << 30)))
block = literal(":method", "GET") + literal(":path", path) + literal(":scheme", "https" if tls else "http") \
    + literal(":authority", authority)
pending = b""


def read_frame():
    global pending
    while True:
        if len(pending) >= 9:
            length = int.from_bytes(pending[:3], "big")
            if len(pending) >= 9 + length:
                kind, flags = pending[3], pending[4]
                stream = int.from_bytes(pending[5:9], "big") & 0x7FFFFFFF
                payload, pending = pending[9:9 + length], pending[9 + length:]
                return kind, flags, stream, payload
        data = sock.recv(65536)
        if not data:
            sys.exit("the server closed the connection")
        pending += data


next_stream, answered, rounds, received = 1, 0, [], 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    start = time.monotonic()
    ids = set(range(next_stream, next_stream + 2 * streams, 2))
    next_stream += 2 * streams
    sock.sendall(b"".join(frame(HEADERS, END_HEADERS | END_STREAM, i, block) for i in sorted(ids)))
    while ids:
        kind, flags, stream, payload = read_frame()
        if kind in (RST_STREAM, GOAWAY):
            sys.exit("stream %d refused: frame %d %r" % (stream, kind, payload[:16]))
        if kind == SETTINGS and not flags & ACK:
            sock.sendall(frame(SETTINGS, ACK, 0))
        if kind == DATA:
            received += len(payload)
        if kind in (DATA, HEADERS) and flags & END_STREAM:
            ids.discard(stream)
            answered += 1
    if received > 1 << 20:
        sock.sendall(frame(WINDOW_UPDATE, 0, 0, struct.pack(">I", received)))
        received = 0
    rounds.append(time.monotonic() - start)
rounds.sort()
print("%d requests, %.0f req/s, a round of %d streams p50 %.3f ms"
      % (answered, answered / seconds, streams, rounds[len(rounds) // 2] * 1000))
