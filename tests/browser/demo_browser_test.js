// Real-browser test of the "ask" demo: ask a question (with markup) on the ask page, see the
// answer on the live board as text, and follow the pages' link to its trace, including the
// board's time-to-glass span, in the viewer. The ask page's controls make the worker busy and
// take the broker down (the api then answers 503 with a reason, and recovers). Also: bad
// questions get a 400 with a reason, and Ctrl-C leaves no process behind. Saves screenshots/demo-{ask,board,viewer}.png.
// Usage: node demo_browser_test.js <build-dir>
const { chromium } = require('playwright-core');
const { spawn, execSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');

const build = path.resolve(process.argv[2] || 'build');
const kafkatrace = path.join(build, 'tools', 'kafkatrace', 'kafkatrace');
const shots = path.join(__dirname, 'screenshots');
const check = (c, m) => { if (!c) throw new Error(m); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

(async () => {
  const db = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'kafkatrace-demo-')), 'demo.db');
  const demo = spawn(kafkatrace, ['demo', '--api-port', '0', '--board-port', '0', '--db', db],
                     { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: demo.stdout })[Symbol.asyncIterator]();
  const url = async () => (await lines.next()).value.split(/\s+/).pop();
  const ask = await url(), board = await url(), viewer = await url();
  let browser;
  try {
    // Bad input first: a clear 400, and the api keeps serving.
    for (const [question, reason] of [['   ', 'empty'], ['x'.repeat(501), 'longer than 500']]) {
      const r = await fetch(ask + 'api/questions', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                                    body: JSON.stringify({ question }) });
      check(r.status === 400 && (await r.json()).error.includes(reason), `bad question "${reason}" got ${r.status}`);
    }
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
    const boardPage = await browser.newPage();
    await boardPage.goto(board);
    await sleep(500);  // let the board's event stream connect before the answer is pushed
    const askPage = await browser.newPage();
    await askPage.goto(ask);
    const question = 'Is <b>this</b> bold? ' + Date.now();
    await askPage.fill('#question', question);
    await askPage.locator('#ask button').first().click();
    await askPage.locator('#status', { hasText: 'Asked (trace' }).waitFor({ timeout: 20000 });
    const traceId = (await askPage.locator('#status').textContent()).match(/trace ([0-9a-f]{32})/)[1];
    // The ask page links the question to the board and to its trace in the viewer.
    check((await askPage.locator('#status a', { hasText: 'Watch the board' }).getAttribute('href')) === board,
          'no link to the board');
    const traceLink = await askPage.locator('#status a', { hasText: 'see where the time went' }).getAttribute('href');
    check(traceLink === `${viewer}#trace=${traceId}`, `trace link ${traceLink}`);
    fs.mkdirSync(shots, { recursive: true });
    await askPage.screenshot({ path: path.join(shots, 'demo-ask.png') });

    const item = boardPage.locator('li', { hasText: question });
    await item.waitFor({ timeout: 60000 });
    check((await item.locator('b').count()) === 0, 'the question\'s markup was rendered as HTML');
    check((await item.textContent()).includes(traceId), 'the board shows the trace id');
    check((await item.locator('a').getAttribute('href')) === traceLink, 'the board does not link the trace');
    await boardPage.screenshot({ path: path.join(shots, 'demo-board.png') });

    let spans = [];
    for (let i = 0; i < 100 && !spans.some((s) => s.name === 'time to glass'); i++) {
      const r = await fetch(`${viewer}api/traces/${traceId}`);
      if (r.ok) spans = (await r.json()).spans;
      await sleep(200);
    }
    const names = spans.map((s) => `${s.service}: ${s.name}`);
    for (const want of ['api: POST /api/questions', 'api: send questions', 'worker: process questions',
                        'worker: send answers', 'board: process answers', 'board: time to glass']) {
      check(names.includes(want), `trace lacks "${want}": ${names.join(', ')}`);
    }
    // Outage: the api answers 503 with a reason, then recovers; accepted questions are not lost.
    const post = (question) => fetch(ask + 'api/questions', { method: 'POST',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ question }) });
    // Three at once: three traces, three answers.
    await askPage.fill('#question', 'Three at once');
    await askPage.click('#ask3');
    await askPage.locator('#status div', { hasText: 'Asked (trace' }).nth(2).waitFor({ timeout: 20000 });
    const three = await askPage.locator('#status div').allTextContents();
    check(new Set(three.map((l) => l.match(/trace ([0-9a-f]{32})/)[1])).size === 3, `three asks: ${three}`);
    for (const i of [1, 2, 3])
      await boardPage.locator('li', { hasText: `Three at once (${i} of 3)` }).waitFor({ timeout: 60000 });
    // The ask page's controls drive the api: a busy worker, then the outage.
    const state = async (what) => (await fetch(ask + 'api/' + what)).json();
    await askPage.fill('#delay', '1234');
    await askPage.check('#busy');
    await sleep(300);
    let busy = await state('busy');
    check(busy.busy === true && busy.delay_ms === 1234, `busy control: ${JSON.stringify(busy)}`);
    await askPage.fill('#delay', '-5');
    await askPage.locator('#delay').dispatchEvent('change');
    await askPage.locator('#control-status', { hasText: 'delay_ms must be' }).waitFor({ timeout: 5000 });
    await askPage.uncheck('#busy');
    await sleep(300);
    check((await state('busy')).busy === false, 'the worker stayed busy');
    await askPage.check('#down');
    await sleep(300);
    check((await state('broker')).up === false, 'the broker control did not take it down');
    const down = await post('asked during the outage');
    check(down.status === 503 && (await down.json()).error.includes('Kafka is unavailable'),
          `outage answer ${down.status}`);
    await askPage.uncheck('#down');
    await sleep(300);
    check((await state('broker')).up === true, 'the broker control did not bring it back');
    // Each try asks its own question: a try answered with an error while the
    // client reconnects may still be delivered later (at least once), and must
    // not be mistaken for the accepted one on the board.
    let accepted = null;
    let acceptedQuestion = null;
    for (let i = 0; i < 30 && !accepted; i++) {
      const question = `asked after the outage (try ${i})`;
      const r = await post(question);
      if (r.status === 202) {
        accepted = await r.json();
        acceptedQuestion = question;
      } else {
        await sleep(1000);
      }
    }
    check(accepted, 'the api did not recover after the broker came back');
    await boardPage.locator('li', { hasText: acceptedQuestion }).waitFor({ timeout: 60000 });
    const viewerPage = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await viewerPage.goto(traceLink);  // the link the pages give opens the trace
    await viewerPage.locator('#waterfall', { hasText: 'time to glass' }).waitFor({ timeout: 10000 });
    check((await viewerPage.locator('#detail h3').textContent()) === 'trace ' + traceId, 'the link opened another trace');
    await viewerPage.screenshot({ path: path.join(shots, 'demo-viewer.png'), fullPage: true });
    console.log(`demo browser test: trace ${traceId} has ${spans.length} spans, click to glass`);
  } finally {
    if (browser) await browser.close();
    demo.kill('SIGINT');
    const code = await new Promise((r) => demo.on('exit', (c) => r(c)));
    check(code === 0, `demo exited with ${code}`);
    const left = execSync('ps -eo pid,args').toString().split('\n').filter((l) => l.includes(db));
    check(left.length === 0, `processes left behind: ${left.join('; ')}`);
  }
})().catch((e) => { console.error('FAILED:', e.message); process.exit(1); });
