#!/usr/bin/env python3
"""Writes the OTLP/gRPC fuzzer's seeds into fuzz/grpc_corpus/: what a client
sends after the HTTP/2 preface (which the fuzzer adds): SETTINGS, then one
Export call (HEADERS with literal HPACK fields, DATA with a gRPC-framed
request built from fuzz/otlp_corpus/rich.pb), the same gzip-compressed on two
streams, a PING and a GOAWAY, and an HTTP/1 request."""
import gzip
import pathlib
import struct

here = pathlib.Path(__file__).parent


def frame(kind, flags, stream, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + \
        struct.pack(">I", stream) + payload


def literal(name, value):  # literal header field without indexing, new name
    name, value = name.encode(), value.encode()
    return b"\x00" + bytes([len(name)]) + name + bytes([len(value)]) + value


headers = b"".join([
    literal(":method", "POST"), literal(":scheme", "http"),
    literal(":path", "/opentelemetry.proto.collector.trace.v1.TraceService/Export"),
    literal(":authority", "localhost:4317"),
    literal("content-type", "application/grpc"), literal("te", "trailers"),
])
# Its first byte picks the decoder fuzzer's encoding; the request follows.
request = (here / "otlp_corpus" / "rich.pb").read_bytes()[1:]
message = b"\x00" + struct.pack(">I", len(request)) + request
SETTINGS, HEADERS, DATA, PING, GOAWAY = 4, 1, 0, 6, 7
END_STREAM, END_HEADERS = 1, 4
export = (frame(SETTINGS, 0, 0) + frame(HEADERS, END_HEADERS, 1, headers) +
          frame(DATA, END_STREAM, 1, message))
zipped = gzip.compress(request)
gzip_headers = headers + literal("grpc-encoding", "gzip")
two_gzip_streams = frame(SETTINGS, 0, 0) + b"".join(
    frame(HEADERS, END_HEADERS, stream, gzip_headers) +
    frame(DATA, END_STREAM, stream,
          b"\x01" + struct.pack(">I", len(zipped)) + zipped)
    for stream in (1, 3))
out = here / "grpc_corpus"
out.mkdir(exist_ok=True)
(out / "export.bin").write_bytes(export)
(out / "gzip-two-streams.bin").write_bytes(two_gzip_streams)
(out / "ping-goaway.bin").write_bytes(
    frame(SETTINGS, 0, 0) + frame(PING, 0, 0, b"12345678") +
    frame(GOAWAY, 0, 0, struct.pack(">II", 0, 0)))
(out / "http1.bin").write_bytes(  # 'R': sent as is, without the preface
    b"RPOST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
