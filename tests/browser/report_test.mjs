// The report page of a training run (nn::report), as a person sees it, in headless Chromium driven
// through chromedriver: a short real run of `mnist train --report`, then the page it wrote opened
// from disk and as `mnist serve` links it. Each chart must have drawn marks (Chart.js's elements
// inside the plot area, and coloured pixels on its canvas); the confusion matrix's cells must sum
// to the test set's size (read from the IDX file) with the accuracy `mnist evaluate` prints on the
// diagonal; the per-class table must agree with the matrix; the wrong digits must be images with
// ink, most confident first; the page must request nothing but itself and log no error. Broken
// pages (empty, without the charting library, with corrupt or emptied data) must fail the same
// checks. Screenshots are saved in WORK_DIR.
//
//   node report_test.mjs MNIST DATA_DIR WORK_DIR
//
// Exit status: 0 passed, 1 failed, 77 skipped (Chromium or chromedriver missing; named).
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { gunzipSync } from "node:zlib";

import { Builder, By, logging, until } from "selenium-webdriver";
import chrome from "selenium-webdriver/chrome.js";

import { browser, check, failures, startServer } from "./common.mjs";

const [mnist, dataDir, workDir] = process.argv.slice(2);
if (!workDir) {
  console.error("usage: node report_test.mjs MNIST DATA_DIR WORK_DIR");
  process.exit(2);
}
const { chromium, chromedriver } = browser();
rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });


