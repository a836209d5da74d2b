#!/usr/bin/python3
"""The interceptor plugin with real clients nobody here wrote: Debian's kcat and
python3-confluent-kafka, against `kafkatrace broker`, exporting OTLP/JSON to a loopback receiver.

Usage: plugin_test.py <build-dir>   (run with Debian's /usr/bin/python3, which has confluent_kafka)
"""
import http.server
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.request

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
KAFKATRACE = os.path.join(BUILD, "tools", "kafkatrace", "kafkatrace")
PLUGIN = os.path.join(BUILD, "src", "libkafkatrace_plugin.so")
TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Receiver(http.server.BaseHTTPRequestHandler):
    spans = []  # (service, span) pairs
    metrics = []  # (service, metric) pairs
    lock = threading.Lock()

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = json.loads(body)
        with Receiver.lock:
            for rm in request.get("resourceMetrics", []):
                service = next(a["value"]["stringValue"] for a in rm["resource"]["attributes"]
                               if a["key"] == "service.name")
                for sm in rm["scopeMetrics"]:
                    Receiver.metrics.extend((service, m) for m in sm["metrics"])
            for rs in request.get("resourceSpans", []):
                service = next(a["value"]["stringValue"] for a in rs["resource"]["attributes"]
                               if a["key"] == "service.name")
                for ss in rs["scopeSpans"]:
                    for span in ss["spans"]:
                        span["scope"] = dict(ss.get("scope", {}), schemaUrl=ss.get("schemaUrl"))
                        Receiver.spans.append((service, span))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def spans_of(service, name=None):
    with Receiver.lock:
        return [s for svc, s in Receiver.spans if svc == service and (name is None or s["name"] == name)]


def metric_points(service, name):
    """Data points of metric `name` from `service`, each as (attributes, point)."""
    with Receiver.lock:
        metrics = [m for svc, m in Receiver.metrics if svc == service and m["name"] == name]
    points = []
    for metric in metrics:
        data = metric.get("sum") or metric.get("histogram")
        for point in data["dataPoints"]:
            attributes = {a["key"]: next(iter(a["value"].values())) for a in point["attributes"]}
            points.append((attributes, point))
    return points


def wait_for(predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.1)
    return predicate()


class PluginTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        topics = [arg for t in ["k1", "k2", "k3", "k4", "k5", "k6", "k7", "py1", "py2"] for arg in ("--topic", t + ":1")]
        cls.broker = subprocess.Popen([KAFKATRACE, "broker", "--port", "0", *topics], stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True)
        cls.bootstrap = cls.broker.stdout.readline().strip()
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        cls.endpoint = "http://127.0.0.1:%d/v1/traces" % cls.server.server_address[1]

    @classmethod
    def tearDownClass(cls):
        cls.server.shutdown()
        cls.broker.terminate()
        cls.broker.wait(timeout=10)

    def plugin_args(self, service):
        return ["-X", "plugin.library.paths=" + PLUGIN, "-X", "kafkatrace.service.name=" + service,
                "-X", "kafkatrace.otlp.endpoint=" + self.endpoint,
                "-X", "kafkatrace.otlp.protocol=http/json"]

    def plugin_conf(self, service):
        return {"bootstrap.servers": self.bootstrap, "plugin.library.paths": PLUGIN,
                "kafkatrace.service.name": service, "kafkatrace.otlp.endpoint": self.endpoint,
                "kafkatrace.otlp.protocol": "http/json"}

    def consume_json(self, topic, count):
        out = subprocess.run([KAFKATRACE, "consume", "-b", self.bootstrap, "-t", topic,
                              "--from-beginning", "--count", str(count), "--json", "--timeout-ms", "5000"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        return [json.loads(line) for line in out.splitlines()]

    def test_kcat_produce_and_consume_in_one_trace(self):
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k1", "-P", *self.plugin_args("kcat-p")],
                       input="no headers\n", text=True, check=True, timeout=30)
        record = self.consume_json("k1", 1)[0]
        self.assertTrue(record["traceparent"]["valid"], record)  # attached in on_send
        send = wait_for(lambda: spans_of("kcat-p", "send k1"))
        self.assertEqual(len(send), 1)
        self.assertEqual(send[0]["kind"], 4)
        self.assertEqual(send[0]["scope"]["name"], "kafkatrace.plugin")
        self.assertEqual(send[0]["scope"]["schemaUrl"], "https://opentelemetry.io/schemas/1.44.0")
        self.assertEqual(send[0]["traceId"], record["traceparent"]["trace_id"])
        self.assertEqual(send[0]["spanId"], record["traceparent"]["parent_span_id"])
        attributes = {a["key"]: a["value"] for a in send[0]["attributes"]}
        self.assertEqual(attributes["messaging.kafka.offset"]["intValue"], str(record["offset"]))

        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k1", "-C", "-o", "beginning", "-c", "1", "-e",
                        *self.plugin_args("kcat-c")], capture_output=True, check=True, timeout=30)
        process = wait_for(lambda: spans_of("kcat-c", "process k1"))
        self.assertEqual(process[0]["traceId"], send[0]["traceId"])
        self.assertEqual(process[0]["parentSpanId"], send[0]["spanId"])
        self.assertEqual(process[0]["kind"], 5)
        # Both name the one broker, as librdkafka knows it.
        process_attributes = {a["key"]: a["value"] for a in process[0]["attributes"]}
        self.assertTrue(attributes["server.address"]["stringValue"])
        self.assertGreater(int(attributes["server.port"]["intValue"]), 0)
        for key in ("server.address", "server.port"):
            self.assertEqual(process_attributes[key], attributes[key])

    def test_kcat_exports_messaging_metrics_when_asked(self):
        metrics = ["-X", "kafkatrace.metrics=otlp"]
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k7", "-P", *self.plugin_args("kcat-mp"), *metrics],
                       input="a\nb\nc\n", text=True, check=True, timeout=30)
        # Exported at the client's exit, long before the 60 s interval.
        sent = wait_for(lambda: metric_points("kcat-mp", "messaging.client.sent.messages"))
        self.assertEqual(len(sent), 1, sent)
        attributes, point = sent[0]
        self.assertEqual(point["asInt"], "3")
        self.assertEqual(attributes["messaging.destination.name"], "k7")
        self.assertEqual(attributes["messaging.operation.name"], "send")
        self.assertEqual(attributes["messaging.destination.partition.id"], "0")
        # The broker the send spans name (the metrics once named a freed string).
        send = wait_for(lambda: spans_of("kcat-mp", "send k7"))
        span_attributes = {a["key"]: a["value"] for a in send[0]["attributes"]}
        self.assertEqual(attributes["server.address"], span_attributes["server.address"]["stringValue"])
        self.assertEqual(attributes["server.port"], span_attributes["server.port"]["intValue"])
        durations = metric_points("kcat-mp", "messaging.client.operation.duration")
        self.assertEqual(sum(int(p["count"]) for _, p in durations), 3)
        self.assertEqual(len(durations[0][1]["bucketCounts"]), 15)

        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k7", "-C", "-o", "beginning", "-c", "3", "-e",
                        *self.plugin_args("kcat-mc"), *metrics], capture_output=True, check=True, timeout=30)
        consumed = wait_for(lambda: metric_points("kcat-mc", "messaging.client.consumed.messages"))
        self.assertEqual(sum(int(p["asInt"]) for _, p in consumed), 3)
        # Without kafkatrace.metrics (nor OTEL_METRICS_EXPORTER), nothing is measured.
        self.assertEqual(metric_points("kcat-p", "messaging.client.sent.messages"), [])

    def test_existing_traceparent_is_continued_and_replaced(self):
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k2", "-P", "-H", "traceparent=" + TRACEPARENT,
                        "-H", "TraceParent=" + TRACEPARENT, *self.plugin_args("kcat-h")],
                       input="with header\n", text=True, check=True, timeout=30)
        record = self.consume_json("k2", 1)[0]
        names = [h["key"].lower() for h in record["headers"]]
        self.assertEqual(names.count("traceparent"), 1)
        send = wait_for(lambda: spans_of("kcat-h", "send k2"))
        # Two incoming traceparents: W3C says restart, so the send span starts a new trace.
        self.assertNotEqual(send[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(record["traceparent"]["parent_span_id"], send[0]["spanId"])

    def test_kcat_exports_over_grpc_to_the_viewer(self):
        view = subprocess.Popen([KAFKATRACE, "view", "--otlp", "127.0.0.1:0", "--ui", "127.0.0.1:0",
                                 "--otlp-grpc", "127.0.0.1:0", "--db", os.path.join(tempfile.mkdtemp(), "s.db")],
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            view.stdout.readline()  # OTLP/HTTP
            ui = view.stdout.readline().split()[-1]
            grpc_address = view.stdout.readline().split()[-1]
            subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k6", "-P", "-X", "plugin.library.paths=" + PLUGIN,
                            "-X", "kafkatrace.service.name=kcat-grpc", "-X", "kafkatrace.otlp.protocol=grpc",
                            "-X", "kafkatrace.otlp.endpoint=http://" + grpc_address],
                           input="over grpc\n", text=True, check=True, timeout=30)

            def traces():
                with urllib.request.urlopen(ui + "api/traces?service=kcat-grpc", timeout=10) as r:
                    return json.loads(r.read())
            found = wait_for(traces)
            self.assertEqual(len(found), 1)
            record = self.consume_json("k6", 1)[0]
            self.assertEqual(found[0]["trace_id"], record["traceparent"]["trace_id"])

            # kafkatrace.otlp.protocol=grpc with the receiver named by OTEL_EXPORTER_OTLP_ENDPOINT:
            # the gRPC rules apply to that base URL (no /v1/traces or /v1/metrics appended), for
            # spans and metrics alike.
            subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k6", "-P", "-X", "plugin.library.paths=" + PLUGIN,
                            "-X", "kafkatrace.service.name=kcat-grpc-env", "-X", "kafkatrace.otlp.protocol=grpc",
                            "-X", "kafkatrace.metrics=otlp"],
                           input="over grpc, from the environment\n", text=True, check=True, timeout=30,
                           env={**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://" + grpc_address})

            def env_traces():
                with urllib.request.urlopen(ui + "api/traces?service=kcat-grpc-env", timeout=10) as r:
                    return json.loads(r.read())

            def sent_messages():
                with urllib.request.urlopen(ui + "api/metrics", timeout=10) as r:
                    return [m for m in json.loads(r.read())["series"]
                            if m["service"] == "kcat-grpc-env" and m["name"] == "messaging.client.sent.messages"]
            self.assertEqual(len(wait_for(env_traces)), 1)
            self.assertEqual(len(wait_for(sent_messages)), 1)
        finally:
            view.terminate()
            view.wait(timeout=10)

    def test_python_confluent_kafka_producer_continued_by_kafkatrace(self):
        from confluent_kafka import Producer
        producer = Producer(self.plugin_conf("python-p"))
        producer.produce("py1", value=b"from python", headers=[("traceparent", TRACEPARENT)])
        producer.flush(10)
        del producer
        record = self.consume_json("py1", 1)[0]
        self.assertEqual(record["traceparent"]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736")
        send = wait_for(lambda: spans_of("python-p", "send py1"))
        self.assertEqual(send[0]["traceId"], "4bf92f3577b34da6a3ce929d0e0e4736")
        self.assertEqual(send[0]["parentSpanId"], "00f067aa0ba902b7")
        self.assertEqual(record["traceparent"]["parent_span_id"], send[0]["spanId"])

    def test_python_consumer_continues_a_kafkatrace_producer(self):
        from confluent_kafka import Consumer
        out = subprocess.run([KAFKATRACE, "produce", "-b", self.bootstrap, "-t", "py2", "hi python"],
                             capture_output=True, text=True, check=True, timeout=30).stdout
        trace_id = out.split()[-1]
        conf = self.plugin_conf("python-c")
        conf.update({"group.id": "py", "auto.offset.reset": "earliest"})
        consumer = Consumer(conf)
        consumer.subscribe(["py2"])
        message = None
        for _ in range(100):
            message = consumer.poll(0.2)
            if message is not None and not message.error():
                break
        self.assertIsNotNone(message)
        consumer.commit(asynchronous=False)
        consumer.close()
        del consumer
        process = wait_for(lambda: spans_of("python-c", "process py2"))
        self.assertEqual(process[0]["traceId"], trace_id)
        commits = wait_for(lambda: spans_of("python-c", "commit py2"))
        self.assertGreaterEqual(len(commits), 1)
        # The cluster's id, from librdkafka's metadata (the embedded broker is
        # librdkafka's mock cluster). This consumer joined its group before its
        # first record, so its metadata had the id by then. (A fresh client's
        # very first record may go without it: librdkafka publishes a topic's
        # leaders before the cluster id of the same metadata response.)
        for span in (process[0], commits[0]):
            attributes = {a["key"]: a["value"] for a in span["attributes"]}
            self.assertTrue(attributes["messaging.kafka.cluster.id"]["stringValue"]
                            .startswith("mockCluster"), attributes)

    def test_unreachable_exporter_never_blocks_the_client(self):
        start = time.time()
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k3", "-P", "-X", "plugin.library.paths=" + PLUGIN,
                        "-X", "kafkatrace.otlp.endpoint=http://127.0.0.1:1/v1/traces",
                        "-X", "kafkatrace.flush.timeout.ms=1000"],
                       input="x\n" * 100, text=True, check=True, timeout=60, capture_output=True)
        # The flush timeout bounds the exit (1 s here; kcat alone takes about 0.1 s), although the
        # exporter's own timeout (10 s) would let it retry the unreachable receiver for longer.
        self.assertLess(time.time() - start, 4)
        self.assertEqual(len(self.consume_json("k3", 100)), 100)

    def test_malformed_headers_and_client_churn(self):
        from confluent_kafka import Consumer, Producer
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k4", "-P", "-H", "traceparent=garbage",
                        "-H", "tracestate=,,,=", "-H", "baggage=%%%"], input="bad\n", text=True,
                       check=True, timeout=30)
        conf = self.plugin_conf("churn")
        for i in range(30):  # created and destroyed in a loop: no crash, no hang
            p = Producer(conf)
            p.produce("k4", value=b"churn %d" % i)
            p.flush(5)
            del p
        c = Consumer(dict(conf, **{"group.id": "churn", "auto.offset.reset": "earliest"}))
        c.subscribe(["k4"])
        seen = 0
        for _ in range(200):
            m = c.poll(0.1)
            if m is not None and not m.error():
                seen += 1
            if seen == 31:
                break
        c.close()
        self.assertEqual(seen, 31)
        process = wait_for(lambda: len(spans_of("churn", "process k4")) >= 31 and spans_of("churn", "process k4"))
        bad = [s for s in process if not s.get("parentSpanId")]
        self.assertGreaterEqual(len(bad), 1)  # the malformed record started a new trace

    def test_a_client_with_its_own_copy_of_librdkafka_is_refused(self):
        # A pip wheel bundles librdkafka under another soname; the plugin, linked against the
        # system's, would call that build's functions on the wheel's objects. Simulated with a
        # copy of the system library whose soname is changed (same length), loaded RTLD_LOCAL.
        script = """
import ctypes, os, sys, tempfile
plugin, system = sys.argv[1], os.path.realpath(sys.argv[2])
copy = os.path.join(tempfile.mkdtemp(), "librdkafka-bundled.so.1")
with open(system, "rb") as f, open(copy, "wb") as out:
    out.write(f.read().replace(b"librdkafka.so.1\\0", b"librdkafkb.so.1\\0"))
for path in (copy, system):
    lib = ctypes.CDLL(path)
    lib.rd_kafka_conf_new.restype = ctypes.c_void_p
    lib.rd_kafka_conf_set.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p,
                                      ctypes.c_size_t]
    error = ctypes.create_string_buffer(1024)
    status = lib.rd_kafka_conf_set(lib.rd_kafka_conf_new(), b"plugin.library.paths", plugin.encode(), error, 1024)
    print(status, error.value.decode())
"""
        result = subprocess.run([sys.executable, "-c", script, PLUGIN, "/usr/lib/x86_64-linux-gnu/librdkafka.so.1"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 0, result.stderr)
        bundled, shared = result.stdout.splitlines()
        self.assertTrue(bundled.startswith("-1 kafkatrace plugin: this client runs its own copy of librdkafka (in "),
                        bundled)
        self.assertIn("librdkafka-bundled.so.1), not ", bundled)
        self.assertEqual(shared.strip(), "0")  # the system's own: loaded as always

    def test_bad_plugin_properties_are_configuration_errors(self):
        result = subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k5", "-P", "-X",
                                 "plugin.library.paths=" + PLUGIN, "-X", "kafkatrace.nope=1"],
                                input="", text=True, capture_output=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("kafkatrace.nope", result.stderr)
        self.assertIn("unknown property", result.stderr)
        result = subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k5", "-P", "-X",
                                 "plugin.library.paths=" + PLUGIN, "-X", "kafkatrace.context.policy=maybe"],
                                input="", text=True, capture_output=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("expected parent, link or new-trace", result.stderr)
        result = subprocess.run(["kcat", "-b", self.bootstrap, "-t", "k5", "-P", "-X",
                                 "plugin.library.paths=" + PLUGIN, "-X", "kafkatrace.metrics=prometheus"],
                                input="", text=True, capture_output=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("kafkatrace.metrics=\"prometheus\": expected otlp or none", result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
