// The initial JavaScript of the build, gzipped: what index.html loads before anything else
// (its module script and the chunks it preloads). Fails the build past the limit.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const LIMIT_KIB = 250;
const dist = new URL("../dist/", import.meta.url).pathname;
const html = readFileSync(join(dist, "index.html"), "utf8");
const files = [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*rel="modulepreload"[^>]*\shref)="\/?([^"]+\.js)"/g)].map(
  (match) => match[1],
);
let total = 0;
for (const file of files) {
  const size = gzipSync(readFileSync(join(dist, file)), { level: 9 }).length;
  total += size;
  console.log(`  ${file}: ${(size / 1024).toFixed(1)} KiB gzipped`);
}
const kib = total / 1024;
console.log(`initial JavaScript: ${kib.toFixed(1)} KiB gzipped (limit ${LIMIT_KIB} KiB)`);
if (!files.length || kib > LIMIT_KIB) {
  console.error(files.length ? "over the limit" : "no script found in dist/index.html");
  process.exit(1);
}