// Runs the tool; its stdout, or an exception with everything it printed.
function tool(...args) {
  const r = spawnSync(mnist, args, { encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`mnist ${args.join(" ")} exited with ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}
const figure = (out, name) => {
  const m = out.match(new RegExp(`^${name}: (.*)$`, "m"));
  if (!m) throw new Error(`no '${name}:' line in:\n${out}`);
  return m[1];
};

// The test split's size, from its labels file's IDX header (raw or .gz).
function testSize() {
  for (const name of ["t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"]) {
    for (const [suffix, read] of [["", b => b], [".gz", b => gunzipSync(b)]]) {
      const path = `${dataDir}/${name}${suffix}`;
      if (existsSync(path)) return read(readFileSync(path)).readUInt32BE(4);
    }
  }
  throw new Error(`no test labels file in ${dataDir}`);
}

// Everything the page drew, read from the browser: Chart.js's charts and their elements, the
// coloured pixels of each canvas, the confusion matrix's cells, the per-class table, the wrong
// digits and their ink.
const inspect = `
  const out = { rendered: document.body ? document.body.dataset.rendered || null : null, charts: [], cells: null,
                perClass: [], mistakes: [], cards: {}, hasChartJs: typeof Chart !== "undefined" };
  for (const card of document.querySelectorAll("#results .card"))
    out.cards[card.dataset.name] = card.querySelector(".value").textContent;
  for (const canvas of document.querySelectorAll("canvas")) {
    const chart = out.hasChartJs ? Chart.getChart(canvas) : undefined;
    const entry = { id: canvas.id, chart: !!chart, datasets: [], coloured: 0 };
    if (chart) {
      const area = chart.chartArea;
      entry.type = chart.config.type;
      chart.data.datasets.forEach((ds, i) => {
        const inside = chart.getDatasetMeta(i).data.filter(el => {
          const p = el.getProps(["x", "y"], true);
          return Number.isFinite(p.x) && Number.isFinite(p.y) && p.x >= area.left - 1 && p.x <= area.right + 1 &&
                 p.y >= area.top - 1 && p.y <= area.bottom + 1;
        });
        entry.datasets.push({ label: ds.label, values: ds.data.length, marks: inside.length });
      });
      if (canvas.id === "chart-confusion") {
        const rects = chart.getDatasetMeta(0).data;
        out.cells = chart.data.datasets[0].data.map((c, i) => ({ x: c.x, y: c.y, v: c.v,
          w: rects[i] ? rects[i].width : 0, h: rects[i] ? rects[i].height : 0, top: rects[i] ? rects[i].y : NaN }));
      }
    }
    // Axes and text are grey; data are drawn in colour: count the saturated pixels.
    const d = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < d.length; i += 4)
      if (d[i + 3] > 0 && Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60) entry.coloured++;
    out.charts.push(entry);
  }
  for (const tr of document.querySelectorAll("#per-class tbody tr"))
    out.perClass.push([...tr.cells].map(td => td.textContent));
  const scratch = document.createElement("canvas");
  for (const fig of document.querySelectorAll("#mistakes figure")) {
    const img = fig.querySelector("img");
    const m = { label: fig.dataset.label, predicted: fig.dataset.predicted, probability: Number(fig.dataset.probability),
                loaded: !!img && img.complete && img.naturalWidth > 0, width: img ? img.naturalWidth : 0,
                height: img ? img.naturalHeight : 0, ink: 0, caption: fig.textContent };
    if (m.loaded) {
      scratch.width = img.naturalWidth; scratch.height = img.naturalHeight;
      const c = scratch.getContext("2d");
      c.drawImage(img, 0, 0);
      const px = c.getImageData(0, 0, scratch.width, scratch.height).data;
      for (let i = 0; i < px.length; i += 4) m.ink += px[i] / 255;
    }
    out.mistakes.push(m);
  }
  out.resources = performance.getEntriesByType("resource").map(e => e.name);
  return out;`;

let driver;
async function drainLogs() {
  await driver.manage().logs().get(logging.Type.PERFORMANCE);
  await driver.manage().logs().get(logging.Type.BROWSER);
}

// The checks on one page; returns what failed (an empty list: the page is right).
async function reportProblems(url, expected, { allowOrigin = null } = {}) {
  const problems = [];
  const need = (ok, what) => { if (!ok) problems.push(what); };
  await drainLogs();
  await driver.get(url);
  try {
    await driver.wait(async () => (await driver.executeScript("return document.body && document.body.dataset.rendered")) != null,
                      10000);
  } catch { /* a page that never says: the checks below fail it */ }
  const p = await driver.executeScript(inspect);
  need(p.rendered === "true", `the page says it was drawn (data-rendered=${p.rendered})`);
  need(p.hasChartJs, "Chart.js is in the page");

  // Training curves: loss, accuracy and learning rate, training and validation where logged.
  const byId = Object.fromEntries(p.charts.map(c => [c.id, c]));
  for (const [id, series] of [["curve-loss", 2], ["curve-accuracy", 2], ["curve-learning_rate", 1], ["chart-throughput", 1]]) {
    const c = byId[id];
    need(c && c.chart, `${id} is a chart`);
    if (!c || !c.chart) continue;
    need(c.datasets.length === series, `${id} has ${series} series (has ${c.datasets.length})`);
    for (const ds of c.datasets)
      need(ds.values === expected.epochs && ds.marks === expected.epochs,
           `${id} '${ds.label}': ${expected.epochs} values drawn inside the plot (${ds.values} values, ${ds.marks} marks)`);
    need(c.coloured > 50, `${id} has coloured pixels (${c.coloured})`);
  }
  for (const c of p.charts) need(c.chart && c.coloured > 50, `every canvas is a chart with coloured marks (${c.id}: ${c.coloured})`);

  // The confusion matrix: its cells as drawn.
  const cells = p.cells || [];
  const classes = [...new Set(cells.map(c => c.y))];
  need(cells.length === 100 && classes.length === 10, `the confusion heat map has 10 x 10 cells (${cells.length})`);
  need(cells.every(c => c.w > 2 && c.h > 2), "every confusion cell is drawn with an area");
  const rowTop = name => (cells.find(c => c.y === name) || { top: NaN }).top;
  need(rowTop("0") < rowTop("9"), `the heat map's first row is class 0 (0 at ${rowTop("0")}, 9 at ${rowTop("9")})`);
  need((byId["chart-confusion"] || {}).coloured > 1000, `the heat map is coloured (${(byId["chart-confusion"] || {}).coloured})`);
  const total = cells.reduce((s, c) => s + c.v, 0);
  const right = cells.filter(c => c.x === c.y).reduce((s, c) => s + c.v, 0);
  need(total === expected.testSize, `the confusion cells sum to the test set's ${expected.testSize} (${total})`);
  const accuracy = total ? right / total : NaN;
  need(Math.abs(accuracy - expected.accuracy) <= 0.00005 + 1e-9,
       `the diagonal's accuracy ${accuracy.toFixed(6)} is mnist evaluate's ${expected.accuracy}`);
  need(p.cards["test accuracy"] === `${(100 * expected.accuracy).toFixed(2)}%`,
       `the results show test accuracy ${(100 * expected.accuracy).toFixed(2)}% (${p.cards["test accuracy"]})`);

  // Per class: recall is the diagonal over the row, precision over the column, as drawn.
  const rows = p.perClass.filter(r => /^[0-9]$/.test(r[0]));
  need(rows.length === 10 && p.perClass.length === 13, `the per-class table has 10 classes and 3 summary rows (${p.perClass.length})`);
  for (const [name, precision, recall, , support] of rows) {
    const row = cells.filter(c => c.y === name), column = cells.filter(c => c.x === name);
    const tp = (cells.find(c => c.x === name && c.y === name) || { v: 0 }).v;
    const rowSum = row.reduce((s, c) => s + c.v, 0), columnSum = column.reduce((s, c) => s + c.v, 0);
    need(Number(support) === rowSum, `class ${name}: support ${support} is its row's ${rowSum}`);
    need(Math.abs(Number(recall) - tp / rowSum) < 6e-5, `class ${name}: recall ${recall} is ${tp}/${rowSum}`);
    need(Math.abs(Number(precision) - (columnSum ? tp / columnSum : 0)) < 6e-5,
         `class ${name}: precision ${precision} is ${tp}/${columnSum}`);
  }

  // The digits it got most confidently wrong: images with ink, wrong, most confident first.
  const ms = p.mistakes;
  need(ms.length === Math.min(25, total - right), `${Math.min(25, total - right)} wrong digits shown (${ms.length})`);
  need(ms.length > 0 && ms.every(m => m.loaded && m.width === 28 && m.height === 28), "each wrong digit is a 28 x 28 image");
  // MNIST's ink is light on black: a digit covers some of the 784 pixels, neither none nor all.
  need(ms.every(m => m.ink > 20 && m.ink < 400),
       `each wrong digit has ink, not a blank or white square (${Math.min(...ms.map(m => m.ink)).toFixed(1)} to ` +
       `${Math.max(...ms.map(m => m.ink)).toFixed(1)} of 784)`);
  need(ms.every(m => m.label !== m.predicted && /^[0-9]$/.test(m.label) && /^[0-9]$/.test(m.predicted)),
       "each is labelled with a true class and a different prediction");
  need(ms.every(m => m.probability > 0 && m.probability <= 1 && m.caption.includes(m.probability.toFixed(3))),
       "each shows its probability");
  need(ms.every((m, i) => i === 0 || ms[i - 1].probability >= m.probability), "most confident first");

  // Nothing from the network, no error logged.
  const requests = (await driver.manage().logs().get(logging.Type.PERFORMANCE))
    .map(e => JSON.parse(e.message).message)
    .filter(m => m.method === "Network.requestWillBeSent")
    .map(m => m.params.request.url);
  const foreign = requests.filter(u => u !== url && !u.startsWith("data:") && !(allowOrigin && u.startsWith(`${allowOrigin}/`)));
  need(requests.length > 0, "the browser's network log was read");
  need(foreign.length === 0, `the page requested nothing else (${foreign.slice(0, 3)})`);
  need(p.resources.every(r => r.startsWith("data:")), `no resources loaded (${p.resources.slice(0, 3)})`);
  const errors = (await driver.manage().logs().get(logging.Type.BROWSER)).filter(e => e.level.name === "SEVERE");
  need(errors.length === 0, `no errors in the console (${errors.map(e => e.message).slice(0, 2)})`);
  return problems;
}

async function expectGood(url, expected, what, options) {
  const problems = await reportProblems(url, expected, options);
  for (const p of problems) console.log(`     ${p}`);
  check(problems.length === 0, `${what}: every check holds`);
}

async function screenshot(path) {
  const height = await driver.executeScript("return document.documentElement.scrollHeight");
  await driver.manage().window().setRect({ width: 1280, height: Math.min(Math.max(height, 800), 8000) });
  writeFileSync(path, await driver.takeScreenshot(), "base64");
  await driver.manage().window().setRect({ width: 1280, height: 1000 });
}

let served;
try {
  // A short real run: three epochs of softmax regression (about 8% of the test digits wrong).
  const runDir = `${workDir}/run`;
  const trained = tool("train", "--data", dataDir, "--model", "softmax", "--epochs", "3", "--verbose", "0",
                       "--out", runDir, "--report");
  const page = resolve(figure(trained, "report"));
  check(page === resolve(`${runDir}/report.html`) && existsSync(page), `mnist train --report wrote ${page}`);
  const expected = { testSize: testSize(), epochs: 3,
                     accuracy: Number(figure(tool("evaluate", "--data", dataDir, "--model-file", `${runDir}/model.nn`),
                                             "test_accuracy")) };
  console.log(`test set: ${expected.testSize} digits; mnist evaluate: test_accuracy ${expected.accuracy}`);

  const prefs = new logging.Preferences();
  prefs.setLevel(logging.Type.PERFORMANCE, logging.Level.ALL);
  prefs.setLevel(logging.Type.BROWSER, logging.Level.ALL);
  const options = new chrome.Options()
    .setChromeBinaryPath(chromium)
    .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1000",
                  "--allow-file-access-from-files")
    .setLoggingPrefs(prefs);
  driver = await new Builder().forBrowser("chrome").setChromeOptions(options)
    .setChromeService(new chrome.ServiceBuilder(chromedriver)).build();

  // The page from disk, as `mnist train --report` wrote it.
  const fileUrl = pathToFileURL(page).href;
  await expectGood(fileUrl, expected, "the report opened from disk");
  await screenshot(`${workDir}/report.png`);

  // `mnist report DIR` writes the same page for the same run.
  const again = tool("report", runDir, "--data", dataDir);
  check(resolve(figure(again, "report")) === page, "mnist report DIR rewrites DIR/report.html");
  await expectGood(fileUrl, expected, "the report written by mnist report");

  // Broken pages fail the same checks.
  const html = readFileSync(page, "utf8");
  // Each broken data set breaks one thing: the checks must notice each alone.
  const data = () => JSON.parse(html.match(/id="report-data">([^<]*)<\/script>/)[1]);
  const withData = d => html.replace(/id="report-data">[^<]*<\/script>/, () => `id="report-data">${JSON.stringify(d)}</script>`);
  const noCurves = data(), noCounts = data(), noMistakes = data(), blankDigits = data();
  noCurves.history.columns = {};
  noCounts.confusion.counts = noCounts.confusion.counts.map(r => r.map(() => 0));
  noMistakes.mistakes = [];
  const blankPng = (await driver.executeScript(`
    const c = document.createElement("canvas");
    c.width = c.height = 28;
    const g = c.getContext("2d");
    g.fillStyle = "#000";
    g.fillRect(0, 0, 28, 28);
    return c.toDataURL("image/png");`)).split(",")[1];  // a 28 x 28 black square
  blankDigits.mistakes = blankDigits.mistakes.map(m => ({ ...m, png: blankPng }));
  const broken = {
    "an empty page": "",
    "a page without the charting library": html.replace(/<script>\n\/\*!\n \* Chart\.js[\s\S]*?<\/script>/, "<script></script>"),
    "a page with corrupt data": html.replace('id="report-data">', 'id="report-data">{'),
    "a page without curves": withData(noCurves),
    "a page whose confusion counts are zero": withData(noCounts),
    "a page without its wrong digits": withData(noMistakes),
    "a page whose wrong digits are blank": withData(blankDigits),
  };
  check(broken["a page without the charting library"] !== html, "the library can be cut out of the page");
  for (const [what, text] of Object.entries(broken)) {
    const path = `${workDir}/broken-${what.replace(/ /g, "-")}.html`;
    writeFileSync(path, text);
    const problems = await reportProblems(pathToFileURL(path).href, expected);
    check(problems.length > 0, `${what} fails the checks (${problems.length}, first: ${problems[0]})`);
  }

  // The served page links the report beside the model, and the server serves it.
  served = startServer(mnist, `${runDir}/model.nn`);
  const base = await served.url;
  await driver.get(`${base}/`);
  const link = await driver.findElement(By.id("report-link"));
  await driver.wait(until.elementIsVisible(link), 10000, "the drawing page shows no link to the report");
  check(await link.isDisplayed(), "the drawing page links the report");
  await link.click();
  await driver.wait(until.urlIs(`${base}/report`), 10000);
  await expectGood(`${base}/report`, expected, "the report served by mnist serve", { allowOrigin: base });
} catch (err) {
  console.log(`FAIL ${err.stack || err}`);
  check(false, "the test ran to its end");
} finally {
  if (driver) await driver.quit().catch(() => {});
  if (served) served.server.kill("SIGTERM");
}
console.log(failures() ? `${failures()} check(s) failed` : "report test passed");
process.exit(failures() ? 1 : 0);
