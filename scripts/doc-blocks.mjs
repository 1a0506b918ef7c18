// The shell examples of the docs, as the docs test runs them: every ```sh block of README.md and docs/*.md, in
// order, except a block whose preceding line is an HTML comment starting "not run" (it says why: an account, a cluster).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const DOC_FILES = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => join("docs", f)),
];

export function shellBlocks(markdown) {
  const lines = markdown.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== "```sh") continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end].trim() !== "```") end++;
    const skipped = /^<!--\s*not run/.test(lines[start - 1]?.trim() ?? "");
    blocks.push({ line: start + 1, code: lines.slice(start + 1, end).join("\n"), skipped });
    i = end;
  }
  return blocks;
}

export function docScript(file) {
  const blocks = shellBlocks(readFileSync(file, "utf8")).filter((b) => !b.skipped);
  if (blocks.length === 0) return null;
  // One shell per page, so a page's blocks share the variables its first block sets; any failing command stops it.
  const body = blocks.map((b) => `echo "--- ${file}:${b.line}" >&2\n${b.code}`).join("\n");
  return { blocks: blocks.length, script: `set -euo pipefail\n${body}\n` };
}
