// What the browser tests share: Chromium and chromedriver, `mnist serve`, and the tally of checks.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";

// The browser and its driver (NN_CHROMIUM, NN_CHROMEDRIVER override them); when one is missing the
// test exits 77 (skipped), naming the Debian package.
export function browser() {
  const chromium = process.env.NN_CHROMIUM || "/usr/bin/chromium";
  const chromedriver = process.env.NN_CHROMEDRIVER || "/usr/bin/chromedriver";
  for (const [path, pkg] of [[chromium, "chromium"], [chromedriver, "chromium-driver"]]) {
    if (!existsSync(path)) {
      console.log(`SKIP: ${path} not found (Debian package ${pkg}; scripts/test.sh installs it)`);
      process.exit(77);
    }
  }
  return { chromium, chromedriver };
}

// Each check prints "ok" or "FAIL" and its description; failures() counts the failed ones.
let failed = 0;
export function check(ok, what) {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failed++;
}
export const failures = () => failed;

// `mnist serve` on a free port; `url` resolves with its base URL once it listens (or rejects with
// its log if it exits or does not start in 60 s).

export function startServer(mnist, modelFile) {
  const server = spawn(mnist, ["serve", "--model-file", modelFile, "--port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  server.stderr.on("data", d => { log += d; });
  const url = new Promise((ok, fail) => {
    let out = "";
    server.stdout.on("data", d => {
      out += d;
      const m = out.match(/listening on (http:\/\/[^/\s]+)\//);
      if (m) ok(m[1]);
    });
    server.on("exit", code => fail(new Error(`mnist serve exited with ${code}: ${log}`)));
    setTimeout(() => fail(new Error("mnist serve did not start in 60 s")), 60000);
  });
  return { server, url, log: () => log };
}
