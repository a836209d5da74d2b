#!/usr/bin/env python3
"""`kafkatrace view` and `kafkatrace trace` end to end: OTLP in from traced CLI runs, the JSON
API, the Kafka hop split, bad input, and durability across SIGKILL.

Usage: viewer_test.py <build-dir>
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

BUILD = os.path.abspath(sys.argv.pop(1) if len(sys.argv) > 1 else "build")
KAFKATRACE = os.path.join(BUILD, "tools", "kafkatrace", "kafkatrace")
PLUGIN = os.path.join(BUILD, "src", "libkafkatrace_plugin.so")


def start_view(db, *extra):
    view = subprocess.Popen([KAFKATRACE, "view", "--otlp", "127.0.0.1:0", "--ui", "127.0.0.1:0", "--db", db, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    otlp = view.stdout.readline().split()[-1]
    ui = view.stdout.readline().split()[-1]
    return view, otlp, ui


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def post(url, body, content_type, headers=None):
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}, **{"Content-Type": content_type}),
                                     method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class ViewerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp()
        cls.db = os.path.join(cls.dir, "spans.db")
        cls.view, cls.otlp, cls.ui = start_view(cls.db)
        cls.broker = subprocess.Popen([KAFKATRACE, "broker", "--port", "0", "--topic", "questions:1",
                                       "--topic", "linked:1", "--topic", "lagging:1", "--topic", "committed:1",
                                       "--topic", "metered:1"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        cls.bootstrap = cls.broker.stdout.readline().strip()

    @classmethod
    def tearDownClass(cls):
        for p in (cls.view, cls.broker):
            p.terminate()
            p.wait(timeout=10)

    def traced(self, *args, **kwargs):
        env = dict(os.environ, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=self.otlp, OTEL_SERVICE_NAME=kwargs.pop("service"))
        return subprocess.run([KAFKATRACE, *args], env=env, capture_output=True, text=True, timeout=60, check=True)

    def wait_for_trace(self, trace_id, spans):
        for _ in range(100):
            status, body = get(self.ui + "api/traces/" + trace_id)
            if status == 200 and len(body["spans"]) >= spans:
                return body
            time.sleep(0.1)
        self.fail("trace %s never had %d spans" % (trace_id, spans))

    def test_a_kafka_hop_is_split_into_publish_wait_and_process(self):
        out = self.traced("produce", "-b", self.bootstrap, "-t", "questions", "-k", "<script>alert(1)</script>",
                          "why?", service="api").stdout
        trace_id = out.split()[-1]
        time.sleep(1.0)  # the record sits in the topic: the hop must show it
        self.traced("consume", "-b", self.bootstrap, "-t", "questions", "--from-beginning", "--count", "1",
                    service="worker")
        trace = self.wait_for_trace(trace_id, 3)
        names = sorted(s["name"] for s in trace["spans"])
        self.assertEqual(names, ["kafkatrace produce", "process questions", "send questions"])
        hop = trace["hops"][0]
        self.assertEqual(hop["topic"], "questions")
        send = next(s for s in trace["spans"] if s["name"] == "send questions")
        process = next(s for s in trace["spans"] if s["name"] == "process questions")
        self.assertEqual(hop["publish_nano"], send["end_unix_nano"] - send["start_unix_nano"])
        self.assertEqual(hop["wait_nano"], process["start_unix_nano"] - send["end_unix_nano"])
        self.assertGreaterEqual(hop["wait_nano"], 900_000_000)
        self.assertIn("waiting in topic questions: the consumer was busy", hop["diagnosis"])
        self.assertEqual(send["attributes"]["messaging.kafka.message.key"], "<script>alert(1)</script>")

        status, traces = get(self.ui + "api/traces?topic=questions")
        self.assertEqual(status, 200)
        self.assertIn(trace_id, [t["trace_id"] for t in traces])
        status, topics = get(self.ui + "api/topics")
        self.assertEqual(status, 200)
        questions = next(t for t in topics if t["topic"] == "questions")
        self.assertGreaterEqual(questions["hops"], 1)
        self.assertGreaterEqual(questions["p99_nano"], questions["p50_nano"])
        self.assertGreaterEqual(questions["p50_nano"], 900_000_000)
        status, services = get(self.ui + "api/services")
        self.assertIn("worker", services)

        text = subprocess.run([KAFKATRACE, "trace", trace_id, "--db", self.db], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("worker: process questions", text)
        self.assertRegex(text, r"hop questions: publish .*, waiting in topic \d")

    def test_messaging_metrics_reach_the_metrics_table(self):
        # As an SDK configured by its standard variables sends them: protobuf, to the base URL's /v1/metrics.
        env = dict(os.environ, OTEL_METRICS_EXPORTER="otlp", OTEL_SERVICE_NAME="metered-cli",
                   OTEL_EXPORTER_OTLP_ENDPOINT=self.otlp[:-len("/v1/traces")])
        run = lambda *args: subprocess.run([KAFKATRACE, *args], env=env, capture_output=True, text=True,
                                           timeout=60, check=True)
        run("produce", "-b", self.bootstrap, "-t", "metered", "one", "two", "three")
        run("consume", "-b", self.bootstrap, "-t", "metered", "--from-beginning", "--count", "3", "-g", "meters")
        status, metrics = get(self.ui + "api/metrics")
        self.assertEqual(status, 200)
        ours = [m for m in metrics["series"] if m["service"] == "metered-cli"
                and m["attributes"].get("messaging.destination.name") == "metered"]
        by_name = {}
        for m in ours:
            by_name.setdefault(m["name"], []).append(m)
        self.assertEqual(sum(m["value"] for m in by_name["messaging.client.sent.messages"]), 3)
        consumed = by_name["messaging.client.consumed.messages"]
        self.assertEqual(sum(m["value"] for m in consumed), 3)
        self.assertEqual(consumed[0]["attributes"]["messaging.consumer.group.name"], "meters")
        process = by_name["messaging.process.duration"]
        self.assertEqual(sum(m["count"] for m in process), 3)
        self.assertEqual(process[0]["kind"], "histogram")
        self.assertEqual(process[0]["unit"], "s")
        self.assertLessEqual(process[0]["p50"], process[0]["p99"])
        send = [m for m in by_name["messaging.client.operation.duration"]
                if m["attributes"]["messaging.operation.name"] == "send"]
        self.assertEqual(sum(m["count"] for m in send), 3)
        self.assertEqual(metrics["dropped_series"], 0)

        # Delta points add up: two runs of one service, each sending only its own interval.
        delta = dict(env, OTEL_SERVICE_NAME="delta-cli", OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="delta")
        for _ in range(2):
            subprocess.run([KAFKATRACE, "produce", "-b", self.bootstrap, "-t", "metered", "x", "y"], env=delta,
                           capture_output=True, text=True, timeout=60, check=True)
        status, metrics = get(self.ui + "api/metrics")
        sent = [m for m in metrics["series"]
                if m["service"] == "delta-cli" and m["name"] == "messaging.client.sent.messages"]
        self.assertEqual(sum(m["value"] for m in sent), 4)

    @unittest.skipIf(os.environ.get("KAFKATRACE_PLUGIN_SANITIZED"), "plugin.asan_in_kcat covers the plugin there")
    def test_a_record_consumed_into_a_new_trace_is_a_linked_hop(self):
        """kcat consuming through the plugin with the new-trace policy: the process span starts
        its own trace and links to the send span, which the hop finds in the producer's trace."""
        out = self.traced("produce", "-b", self.bootstrap, "-t", "linked", "fan-in", service="api").stdout
        producer_trace = out.split()[-1]
        self.wait_for_trace(producer_trace, 2)
        subprocess.run(["kcat", "-b", self.bootstrap, "-t", "linked", "-C", "-o", "beginning", "-c", "1", "-e",
                        "-X", "plugin.library.paths=" + PLUGIN, "-X", "kafkatrace.service.name=fan-in",
                        "-X", "kafkatrace.otlp.endpoint=" + self.otlp, "-X", "kafkatrace.context.policy=new-trace"],
                       capture_output=True, check=True, timeout=30)
        for _ in range(100):
            status, traces = get(self.ui + "api/traces?service=fan-in")
            if status == 200 and traces:
                break
            time.sleep(0.1)
        consumer_trace = traces[0]["trace_id"]
        self.assertNotEqual(consumer_trace, producer_trace)
        trace = self.wait_for_trace(consumer_trace, 1)
        self.assertEqual(len(trace["hops"]), 1, trace)
        hop = trace["hops"][0]
        self.assertTrue(hop["linked"])
        self.assertEqual(hop["send_trace_id"], producer_trace)
        self.assertEqual(hop["topic"], "linked")
        text = subprocess.run([KAFKATRACE, "trace", consumer_trace, "--db", self.db], capture_output=True, text=True,
                              check=True).stdout
        self.assertIn("hop linked (linked from trace %s)" % producer_trace, text)

    def test_the_cli_consumer_takes_a_context_policy(self):
        out = self.traced("produce", "-b", self.bootstrap, "-t", "linked", "for the cli", service="api").stdout
        producer_trace = out.split()[-1]
        self.wait_for_trace(producer_trace, 2)
        self.traced("consume", "-b", self.bootstrap, "-t", "linked", "--from-beginning", "--timeout-ms", "3000",
                    "--policy", "new-trace", service="cli-linker")
        linked_from = []
        for _ in range(100):
            status, traces = get(self.ui + "api/traces?service=cli-linker")
            hops = [h for t in traces for h in get(self.ui + "api/traces/" + t["trace_id"])[1]["hops"]]
            linked_from = [h["send_trace_id"] for h in hops if h["linked"]]
            if producer_trace in linked_from:
                break
            time.sleep(0.1)
        self.assertIn(producer_trace, linked_from)
        self.assertNotIn(producer_trace, [t["trace_id"] for t in traces])  # new traces, linked

    def test_with_brokers_the_topic_table_shows_each_groups_lag(self):
        view, otlp, ui = start_view(os.path.join(self.dir, "lag.db"), "--brokers", self.bootstrap)
        try:
            env = dict(os.environ, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=otlp, OTEL_SERVICE_NAME="lagger")
            run = lambda *args: subprocess.run([KAFKATRACE, *args], env=env, capture_output=True, text=True,
                                               timeout=60, check=True)
            run("produce", "-b", self.bootstrap, "-t", "lagging", "-c", "5", "record")
            # One consumer of group "slow" reads 2 of the 5 records and commits as it leaves.
            run("consume", "-b", self.bootstrap, "-t", "lagging", "-g", "slow", "--from-beginning", "--count", "2")
            row = None
            for _ in range(100):
                status, rows = get(ui + "api/topics")
                row = next((r for r in rows if r["topic"] == "lagging" and r["consumer_group"] == "slow"), None)
                if row is not None:
                    break
                time.sleep(0.1)
            self.assertIsNotNone(row)
            self.assertEqual(row["hops"], 2)
            self.assertEqual(row["lag"], 3)
            # The first view has no --brokers: no lag at all.
            status, rows = get(self.ui + "api/topics")
            self.assertTrue(all("lag" not in r for r in rows), rows)
        finally:
            view.terminate()
            view.wait(timeout=10)

    def test_bad_input_gets_4xx_with_a_reason_and_the_server_keeps_serving(self):
        status, body = post(self.otlp, b"\xff\xff\xff\xff garbage", "application/x-protobuf")
        self.assertEqual(status, 400)
        self.assertIn(b"malformed", body)
        status, body = post(self.otlp, b"{", "application/json")
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body), {"code": 3, "message": "body is not valid JSON"})  # google.rpc.Status
        # One invalid span is rejected alone (OTLP partial success); the valid one is stored.
        spans = [{"traceId": "0" * 32, "spanId": "1" * 16, "name": "zero trace id"},
                 {"traceId": "5" * 32, "spanId": "1" * 16, "name": "kept"}]
        request = {"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]}
        status, body = post(self.otlp, json.dumps(request).encode(), "application/json; charset=utf-8")
        self.assertEqual(status, 200)
        partial = json.loads(body)["partialSuccess"]
        self.assertEqual(partial["rejectedSpans"], "1")
        self.assertIn('"zero trace id"', partial["errorMessage"])
        self.assertEqual([s["name"] for s in self.wait_for_trace("5" * 32, 1)["spans"]], ["kept"])
        status, body = post(self.otlp, b"{}", "text/plain")
        self.assertEqual(status, 415)
        # An SDK sends metrics and logs to the same endpoint: metrics are kept, logs refused with how
        # to turn them off, and a malformed metrics body gets a reason.
        status, body = post(self.otlp.replace("/v1/traces", "/v1/metrics"), b"{}", "application/json")
        self.assertEqual(status, 200)
        status, body = post(self.otlp.replace("/v1/traces", "/v1/metrics"), b'{"resourceMetrics": 7}',
                            "application/json")
        self.assertEqual(status, 400)
        self.assertIn("resourceMetrics", json.loads(body)["message"])
        status, body = post(self.otlp.replace("/v1/traces", "/v1/logs"), b"{}", "application/json")
        self.assertEqual(status, 404)
        self.assertIn("OTEL_LOGS_EXPORTER=none", json.loads(body)["message"])
        status, body = post(self.otlp, b"x" * (17 << 20), "application/json")
        self.assertEqual(status, 413)
        self.assertEqual(json.loads(body)["message"], "the body is over 16 MiB")
        # Failures found before the decoder still say what went wrong.
        status, body = post(self.otlp, b"not gzip", "application/json", {"Content-Encoding": "gzip"})
        self.assertEqual(status, 400)
        self.assertIn("could not be read", json.loads(body)["message"])
        status, body = post(self.otlp, b"{}", "application/json", {"Content-Encoding": "zstd"})
        self.assertEqual(status, 415)
        self.assertEqual(json.loads(body)["message"], 'Content-Encoding "zstd" is not supported: use gzip or none')
        status, body = post(self.otlp.replace("/v1/traces", "/v1/metrics"), b"{}", "application/json",
                            {"Content-Encoding": "zstd"})
        self.assertEqual(status, 415)
        self.assertEqual(json.loads(body)["message"], 'Content-Encoding "zstd" is not supported: use gzip or none')
        status, body = post(self.otlp.replace("/v1/traces", "/v1/trace"), b"{}", "application/json")
        self.assertEqual(status, 404)
        self.assertIn("/v1/traces", json.loads(body)["message"])
        status, body = get(self.ui + "api/traces/not-a-trace")
        self.assertEqual(status, 400)
        status, body = get(self.ui + "api/traces?limit=abc")
        self.assertEqual(status, 400)
        status, body = get(self.ui + "api/traces?commits=maybe")
        self.assertEqual((status, body["error"]), (400, "commits must be show or hide"))
        status, body = get(self.ui + "api/traces/" + "0" * 32)
        self.assertEqual(status, 404)
        self.assertEqual(get(self.ui + "api/traces")[0], 200)  # still serving

    def test_a_consumers_commit_traces_can_be_hidden(self):
        self.traced("produce", "-b", self.bootstrap, "-t", "committed", "to commit", service="api")
        self.traced("consume", "-b", self.bootstrap, "-t", "committed", "--from-beginning", "--count", "1",
                    "-g", "committers", service="committer")
        commit_only = None
        for _ in range(100):
            status, traces = get(self.ui + "api/traces?service=committer&limit=1000")
            commit_only = [t["trace_id"] for t in traces if t["root_name"] == "commit committed"]
            if commit_only:
                break
            time.sleep(0.1)
        self.assertTrue(commit_only, "the consumer's commit made no trace of its own")
        status, hidden = get(self.ui + "api/traces?service=committer&limit=1000&commits=hide")
        self.assertEqual(status, 200)
        kept = [t["trace_id"] for t in hidden]
        self.assertFalse(set(commit_only) & set(kept), "commit-only traces were listed")
        self.assertTrue(kept, "the consumer's process traces went too")

    def test_gzip_and_search_by_name_and_time(self):
        import gzip
        span = {"traceId": "12" * 16, "spanId": "34" * 8, "name": "gzipped span", "kind": 1,
                "startTimeUnixNano": str(time.time_ns()), "endTimeUnixNano": str(time.time_ns() + 1000)}
        body = gzip.compress(json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode())
        request = urllib.request.Request(self.otlp, data=body, method="POST",
                                         headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=10) as r:
            self.assertEqual(r.status, 200)
        status, traces = get(self.ui + "api/traces?name=gzipped%20span")
        self.assertEqual([t["trace_id"] for t in traces], ["12" * 16])
        status, traces = get(self.ui + "api/traces?name=gzipped%20span&start_ns=" + str(time.time_ns() + 10**12))
        self.assertEqual(traces, [])

    def test_trace_escapes_names_for_the_terminal(self):
        # Service and span names are whatever a sender wrote: an OSC sequence
        # would retitle the terminal that prints them.
        span = {"traceId": "7e" * 16, "spanId": "cd" * 8, "name": "\x1b]0;pwned\x07 ok \u00e9t\u00e9",
                "kind": 1, "startTimeUnixNano": "1", "endTimeUnixNano": "2"}
        resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "svc\x1b[31m"}}]}
        body = json.dumps({"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]})
        self.assertEqual(post(self.otlp, body.encode(), "application/json")[0], 200)
        self.wait_for_trace("7e" * 16, 1)
        text = subprocess.run([KAFKATRACE, "trace", "7e" * 16, "--db", self.db], capture_output=True,
                              text=True, timeout=30, check=True).stdout
        self.assertNotIn("\x1b", text)
        self.assertNotIn("\x07", text)
        self.assertIn("svc\\x1b[31m: \\x1b]0;pwned\\x07 ok \u00e9t\u00e9", text)

    def test_acknowledged_spans_survive_sigkill(self):
        db = os.path.join(self.dir, "durable.db")
        view, otlp, ui = start_view(db)
        span = {"traceId": "ab" * 16, "spanId": "cd" * 8, "name": "durable", "kind": 1,
                "startTimeUnixNano": "1", "endTimeUnixNano": "2"}
        body = json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()
        status, _ = post(otlp, body, "application/json")
        self.assertEqual(status, 200)
        view.send_signal(signal.SIGKILL)
        view.wait()
        view, otlp, ui = start_view(db)
        try:
            status, trace = get(ui + "api/traces/" + "ab" * 16)
            self.assertEqual(status, 200)
            self.assertEqual(trace["spans"][0]["name"], "durable")
        finally:
            view.terminate()
            view.wait(timeout=10)

    def test_the_page_is_served_offline(self):
        with urllib.request.urlopen(self.ui, timeout=10) as r:
            page = r.read().decode()
        self.assertIn("kafkatrace view", page)
        self.assertNotIn("http://", page.replace("http://www.w3.org", ""))  # no CDN
        self.assertNotIn("innerHTML", page)  # values go in as text, never markup


if __name__ == "__main__":
    unittest.main(verbosity=2)
