// The scan behind plainText.test.ts and plainRendered.test.tsx.
import { COMMAND_NAMES } from "../src/generated/Commands";

/** The texts a source puts on screen, as far as a scan can tell. */
export function screenStrings(source: string): string[] {
  const out: string[] = [];
  const push = (s: string) => {
    // Inside a template, `${…}` is code, not words.
    const t = s.replace(/\$\{[^}]*\}/g, " ").replace(/\s+/g, " ").trim();
    if (t) out.push(t);
  };
  // JSX text between tags: `>Save settings<`, skipping `=>` arrows, comparisons and generics.
  for (const m of source.matchAll(/(?<![=\-])>([^<>{}`;]*[A-Za-z][^<>{}`;]*)</g)) {
    if (!/"|&&|\|\|| : |\?\s/.test(m[1])) push(m[1]);
  }
  // Text in a JSX expression: {"…"}, {`…`}, and the branches of {x ? "…" : "…"}.
  for (const m of source.matchAll(/\{\s*(?:"([^"]*)"|`([^`]*)`)\s*\}/g)) push(m[1] ?? m[2] ?? "");
  for (const m of source.matchAll(/(?:\?\?|\?|:)\s*(?:"([^"\n]*\s[^"\n]*)"|`([^`\n]*\s[^`\n]*)`)/g)) push(m[1] ?? m[2] ?? "");
  // Attributes a person reads: label="…", hint={"…"}, placeholder={`…`}, title, aria-label.
  for (const m of source.matchAll(/\b(?:label|hint|placeholder|title|aria-label)=(?:"([^"]*)"|\{\s*"([^"]*)"\s*\}|\{\s*`([^`]*)`\s*\}|\{\s*'([^']*)'\s*\})/g)) {
    push(m[1] ?? m[2] ?? m[3] ?? m[4] ?? "");
  }
  // Option lists and label tables: `label: "…"`.
  for (const m of source.matchAll(/\blabel:\s*(?:"([^"]*)"|`([^`]*)`)/g)) push(m[1] ?? m[2] ?? "");
  return [...new Set(out)];
}

const COMMANDS = new Set<string>(COMMAND_NAMES);

export function badWords(text: string): string[] {
  const bad: string[] = [];
  if (/minor/i.test(text)) bad.push("minor");
  if (/_ms\b|\(ms\)|\bms\b/.test(text)) bad.push("ms");
  if (/\bversion\b/i.test(text)) bad.push("version");
  for (const m of text.matchAll(/\b[a-z]+\.[a-z_]+\b/g)) if (COMMANDS.has(m[0])) bad.push(m[0]);
  return bad;
}

