/**
 * Migration files picked in the browser, as /api/migrations takes them: NNNN_name.js files, id = the name without
 * ".js", in numeric order. Other files are reported, not sent.
 */
export type MigrationFile = { id: string; code: string };

const NAME = /^(\d{4,}_[A-Za-z0-9_.-]{1,100})\.js$/;

export async function readMigrationFiles(
  files: Iterable<File>,
): Promise<{ migrations: MigrationFile[]; ignored: string[] }> {
  const migrations: MigrationFile[] = [];
  const ignored: string[] = [];
  for (const f of files) {
    const m = NAME.exec(f.name);
    if (m) migrations.push({ id: m[1], code: await f.text() });
    else ignored.push(f.name);
  }
  migrations.sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
  return { migrations, ignored };
}
