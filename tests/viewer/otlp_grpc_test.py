#!/usr/bin/env python3
"""OTLP/gRPC both ways against a third-party gRPC stack (Debian's python3-grpcio): the viewer's
receiver driven by a grpcio client (what it stores is what the UI then serves, gzip-compressed
calls work, and every bad call gets its gRPC status and a reason while the receiver keeps
serving), and our exporter (OTEL_EXPORTER_OTLP_PROTOCOL=grpc, through the CLI) calling a grpcio
server: plain and gzip, a retried UNAVAILABLE, and a refusal reported with its reason.

The ExportTraceServiceRequest messages are written here field by field from the OTLP protos'
field numbers, so the test does not depend on our own encoder."""
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
import threading
import unittest
from concurrent import futures
import urllib.error
import urllib.request

import grpc

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
KAFKATRACE = os.path.join(BUILD, "tools", "kafkatrace", "kafkatrace")
TRACE_EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


# ---- protobuf by hand ----
def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):  # length-delimited
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def fixed64(number, value):
    return varint(number << 3 | 1) + struct.pack("<Q", value)


def string_attribute(key, value):
    return field(1, key.encode()) + field(2, field(1, value.encode()))


def span(trace_id, span_id, name, start, parent=b""):
    body = field(1, trace_id) + field(2, span_id)
    if parent:
        body += field(4, parent)
    body += field(5, name.encode()) + varint(6 << 3) + varint(2)  # kind: SERVER
    body += fixed64(7, start) + fixed64(8, start + 5_000_000)
    body += field(9, string_attribute("http.route", "/ask"))
    return field(2, body)


def request(service, spans):
    resource = field(1, field(1, string_attribute("service.name", service)))
    scope_spans = field(2, field(1, field(1, b"grpc-test")) + b"".join(spans))
    return field(1, resource + scope_spans)


def read_varint(data, i):
    shift = value = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def partial_success(response):
    """(rejected_spans, error_message) of an ExportTraceServiceResponse; (0, "") when absent."""
    if not response:
        return 0, ""
    assert response[0] == 0x0A, response
    size, i = read_varint(response, 1)
    inner, rejected, message, j = response[i:i + size], 0, "", 0
    while j < len(inner):
        key, j = read_varint(inner, j)
        if key == 0x08:
            rejected, j = read_varint(inner, j)
        elif key == 0x12:
            n, j = read_varint(inner, j)
            message, j = inner[j:j + n].decode(), j + n
        else:
            raise AssertionError(f"unexpected field {key} in {response!r}")
    return rejected, message


class OtlpGrpcTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        db = os.path.join(tempfile.mkdtemp(), "spans.db")
        cls.view = subprocess.Popen([KAFKATRACE, "view", "--otlp", "127.0.0.1:0", "--ui", "127.0.0.1:0",
                                     "--otlp-grpc", "127.0.0.1:0", "--db", db],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.otlp_http = cls.view.stdout.readline().split()[-1]
        cls.ui = cls.view.stdout.readline().split()[-1]
        line = cls.view.stdout.readline()
        assert line.startswith("OTLP/gRPC receiver: "), line
        cls.address = line.split()[-1]
        cls.channel = grpc.insecure_channel(cls.address)
        # No serializers: the call takes and returns raw message bytes.
        cls.export = cls.channel.unary_unary(TRACE_EXPORT)

    @classmethod
    def tearDownClass(cls):
        cls.channel.close()
        cls.view.terminate()
        cls.view.wait(timeout=10)

    def trace(self, trace_id):
        try:
            with urllib.request.urlopen(self.ui + "api/traces/" + trace_id.hex(), timeout=10) as r:
                return json.loads(r.read())["spans"]
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 404)
            return []

    def fails(self, call):
        with self.assertRaises(grpc.RpcError) as raised:
            call()
        return raised.exception.code(), raised.exception.details()

    def test_our_metrics_exporter_speaks_otlp_grpc(self):
        # kafkatrace's own metrics exporter, over gRPC (MetricsService/Export), from a CLI producer.
        broker = subprocess.Popen([KAFKATRACE, "broker", "--port", "0", "--topic", "grpc-metered:1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            bootstrap = broker.stdout.readline().strip()
            env = dict(os.environ, OTEL_METRICS_EXPORTER="otlp", OTEL_SERVICE_NAME="grpc-metered",
                       OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="grpc",
                       OTEL_EXPORTER_OTLP_METRICS_ENDPOINT="http://" + self.address)
            result = subprocess.run([KAFKATRACE, "produce", "-b", bootstrap, "-t", "grpc-metered", "a", "b"],
                                    env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertNotIn("failed", result.stderr)
        finally:
            broker.terminate()
            broker.wait(timeout=10)
        with urllib.request.urlopen(self.ui + "api/metrics", timeout=10) as r:
            series = json.loads(r.read())["series"]
        sent = [m for m in series if m["service"] == "grpc-metered" and m["name"] == "messaging.client.sent.messages"]
        self.assertEqual(sum(m["value"] for m in sent), 2, series)

    def test_an_export_is_stored_and_acknowledged_with_an_empty_response(self):
        trace_id, now = os.urandom(16), time.time_ns()
        response = self.export(request("grpc-api", [span(trace_id, b"\x01" * 8, "POST /ask", now),
                                                    span(trace_id, b"\x02" * 8, "child", now, b"\x01" * 8)]),
                               timeout=10)
        self.assertEqual(partial_success(response), (0, ""))
        spans = self.trace(trace_id)  # acknowledged means committed: no waiting
        self.assertEqual(sorted(s["name"] for s in spans), ["POST /ask", "child"])
        self.assertEqual({s["service"] for s in spans}, {"grpc-api"})
        child = next(s for s in spans if s["name"] == "child")
        self.assertEqual(child["parent_span_id"], "01" * 8)
        self.assertEqual(child["attributes"]["http.route"], "/ask")

    def test_a_gzip_compressed_export_is_stored(self):
        # gRPC sends a message uncompressed when gzip would not shrink it: make it worth it.
        trace_id, now = os.urandom(16), time.time_ns()
        spans = [span(trace_id, struct.pack(">Q", i + 1), "compressed", now) for i in range(200)]
        self.export(request("gzipped", spans), timeout=10, compression=grpc.Compression.Gzip)
        self.assertEqual(len(self.trace(trace_id)), 200)

    def test_invalid_spans_are_rejected_alone_as_partial_success(self):
        trace_id = os.urandom(16)
        response = self.export(request("partial", [span(trace_id, b"\x04" * 8, "kept", time.time_ns()),
                                                   span(trace_id, b"\x00" * 8, "zero-id", time.time_ns())]),
                               timeout=10)
        rejected, message = partial_success(response)
        self.assertEqual(rejected, 1)
        self.assertIn("zero-id", message)
        self.assertEqual([s["name"] for s in self.trace(trace_id)], ["kept"])

    def test_bad_calls_get_a_status_and_a_reason_and_the_receiver_keeps_serving(self):
        code, details = self.fails(lambda: self.export(b"\x0a\xff\xff\xff\x0f", timeout=10))
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertTrue(details, "no reason given")

        # Metrics are kept (an empty request holds none); a malformed one gets a reason.
        metrics = self.channel.unary_unary("/opentelemetry.proto.collector.metrics.v1.MetricsService/Export")
        self.assertEqual(metrics(b"", timeout=10), b"")
        code, details = self.fails(lambda: metrics(b"\x0a\xff\xff\xff\x0f", timeout=10))
        self.assertEqual(code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIn("malformed", details)
        logs = self.channel.unary_unary("/opentelemetry.proto.collector.logs.v1.LogsService/Export")
        code, details = self.fails(lambda: logs(b"", timeout=10))
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("OTEL_LOGS_EXPORTER=none", details)

        unknown = self.channel.unary_unary("/no.such.Service/Call")
        code, details = self.fails(lambda: unknown(b"", timeout=10))
        self.assertEqual(code, grpc.StatusCode.UNIMPLEMENTED)
        self.assertIn("/no.such.Service/Call", details)

        code, details = self.fails(lambda: self.export(b"\x00" * (17 << 20), timeout=30))
        self.assertEqual(code, grpc.StatusCode.RESOURCE_EXHAUSTED)
        self.assertIn("larger than", details)

        trace_id = os.urandom(16)
        self.export(request("after", [span(trace_id, b"\x05" * 8, "still-serving", time.time_ns())]), timeout=10)
        self.assertEqual([s["name"] for s in self.trace(trace_id)], ["still-serving"])

    def test_a_request_that_is_not_grpc_gets_415(self):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--http2-prior-knowledge",
                              "-H", "Content-Type: application/json", "--data", "{}",
                              "http://" + self.address + TRACE_EXPORT], capture_output=True, text=True, timeout=30)
        self.assertEqual(out.stdout, "415", out.stderr)

    def test_otlp_http_sent_here_gets_a_400_naming_the_right_port(self):
        request = urllib.request.Request("http://" + self.address + "/v1/traces", data=b"{}", method="POST",
                                         headers={"Content-Type": "application/json"})
        with self.assertRaises(urllib.error.HTTPError) as raised:
            urllib.request.urlopen(request, timeout=10)
        self.assertEqual(raised.exception.code, 400)
        reason = raised.exception.read().decode()
        self.assertIn("OTLP/gRPC receiver", reason)
        self.assertIn(self.otlp_http, reason)
        # A client still sending its body after the answer went out gets the answer too: the
        # receiver reads the rest before closing (closing with unread data resets the connection).
        host, port = self.address.rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"POST /v1/traces HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 2\r\n\r\n")
            time.sleep(0.5)  # the answer has been sent by now
            raw.sendall(b"{}")
            answer = b""
            while chunk := raw.recv(4096):
                answer += chunk
        self.assertTrue(answer.startswith(b"HTTP/1.1 400 Bad Request"), answer)
        self.assertIn(self.otlp_http.encode(), answer)

    def test_an_address_in_use_is_a_clear_error(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            address = "127.0.0.1:%d" % taken.getsockname()[1]
            out = subprocess.run([KAFKATRACE, "view", "--otlp", "127.0.0.1:0", "--ui", "127.0.0.1:0",
                                  "--otlp-grpc", address, "--db", os.path.join(tempfile.mkdtemp(), "spans.db")],
                                 capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 1)
        self.assertIn("cannot listen on " + address, out.stderr)
        out = subprocess.run([KAFKATRACE, "view", "--otlp-grpc", "nowhere"], capture_output=True, text=True,
                             timeout=30)
        self.assertEqual(out.returncode, 2)
        self.assertIn("bad --otlp-grpc", out.stderr)


class Collector(grpc.GenericRpcHandler):
    """A grpcio TraceService that keeps the raw requests; `answers` scripts the statuses."""

    def __init__(self):
        self.calls, self.times, self.deadlines, self.answers = [], [], [], []
        self.lock = threading.Lock()

    def service(self, details):
        if details.method != TRACE_EXPORT:
            return None
        return grpc.unary_unary_rpc_method_handler(self.export)  # raw bytes in and out

    def export(self, message, context):
        with self.lock:
            self.calls.append((message, dict(context.invocation_metadata())))
            self.times.append(time.monotonic())
            self.deadlines.append(context.time_remaining())  # None: no grpc-timeout
            answer = self.answers.pop(0) if self.answers else None
        if answer:
            code, reason, *details = answer
            if details:  # a google.rpc.Status, as grpc_status.rpc_status would send it
                context.set_trailing_metadata((("grpc-status-details-bin", details[0]),))
            context.abort(code, reason)
        return b""


class OurExporterTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = subprocess.Popen([KAFKATRACE, "broker", "--port", "0", "--topic", "grpc-out:1"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.bootstrap = cls.broker.stdout.readline().strip()
        cls.collector = Collector()
        cls.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        cls.server.add_generic_rpc_handlers((cls.collector,))
        cls.port = cls.server.add_insecure_port("127.0.0.1:0")
        cls.server.start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop(None)
        cls.broker.terminate()
        cls.broker.wait(timeout=10)

    def setUp(self):
        self.collector.calls.clear()
        self.collector.times.clear()
        self.collector.deadlines.clear()

    def produce(self, value, **env):
        environment = dict(os.environ, OTEL_EXPORTER_OTLP_PROTOCOL="grpc", OTEL_SERVICE_NAME="grpc-cli",
                           OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:%d" % self.port, **env)
        out = subprocess.run([KAFKATRACE, "produce", "-b", self.bootstrap, "-t", "grpc-out", value],
                             capture_output=True, text=True, timeout=60, env=environment)
        self.assertEqual(out.returncode, 0, out.stderr)
        return out.stderr

    def test_spans_arrive_as_a_grpc_export_call(self):
        self.produce("plain")
        self.assertEqual(len(self.collector.calls), 1)
        message, metadata = self.collector.calls[0]
        self.assertIn(b"send grpc-out", message)
        self.assertIn(b"grpc-cli", message)
        self.assertTrue(metadata["user-agent"].startswith("kafkatrace-OTLP-Exporter-Cpp/"), metadata)
        # The call carries its deadline: what is left of the 10 s export timeout.
        self.assertIsNotNone(self.collector.deadlines[0])
        self.assertTrue(0 < self.collector.deadlines[0] <= 10, self.collector.deadlines[0])

    def test_gzip_compresses_the_message_as_grpc_does(self):
        self.produce("zipped", OTEL_EXPORTER_OTLP_COMPRESSION="gzip")
        self.assertEqual(len(self.collector.calls), 1)
        self.assertIn(b"send grpc-out", self.collector.calls[0][0])  # grpcio inflated it

    def test_unavailable_is_retried(self):
        self.collector.answers = [(grpc.StatusCode.UNAVAILABLE, "warming up")]
        stderr = self.produce("retried")
        self.assertEqual(len(self.collector.calls), 2, stderr)
        self.assertNotIn("failed", stderr)

    def test_resource_exhausted_is_retried_after_the_delay_its_retry_info_asks(self):
        # google.rpc.Status{code: 8, details: [Any{RetryInfo{retry_delay: 0.1 s}}]}
        duration = b"\x10" + varint(100_000_000)
        any_detail = field(1, b"type.googleapis.com/google.rpc.RetryInfo") + field(2, field(1, duration))
        status = varint(1 << 3) + varint(8) + field(2, b"slow down") + field(3, any_detail)
        self.collector.answers = [(grpc.StatusCode.RESOURCE_EXHAUSTED, "slow down", status)]
        stderr = self.produce("throttled")
        self.assertEqual(len(self.collector.calls), 2, stderr)
        self.assertNotIn("failed", stderr)
        gap = self.collector.times[1] - self.collector.times[0]
        # 0.1 s asked; the default backoff would be 0.8-1.2 s.
        self.assertGreaterEqual(gap, 0.09)
        self.assertLess(gap, 0.7)

    def test_resource_exhausted_without_retry_info_is_not_retried(self):
        self.collector.answers = [(grpc.StatusCode.RESOURCE_EXHAUSTED, "quota")]
        stderr = self.produce("over quota")
        self.assertEqual(len(self.collector.calls), 1)
        self.assertIn("gRPC RESOURCE_EXHAUSTED: quota", stderr)

    def test_a_refusal_is_reported_with_its_reason_and_not_retried(self):
        self.collector.answers = [(grpc.StatusCode.INVALID_ARGUMENT, "span 100% broken")]
        stderr = self.produce("refused")
        self.assertEqual(len(self.collector.calls), 1)
        self.assertIn("gRPC INVALID_ARGUMENT: span 100% broken", stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
