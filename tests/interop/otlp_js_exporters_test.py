#!/usr/bin/env python3
"""`kafkatrace view` receives what OpenTelemetry JavaScript's own OTLP/HTTP exporters send, in
protobuf and in JSON: spans (kinds, parent, status, typed attributes, events) and metrics (a
counter, a histogram, an up-down counter), each read back through the viewer's API. The
encoders are OpenTelemetry's, not ours, so the receiver's decoders are held to the wire format
as others write it.

Usage: otlp_js_exporters_test.py <build-dir>   (after `npm ci` in tests/interop)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
KAFKATRACE = os.path.join(BUILD, "tools", "kafkatrace", "kafkatrace")
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "otlp_http_client.js")


class OtelJsExportersTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.view = subprocess.Popen([KAFKATRACE, "view", "--otlp", "127.0.0.1:0", "--ui", "127.0.0.1:0",
                                     "--otlp-grpc", "off", "--db", os.path.join(tempfile.mkdtemp(), "spans.db")],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.base = cls.view.stdout.readline().split()[-1].removesuffix("/v1/traces")
        cls.ui = cls.view.stdout.readline().split()[-1]

    @classmethod
    def tearDownClass(cls):
        cls.view.terminate()
        cls.view.wait(timeout=10)
        cls.view.stdout.close()

    def api(self, path):
        with urllib.request.urlopen(self.ui + path, timeout=5) as r:
            return json.loads(r.read())

    def check(self, encoding):
        service = "js-otlp-" + encoding
        out = subprocess.run(["node", CLIENT, self.base, encoding, service], capture_output=True, text=True,
                             timeout=120)
        self.assertEqual(out.returncode, 0, out.stderr)
        ids = json.loads(out.stdout.strip().splitlines()[-1])

        deadline = time.time() + 10
        while True:  # stored by the receiver's request, but let a slow machine catch up
            try:
                spans = self.api("api/traces/" + ids["trace_id"])["spans"]
                if len(spans) == 2:
                    break
            except urllib.error.HTTPError:
                pass
            self.assertLess(time.time(), deadline, "the JS spans never arrived")
            time.sleep(0.1)
        by_name = {s["name"]: s for s in spans}
        send, encode = by_name["send orders"], by_name["encode"]
        self.assertEqual((send["span_id"], send["parent_span_id"], send["service"], send["scope"]),
                         (ids["span_id"], "", service, "otlp-interop"))
        self.assertEqual((send["kind"], send["status_code"], send["status_message"]), (4, 2, "broker said no"))
        self.assertEqual(send["attributes"], {
            "messaging.system": "kafka", "messaging.destination.name": "orders", "messaging.kafka.offset": 42,
            "messaging.message.body.size": 1234.5, "messaging.kafka.message.tombstone": True, "app.tags": ["a", "b"]})
        self.assertEqual(send["topic"], "orders")
        self.assertEqual([(e["name"], e["attributes"]) for e in send["events"]], [("retry", {"attempt": 2})])
        self.assertGreaterEqual(send["end_unix_nano"], send["start_unix_nano"])
        self.assertEqual((encode["parent_span_id"], encode["kind"], encode["status_code"]), (ids["span_id"], 1, 0))

        series = {m["name"]: m for m in self.api("api/metrics")["series"] if m["service"] == service}
        attributes = {"messaging.system": "kafka", "messaging.destination.name": "orders"}
        sent = series["messaging.client.sent.messages"]
        self.assertEqual((sent["kind"], sent["value"], sent["unit"], sent["attributes"]),
                         ("sum", 3, "{message}", attributes))
        duration = series["messaging.client.operation.duration"]
        self.assertEqual((duration["kind"], duration["count"], duration["unit"]), ("histogram", 3, "s"))
        self.assertAlmostEqual(duration["sum"], 0.322)
        self.assertTrue(0.01 <= duration["p50"] <= 0.025, duration)  # the middle value's bucket
        self.assertEqual((series["app.in_flight"]["kind"], series["app.in_flight"]["value"]), ("sum", -2))

    def test_protobuf(self):
        self.check("proto")

    def test_json(self):
        self.check("json")


if __name__ == "__main__":
    unittest.main(verbosity=2)
