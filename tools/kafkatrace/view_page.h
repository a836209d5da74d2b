// The web page `kafkatrace view` serves: offline (no CDN), and every value from
// a span is inserted with textContent, never as markup, because record keys and
// headers end up in attributes and are attacker-controlled.
#pragma once

namespace kafkatrace::cli {

inline constexpr const char* kViewPage = R"HTML(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>kafkatrace view</title>
<style>
body{font:14px system-ui,sans-serif;margin:0;color:#222}header{background:#1d3557;color:#fff;padding:10px 16px}
main{display:flex;gap:16px;padding:16px}#list{width:38%}#detail{flex:1}
table{border-collapse:collapse;width:100%}td,th{padding:4px 6px;border-bottom:1px solid #eee;text-align:left}
tr.trace{cursor:pointer}tr.trace:hover{background:#f1f5fb}.bar{background:#457b9d;height:12px;border-radius:2px}
.err{color:#c1121f}.diag{background:#fff3cd;padding:8px;margin:8px 0;border-radius:4px}input{width:8em}
#waterfall{table-layout:fixed}#waterfall td:nth-child(1){width:22%}#waterfall td:nth-child(2){width:38%}
#waterfall td:nth-child(3){width:8%}#waterfall td:nth-child(4){font-size:11px;word-break:break-all;color:#555}
main{min-width:0}#detail{min-width:0}
</style></head><body>
<header><b>kafkatrace view</b> &mdash; where did the time go?</header>
<main><section id="list">
<form id="search">service <input name="service"> span <input name="name"> topic <input name="topic">
min ms <input name="min_duration_ms" type="number" min="0"> last minutes <input name="since_minutes" type="number" min="1">
<button>search</button></form>
<h4>Topics: produce-to-consume latency</h4>
<table id="topics"><thead><tr><th>topic</th><th>group</th><th>hops</th><th>p50</th><th>p95</th><th>p99</th><th>lag</th></tr></thead><tbody></tbody></table>
<h4>Traces</h4>
<table id="traces"><thead><tr><th>trace</th><th>root</th><th>duration</th><th>spans</th></tr></thead><tbody></tbody></table>
</section><section id="detail"><p>Select a trace.</p></section></main>
<script>
const ms = ns => (ns / 1e6).toFixed(ns >= 1e10 ? 0 : 2) + ' ms';
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
async function search(ev) {
  if (ev) ev.preventDefault();
  const params = new URLSearchParams(new FormData(document.getElementById('search')));
  for (const [k, v] of [...params]) if (!v) params.delete(k);
  if (params.has('since_minutes')) {  // time range: the last N minutes
    params.set('start_ns', String(BigInt(Date.now() - 60000 * Number(params.get('since_minutes'))) * 1000000n));
    params.delete('since_minutes');
  }
  const traces = await (await fetch('/api/traces?' + params)).json();
  const body = document.querySelector('#traces tbody'); body.replaceChildren();
  for (const t of traces) {
    const row = el('tr', undefined, 'trace'); row.dataset.trace = t.trace_id;
    row.append(el('td', t.trace_id.slice(0, 8)), el('td', t.root_service + ': ' + t.root_name),
               el('td', ms(t.duration_nano), t.error_count ? 'err' : ''), el('td', String(t.span_count)));
    row.onclick = () => show(t.trace_id); body.append(row);
  }
  if (traces.length === 0) {  // say why, and on day one how to send spans here
    const cell = el('td', [...params].length ? 'No trace matches.' : 'No traces yet.', 'empty'); cell.colSpan = 4;
    if (![...params].length) {
      const r = await (await fetch('/api/receivers')).json();
      cell.append(el('br'), 'Send spans over OTLP/HTTP: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=' + r.otlp_http);
      if (r.otlp_grpc) cell.append(el('br'), 'or OTLP/gRPC: OTEL_EXPORTER_OTLP_PROTOCOL=grpc OTEL_EXPORTER_OTLP_ENDPOINT=' + r.otlp_grpc);
    }
    const row = el('tr'); row.append(cell); body.append(row);
  }
}
async function show(id) {
  const trace = await (await fetch('/api/traces/' + id)).json();
  const detail = document.getElementById('detail'); detail.replaceChildren(el('h3', 'trace ' + id));
  for (const h of trace.hops) {
    if (h.diagnosis) detail.append(el('div', h.diagnosis, 'diag'));
  }
  const hops = el('table'); hops.id = 'hops';
  hops.append(Object.assign(el('tr'), {}));
  hops.firstChild.append(el('th', 'topic'), el('th', 'publish'), el('th', 'waiting in topic'), el('th', 'processing'));
  for (const h of trace.hops) {
    const topic = el('td', h.topic);
    if (h.linked && h.send_trace_id !== id) {  // the send span is in the producer's own trace
      const a = el('a', ' (sent in ' + h.send_trace_id.slice(0, 8) + ')'); a.href = '#';
      a.onclick = e => { e.preventDefault(); show(h.send_trace_id); }; topic.append(a);
    }
    const r = el('tr'); r.append(topic, el('td', ms(h.publish_nano)), el('td', ms(h.wait_nano)), el('td', ms(h.process_nano))); hops.append(r);
  }
  detail.append(el('h4', 'Kafka hops'), hops, el('h4', 'Waterfall'));
  const spans = trace.spans, t0 = Math.min(...spans.map(s => s.start_unix_nano));
  const total = Math.max(1, Math.max(...spans.map(s => s.end_unix_nano)) - t0);
  const depth = {}; const byId = Object.fromEntries(spans.map(s => [s.span_id, s]));
  const level = s => depth[s.span_id] ?? (depth[s.span_id] = byId[s.parent_span_id] ? level(byId[s.parent_span_id]) + 1 : 0);
  const table = el('table'); table.id = 'waterfall';
  for (const s of spans) {
    const r = el('tr'); r.dataset.span = s.span_id;
    const name = el('td', '\u00a0'.repeat(2 * level(s)) + s.service + ': ' + s.name, s.status_code === 2 ? 'err' : '');
    const cell = el('td'); const bar = el('div', undefined, 'bar');
    bar.style.marginLeft = (100 * (s.start_unix_nano - t0) / total) + '%';
    bar.style.width = Math.max(0.3, 100 * (s.end_unix_nano - s.start_unix_nano) / total) + '%';
    cell.append(bar); r.append(name, cell, el('td', ms(s.end_unix_nano - s.start_unix_nano)));
    const attrs = el('td'); attrs.append(el('code', JSON.stringify(s.attributes)));
    for (const e of s.events) attrs.append(el('div', 'event ' + e.name + ' ' + JSON.stringify(e.attributes), 'event'));
    for (const l of s.links) { const a = el('a', ' link\u2192' + l.trace_id.slice(0, 8)); a.href = '#'; a.onclick = e => { e.preventDefault(); show(l.trace_id); }; attrs.append(a); }
    r.append(attrs); table.append(r);
  }
  detail.append(table);
}
async function topics() {
  const rows = await (await fetch('/api/topics')).json();
  const body = document.querySelector('#topics tbody'); body.replaceChildren();
  for (const t of rows) {
    const r = el('tr'); r.append(el('td', t.topic), el('td', t.consumer_group), el('td', String(t.hops)),
      el('td', ms(t.p50_nano)), el('td', ms(t.p95_nano)), el('td', ms(t.p99_nano)),
      el('td', t.lag == null ? (t.lag_error ? '?' : '\u2014') : t.lag + ' records'));
    if (t.lag_error) r.lastChild.title = t.lag_error;
    body.append(r);
  }
}
document.getElementById('search').onsubmit = search; search(); topics();
setInterval(topics, 10000);  // latencies and lag move while you look
</script></body></html>
)HTML";

}  // namespace kafkatrace::cli
