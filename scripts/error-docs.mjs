// docs/errors.md, generated from worker/lib/error-codes.ts (the one list AppError takes):
//   npm run docs:errors          writes it
// The docs test fails when the committed page differs from what this renders.
import { writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { ERROR_GROUPS } from "../worker/lib/error-codes.ts";

export const ERRORS_PAGE = "docs/errors.md";

export function renderErrorsPage() {
  let out = `# Error codes

Every error is \`{"error":{"code","message","details"}}\` with one of these stable codes (the Data API adds its own
\`error_code\` beside it). Branch on the code, not the message. Generated from \`worker/lib/error-codes.ts\` by
\`npm run docs:errors\`.
`;
  for (const [group, codes] of Object.entries(ERROR_GROUPS)) {
    out += `\n## ${group}\n\n| code | meaning |\n|---|---|\n`;
    for (const [code, meaning] of Object.entries(codes)) out += `| \`${code}\` | ${meaning.replaceAll("|", "\\|")} |\n`;
  }
  return out;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) writeFileSync(ERRORS_PAGE, renderErrorsPage());
