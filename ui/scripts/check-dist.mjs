// Fails the build when dist/index.html would break under the window's CSP
// (`script-src 'self'; style-src 'self'`, no 'unsafe-inline'): no inline
// <script> or <style>, no style="" or on*="" attributes, no remote URLs.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const file = fileURLToPath(new URL("../dist/index.html", import.meta.url));
const html = readFileSync(file, "utf8");
const problems = [];

for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (!/\bsrc\s*=/.test(m[1])) problems.push(`inline <script>: ${m[0].slice(0, 80)}`);
  else if (m[2].trim() !== "") problems.push(`<script src> with a body: ${m[0].slice(0, 80)}`);
}
if (/<style\b/i.test(html)) problems.push("inline <style> element");
if (/\sstyle\s*=/i.test(html)) problems.push("style= attribute");
if (/\son[a-z]+\s*=/i.test(html)) problems.push("inline event handler attribute");
for (const m of html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)) {
  if (/^(?:[a-z]+:)?\/\//i.test(m[1])) problems.push(`remote resource: ${m[1]}`);
}
if (!/<script\b[^>]*type="module"[^>]*src="[^"]*assets\/[^"]+\.js"/i.test(html)) problems.push("no hashed entry script");
if (!/<link\b[^>]*rel="stylesheet"[^>]*href="[^"]*assets\/[^"]+\.css"/i.test(html)) problems.push("no hashed stylesheet");

if (problems.length) {
  console.error(`dist/index.html breaks the CSP:\n  ${problems.join("\n  ")}`);
  process.exit(1);
}
console.log("dist/index.html: no inline scripts or styles; entry script and stylesheet are external files");
