// The drawing page of `mnist serve`, end to end in headless Chromium driven through chromedriver
// (WebDriver): a person draws a 7 with the mouse and a 1 with a finger (pointer events), picks an
// image file, drops one, and drops a file that is not an image. After each, the label the page
// shows must be the one the server's own API gives for the same image, with the top 5 as bars and
// the 28 x 28 image the model saw.
//
//   node page_test.mjs MNIST MODEL_FILE DIGIT_IMAGE WORK_DIR
//
// Exit status: 0 passed, 1 failed, 77 skipped (Chromium or chromedriver missing; named).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, resolve } from "node:path";

import { Builder, By, until } from "selenium-webdriver";
import chrome from "selenium-webdriver/chrome.js";
import { Origin, Pointer } from "selenium-webdriver/lib/input.js";

import { browser, check, failures, startServer } from "./common.mjs";

const [mnist, modelFile, digitImage, workDir] = process.argv.slice(2);
if (!workDir) {
  console.error("usage: node page_test.mjs MNIST MODEL_FILE DIGIT_IMAGE WORK_DIR");
  process.exit(2);
}
const { chromium, chromedriver } = browser();
mkdirSync(workDir, { recursive: true });


// What the server's API answers for these image bytes (the seeds' upload form).
async function apiPredict(base, bytes, name) {
  const form = new FormData();
  form.append("images", new Blob([bytes]), name);
  const res = await fetch(`${base}/`, { method: "POST", body: form });
  const body = await res.json();
  if (!res.ok) throw new Error(`${name}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const { server, url, log } = startServer(mnist, modelFile);
let driver;
try {
  const base = await url;
  const options = new chrome.Options()
    .setChromeBinaryPath(chromium)
    .addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1000,1000");
  driver = await new Builder()
    .forBrowser("chrome")
    .setChromeOptions(options)
    .setChromeService(new chrome.ServiceBuilder(chromedriver))
    .build();
  await driver.get(`${base}/`);
  check((await driver.getTitle()).length > 0, `the page loads from ${base}/`);
  // No report.html beside this model: the page offers no link to one (it asks the server at load).
  await driver.wait(async () => driver.executeScript(
    "return performance.getEntriesByType('resource').some(e => e.name.endsWith('/report'))"), 10000);
  await driver.sleep(200);
  check(!(await driver.findElement(By.id("report-link")).isDisplayed()), "no report beside the model: no link to one");
  const pad = await driver.findElement(By.id("pad"));
  const label = await driver.findElement(By.id("label"));

  const waitForLabel = async what => {
    await driver.wait(until.elementTextMatches(label, /^[0-9]$/), 20000, `no label shown after ${what}`);
    return label.getText();
  };
  // The page after a prediction: five bars, best first, and ink in the image the model saw.
  const checkResult = async (what, expected) => {
    const shown = await waitForLabel(what);
    const bars = await driver.findElements(By.css("#bars li"));
    const barLabels = await Promise.all(bars.map(b => b.getAttribute("data-label")));
    check(bars.length === 5 && barLabels[0] === shown, `${what}: 5 bars, the first for the label shown (${barLabels})`);
    const ink = await driver.executeScript(`
      const d = document.getElementById("seen").getContext("2d").getImageData(0, 0, 28, 28).data;
      let s = 0; for (let i = 0; i < d.length; i += 4) s += d[i]; return s / 255;`);
    check(ink > 20, `${what}: the 28x28 image the model saw has ink (${ink.toFixed(1)} of 784)`);
    check(shown === expected, `${what}: the page shows ${shown}, the API says ${expected}`);
    return shown;
  };
  const padPng = async () => {
    const dataUrl = await driver.executeScript("return document.getElementById('pad').toDataURL('image/png')");
    return Buffer.from(dataUrl.split(",")[1], "base64");
  };
  const clear = async () => {
    await driver.findElement(By.id("clear")).click();
    await driver.wait(until.elementTextIs(label, ""), 5000);
  };

  // A 7 drawn with the mouse: one stroke, across and down (offsets from the pad's centre).
  const path7 = [[-80, -90], [-30, -92], [20, -91], [75, -90], [50, -40], [25, 10], [5, 55], [-10, 100]];
  let actions = driver.actions({ async: true }).move({ origin: pad, x: path7[0][0], y: path7[0][1] }).press();
  for (const [x, y] of path7.slice(1)) actions = actions.move({ origin: pad, x, y, duration: 60 });
  await actions.release().perform();
  const seven = await checkResult("a 7 drawn with the mouse", (await apiPredict(base, await padPng(), "drawing.png")).predicted_label);
  check(seven === "7", `the drawn 7 is read as ${seven}`);
  await clear();

  // A 1 drawn with a finger (touch pointer events).
  const finger = new Pointer("finger", Pointer.Type.TOUCH);
  await driver.actions({ async: true })
    .insert(finger,
      finger.move({ origin: pad, x: 5, y: -100 }), finger.press(),
      finger.move({ origin: pad, x: 2, y: -30, duration: 80 }), finger.move({ origin: pad, x: -2, y: 40, duration: 80 }),
      finger.move({ origin: pad, x: -4, y: 105, duration: 80 }), finger.release())
    .perform();
  const one = await checkResult("a 1 drawn with a finger", (await apiPredict(base, await padPng(), "drawing.png")).predicted_label);
  check(one === "1", `the drawn 1 is read as ${one}`);
  await clear();

  // An image file picked with the file input.
  const bytes = readFileSync(digitImage);
  const expected = (await apiPredict(base, bytes, basename(digitImage))).predicted_label;
  await driver.findElement(By.id("file")).sendKeys(resolve(digitImage));
  await checkResult(`${basename(digitImage)} picked`, expected);
  await clear();

  // The same file dropped on the drop zone (a drop event carrying the file, as a browser makes it).
  const dropFile = `
    const [b64, name, type] = arguments;
    const bin = atob(b64), a = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) a[i] = bin.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([a], name, { type }));
    const zone = document.getElementById("drop");
    zone.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));`;
  await driver.executeScript(dropFile, bytes.toString("base64"), basename(digitImage), "image/jpeg");
  await checkResult(`${basename(digitImage)} dropped`, expected);
  await driver.takeScreenshot().then(png => writeFileSync(`${workDir}/page.png`, png, "base64"));
  await clear();

  // A file that is not an image: the server's error is shown, no label.
  await driver.executeScript(dropFile, Buffer.from("just some notes").toString("base64"), "notes.txt", "text/plain");
  const error = await driver.findElement(By.id("error"));
  await driver.wait(until.elementTextContains(error, "not an image"), 20000, "no error shown for a text file");
  check((await label.getText()) === "", "a text file dropped: an error, and no label");

  // The page works offline: nothing it loads comes from another origin.
  const foreign = await driver.executeScript(
    "return performance.getEntriesByType('resource').map(e => e.name).filter(n => !n.startsWith(location.origin))");
  check(foreign.length === 0, `the page loads nothing from elsewhere (${foreign})`);
} catch (err) {
  console.log(`FAIL ${err.stack || err}`);
  console.log(`--- server log\n${log()}`);
  check(false, "the test ran to its end");
} finally {
  if (driver) await driver.quit().catch(() => {});
  server.kill("SIGTERM");
}
console.log(failures() ? `${failures()} check(s) failed` : "page test passed");
process.exit(failures() ? 1 : 0);
