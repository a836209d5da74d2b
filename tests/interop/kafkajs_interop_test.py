#!/usr/bin/env python3
"""Interop with OpenTelemetry JavaScript (kafkajs + @opentelemetry/instrumentation-kafkajs):
a trace started by the JS producer is continued by kafkatrace's consumer, and a trace started by
kafkatrace's producer is continued by the JS consumer; W3C baggage crosses both ways. kafkatrace's spans are read back from
`kafkatrace view`, where the JS spans arrive too, through OpenTelemetry's own OTLP/gRPC exporter
into the view's gRPC receiver: one trace, both languages, and the Kafka hop between them.

Usage: kafkajs_interop_test.py <build-dir>   (after `npm ci` in tests/interop)
"""
import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
KAFKATRACE = os.path.join(BUILD, "tools", "kafkatrace", "kafkatrace")
CLIENT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "kafkajs_client.js")


class KafkaJsInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = subprocess.Popen([KAFKATRACE, "broker", "--port", "0", "--topic", "from-js:1",
                                       "--topic", "to-js:1"], stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
        cls.bootstrap = cls.broker.stdout.readline().strip()
        cls.view = subprocess.Popen([KAFKATRACE, "view", "--otlp", "127.0.0.1:0", "--ui", "127.0.0.1:0",
                                     "--otlp-grpc", "127.0.0.1:0",
                                     "--db", os.path.join(tempfile.mkdtemp(), "spans.db")],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.otlp = cls.view.stdout.readline().split()[-1]
        cls.ui = cls.view.stdout.readline().split()[-1]
        cls.otlp_grpc = "http://" + cls.view.stdout.readline().split()[-1]

    @classmethod
    def tearDownClass(cls):
        for p in (cls.broker, cls.view):
            p.terminate()
            p.wait(timeout=10)

    def js(self, mode, topic):
        out = subprocess.run(["node", CLIENT, self.bootstrap, mode, topic], capture_output=True,
                             text=True, timeout=120, env=dict(os.environ, OTLP_GRPC_ENDPOINT=self.otlp_grpc))
        self.assertEqual(out.returncode, 0, out.stderr)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def kafkatrace(self, *args):
        env = dict(os.environ, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=self.otlp)
        return subprocess.run([KAFKATRACE, *args], env=env, capture_output=True, text=True, timeout=60,
                              check=True).stdout

    def trace(self, trace_id):
        with urllib.request.urlopen(self.ui + "api/traces/" + trace_id, timeout=5) as r:
            return json.loads(r.read())

    def spans(self, trace_id, name):
        for _ in range(100):
            try:
                found = [s for s in self.trace(trace_id)["spans"] if s["name"] == name]
                if found:
                    return found
            except urllib.error.HTTPError:
                pass
            time.sleep(0.1)
        self.fail("no %s span in trace %s" % (name, trace_id))

    def test_kafkatrace_consumer_continues_a_js_trace(self):
        js = self.js("produce", "from-js")
        record = json.loads(self.kafkatrace("consume", "-b", self.bootstrap, "-t", "from-js", "--from-beginning",
                                            "--count", "1", "--timeout-ms", "10000", "--json"))
        # W3C baggage from OpenTelemetry JS's propagator, decoded.
        self.assertEqual(record["baggage"], [{"key": "tenant", "value": "acme corp"},
                                             {"key": "user.id", "value": "42"}])
        process = self.spans(js["trace_id"], "process from-js")[0]
        self.assertEqual(process["parent_span_id"], js["span_id"])
        # The JS producer's span came in over gRPC: the viewer has the whole hop.
        trace = self.trace(js["trace_id"])
        send = [s for s in trace["spans"] if s["span_id"] == js["span_id"]]
        self.assertEqual(len(send), 1, trace["spans"])
        self.assertEqual(send[0]["kind"], 4)  # PRODUCER
        self.assertEqual([(h["send_span_id"], h["process_span_id"]) for h in trace["hops"]],
                         [(js["span_id"], process["span_id"])])

    def test_js_consumer_continues_a_kafkatrace_trace(self):
        trace_id = self.kafkatrace("produce", "-b", self.bootstrap, "-t", "to-js", "--baggage", "tenant=acme corp",
                                   "--baggage", "user.id=42", "for kafkajs").split()[-1]
        send = self.spans(trace_id, "send to-js")[0]
        js = self.js("consume", "to-js")
        self.assertEqual(js["trace_id"], trace_id)
        self.assertEqual(js["parent"], send["span_id"])
        self.assertEqual(js["baggage"], {"tenant": "acme corp", "user.id": "42"})  # as JS decodes ours
        consumer = [s for s in self.trace(trace_id)["spans"] if s["parent_span_id"] == send["span_id"]]
        self.assertEqual([s["kind"] for s in consumer], [5], consumer)  # the JS CONSUMER span, over gRPC


if __name__ == "__main__":
    unittest.main(verbosity=2)
