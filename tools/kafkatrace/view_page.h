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
.err{color:#c1121f}.diag{background:#fff3cd;padding:8px;margin:8px 0;border-radius:4px}input{width:8em}input[type=checkbox]{width:auto}
#waterfall{table-layout:fixed}#waterfall tr.span td:nth-child(1){width:30%}#waterfall tr.span td:nth-child(3){width:10%;text-align:right}
tr.span{cursor:pointer}tr.span:hover{background:#f1f5fb}tr.span.open{background:#e8eef7}
.track{position:relative;height:12px}.track div{position:absolute;top:0;height:12px;border-radius:2px}
.track .bar{background:#8d99ae}.track .bar.publish{background:#457b9d}.track .bar.process{background:#2a9d8f}.track .wait,.split .wait{background:repeating-linear-gradient(45deg,#f4a261,#f4a261 3px,#fbd8b6 3px,#fbd8b6 6px)}
.split{display:flex;height:12px;min-width:120px;border-radius:2px;overflow:hidden}.split div{height:12px}
.split .publish,.key.publish{background:#457b9d}.split .process,.key.process{background:#2a9d8f}.key.wait{background:#f4a261}
.key{display:inline-block;width:10px;height:10px;margin:0 3px 0 10px;border-radius:2px}.legend{font-size:12px;color:#555}
tr.details td{background:#fafbfd;font-size:12px}tr.details table td{border:0;padding:1px 6px;vertical-align:top;word-break:break-all}
tr.details table td:first-child{color:#555;white-space:nowrap;width:1%}
main{min-width:0}#detail{min-width:0}
</style></head><body>
<header><b>kafkatrace view</b> &mdash; where did the time go?</header>
<main><section id="list">
<form id="search">service <input name="service"> span <input name="name"> topic <input name="topic">
min ms <input name="min_duration_ms" type="number" min="0"> last minutes <input name="since_minutes" type="number" min="1">
<label><input type="checkbox" id="hide-commits" checked> hide commit-only traces</label>
<button>search</button></form>
<h4>Topics: produce-to-consume latency</h4>
<table id="topics"><thead><tr><th>topic</th><th>group</th><th>hops</th><th>p50</th><th>p95</th><th>p99</th><th>lag</th></tr></thead><tbody></tbody></table>
<div id="metrics" hidden><h4>Messaging metrics (from clients exporting OTLP metrics)</h4>
<table><thead><tr><th>service</th><th>topic</th><th>partition</th><th>measure</th><th>count</th><th title="estimated from the histogram buckets">&asymp;p50</th><th title="estimated from the histogram buckets">&asymp;p99</th></tr></thead><tbody></tbody></table></div>
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
  const filtered = [...params].length > 0;
  // A consumer's automatic commits are traces of their own, every few seconds.
  if (document.getElementById('hide-commits').checked) params.set('commits', 'hide');
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
    row.onclick = () => openTrace(t.trace_id); body.append(row);
  }
  if (traces.length === 0) {  // say why, and on day one how to send spans here
    const hiding = params.has('commits') ? ' (commit-only traces are hidden: untick the box to see them)' : '';
    const cell = el('td', filtered ? 'No trace matches.' + hiding : 'No traces yet.', 'empty'); cell.colSpan = 4;
    if (!filtered) {
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
  hops.firstChild.append(el('th', 'topic'), el('th', 'publish'), el('th', 'waiting in topic'), el('th', 'processing'), el('th', 'split'));
  for (const h of trace.hops) {
    const topic = el('td', h.topic);
    if (h.linked && h.send_trace_id !== id) {  // the send span is in the producer's own trace
      const a = el('a', ' (sent in ' + h.send_trace_id.slice(0, 8) + ')'); a.href = '#';
      a.onclick = e => { e.preventDefault(); openTrace(h.send_trace_id); }; topic.append(a);
    }
    // The hop's three parts side by side, in proportion: which one took the time.
    const split = el('div', undefined, 'split'), sum = Math.max(1, h.publish_nano + h.wait_nano + h.process_nano);
    for (const [part, ns, what] of [['publish', h.publish_nano, 'publish'], ['wait', h.wait_nano, 'waiting in topic'],
                                    ['process', h.process_nano, 'processing']]) {
      const d = el('div', undefined, part); d.style.width = (100 * ns / sum) + '%'; d.title = what + ' ' + ms(ns); split.append(d);
    }
    const r = el('tr'); r.append(topic, el('td', ms(h.publish_nano)), el('td', ms(h.wait_nano)), el('td', ms(h.process_nano)));
    const cell = el('td'); cell.append(split); r.append(cell); hops.append(r);
  }
  const legend = el('div', undefined, 'legend');
  for (const [part, what] of [['publish', 'publish'], ['wait', 'waiting in topic'], ['process', 'processing']])
    legend.append(el('span', undefined, 'key ' + part), what);
  legend.append(' — click a span for its attributes');
  detail.append(el('h4', 'Kafka hops'), hops, el('h4', 'Waterfall'), legend);
  const spans = trace.spans, t0 = Math.min(...spans.map(s => s.start_unix_nano));
  const total = Math.max(1, Math.max(...spans.map(s => s.end_unix_nano)) - t0);
  const depth = {}; const byId = Object.fromEntries(spans.map(s => [s.span_id, s]));
  const level = s => depth[s.span_id] ?? (depth[s.span_id] = byId[s.parent_span_id] ? level(byId[s.parent_span_id]) + 1 : 0);
  const table = el('table'); table.id = 'waterfall';
  const pct = ns => (100 * ns / total) + '%';
  // A process span's wait in its topic, drawn before it: from its send span's end.
  const waitBefore = Object.fromEntries(trace.hops.filter(h => byId[h.send_span_id])
    .map(h => [h.process_span_id, [byId[h.send_span_id].end_unix_nano, h.topic]]));
  for (const s of spans) {
    const r = el('tr', undefined, 'span'); r.dataset.span = s.span_id;
    const name = el('td', '\u00a0'.repeat(2 * level(s)) + s.service + ': ' + s.name, s.status_code === 2 ? 'err' : '');
    const track = el('div', undefined, 'track'), cell = el('td');
    if (waitBefore[s.span_id]) {
      const [from, topic] = waitBefore[s.span_id], wait = el('div', undefined, 'wait');
      wait.style.left = pct(from - t0); wait.style.width = pct(Math.max(0, s.start_unix_nano - from));
      wait.title = 'waiting in topic ' + topic + ' ' + ms(Math.max(0, s.start_unix_nano - from)); track.append(wait);
    }
    // Send (PRODUCER) and process (CONSUMER) spans in the hop split's colours.
    const bar = el('div', undefined, 'bar' + (s.kind === 4 ? ' publish' : s.kind === 5 ? ' process' : ''));
    bar.style.left = pct(s.start_unix_nano - t0);
    bar.style.width = 'max(2px, ' + pct(s.end_unix_nano - s.start_unix_nano) + ')';
    track.append(bar); cell.append(track);
    r.append(name, cell, el('td', ms(s.end_unix_nano - s.start_unix_nano)));
    // Its attributes, events, links and status, one per line, built on the
    // first click (a trace may have thousands of spans).
    const details = el('tr', undefined, 'details'); details.hidden = true;
    const fill = () => {
      const box = el('td'); box.colSpan = 3; const kv = el('table'); box.append(kv); details.append(box);
      const line = (k, v) => {
        const value = el('td'); if (v instanceof Node) value.append(v); else value.textContent = v;
        const row = el('tr'); row.append(el('td', k), value); kv.append(row);
      };
      line('span', s.span_id + (s.parent_span_id ? ' (parent ' + s.parent_span_id + ')' : ' (root)') + ', ' + (s.scope || 'no scope'));
      if (s.status_code === 2) line('status', 'error' + (s.status_message ? ': ' + s.status_message : ''));
      for (const [k, v] of Object.entries(s.attributes)) line(k, typeof v === 'string' ? v : JSON.stringify(v));
      for (const e of s.events) line('event ' + e.name, JSON.stringify(e.attributes));
      for (const l of s.links) {
        const a = el('a', l.trace_id + ' / ' + l.span_id); a.href = '#'; a.onclick = e => { e.preventDefault(); openTrace(l.trace_id); };
        const span = el('span'); span.append(a, Object.keys(l.attributes).length ? ' ' + JSON.stringify(l.attributes) : ''); line('link', span);
      }
    };
    r.onclick = () => {
      if (!details.firstChild) fill();
      details.hidden = !details.hidden; r.classList.toggle('open', !details.hidden);
    };
    table.append(r, details);
  }
  detail.append(table);
}
async function topics() {
  const rows = await (await fetch('/api/topics')).json();
  const body = document.querySelector('#topics tbody'); body.replaceChildren();
  for (const t of rows) {
    const r = el('tr'); r.append(el('td', t.topic), el('td', t.consumer_group), el('td', String(t.hops)),
      el('td', ms(t.p50_nano)), el('td', ms(t.p95_nano)), el('td', ms(t.p99_nano)),
      el('td', t.lag == null ? (t.lag_error ? '?' : '\u2014') : t.lag + (t.lag === 1 ? ' record' : ' records')));
    if (t.lag_error) r.lastChild.title = t.lag_error;
    body.append(r);
  }
}
// The messaging metrics' latest values, one row per series: counts for the
// counters, count and quantiles (estimated from the buckets) for durations.
async function metrics() {
  const reply = await (await fetch('/api/metrics')).json();
  const rows = reply.series.filter(m => m.name.startsWith('messaging.'));
  const body = document.querySelector('#metrics tbody'); body.replaceChildren();
  const seconds = v => v == null ? '\u2014' : ms(v * 1e9);
  const measures = {'messaging.client.sent.messages': 'sent', 'messaging.client.consumed.messages': 'consumed',
                    'messaging.process.duration': 'process'};
  for (const m of rows) {
    const a = m.attributes;
    let measure = measures[m.name] || a['messaging.operation.name'] || m.name;
    if (a['error.type']) measure += ' (' + a['error.type'] + ')';
    const histogram = m.kind === 'histogram';
    const r = el('tr');
    r.append(el('td', m.service), el('td', a['messaging.destination.name'] || ''),
      el('td', a['messaging.destination.partition.id'] ?? ''), el('td', measure),
      el('td', String(histogram ? m.count : m.value)),
      el('td', histogram ? seconds(m.p50) : ''), el('td', histogram ? seconds(m.p99) : ''));
    if (a['error.type']) r.className = 'err';
    body.append(r);
  }
  document.getElementById('metrics').hidden = rows.length === 0;
}
// A trace can be linked to (#trace=<id>, as the demo's pages do) and the
// address bar always names the trace shown.
const linked = () => { const m = /^#trace=([0-9a-f]{32})$/.exec(location.hash); if (m) show(m[1]); };
function openTrace(id) { if (location.hash === '#trace=' + id) show(id); else location.hash = 'trace=' + id; }
window.onhashchange = linked;
document.getElementById('search').onsubmit = search; search(); topics(); metrics(); linked();
document.getElementById('hide-commits').onchange = () => search();
setInterval(() => { topics(); metrics(); }, 10000);  // they move while you look
</script></body></html>
)HTML";

}  // namespace kafkatrace::cli
