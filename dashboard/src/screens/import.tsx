import { Badge, Box, Button, Callout, Card, Flex, Progress, Select, Table, Text, TextField } from "@radix-ui/themes";
import { useQueryClient } from "@tanstack/react-query";
import { Link, useSearch } from "@tanstack/react-router";
import { useMemo, useRef, useState } from "react";
import { rawFetch } from "../api/client";
import { PageHeader } from "../components/layout";
import { ErrorState, Loading } from "../components/states";
import { Json } from "../components/dialogs";
import { applyMapping, defaultMapping, errorReport, type ColumnMapping, type FieldType } from "../lib/import-mapping";
import { runImport, type ChunkAnswer, type ImportSummary } from "../lib/import-run";
import { parseInWorker, type ParseResult } from "../lib/parse-file";
import { download } from "../lib/export-file";

const TYPES: FieldType[] = ["auto", "string", "number", "integer", "boolean", "date", "objectId", "json", "skip"];
const PREVIEW_ROWS = 10;

function Mapping({ mapping, onChange }: { mapping: ColumnMapping[]; onChange: (m: ColumnMapping[]) => void }) {
  const set = (i: number, patch: Partial<ColumnMapping>) =>
    onChange(mapping.map((m, j) => (j === i ? { ...m, ...patch } : m)));
  return (
    <Table.Root size="1" variant="surface" mb="3">
      <Table.Header>
        <Table.Row>
          <Table.ColumnHeaderCell>Column</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Field (dotted paths nest)</Table.ColumnHeaderCell>
          <Table.ColumnHeaderCell>Type</Table.ColumnHeaderCell>
        </Table.Row>
      </Table.Header>
      <Table.Body>
        {mapping.map((m, i) => (
          <Table.Row key={m.column}>
            <Table.RowHeaderCell>{m.column}</Table.RowHeaderCell>
            <Table.Cell>
              <TextField.Root
                size="1"
                value={m.field}
                onChange={(e) => set(i, { field: e.target.value })}
                aria-label={`field for ${m.column}`}
              />
            </Table.Cell>
            <Table.Cell>
              <Select.Root size="1" value={m.type} onValueChange={(t) => set(i, { type: t as FieldType })}>
                <Select.Trigger aria-label={`type for ${m.column}`} />
                <Select.Content>
                  {TYPES.map((t) => (
                    <Select.Item key={t} value={t}>
                      {t}
                    </Select.Item>
                  ))}
                </Select.Content>
              </Select.Root>
            </Table.Cell>
          </Table.Row>
        ))}
      </Table.Body>
    </Table.Root>
  );
}

export default function Import() {
  const search = useSearch({ from: "/_app/import" });
  const qc = useQueryClient();
  const [collection, setCollection] = useState(search.collection ?? "");
  const [over, setOver] = useState(false);
  const [parsing, setParsing] = useState(false);
  const [parsed, setParsed] = useState<(ParseResult & { name: string }) | null>(null);
  const [parseError, setParseError] = useState<unknown>(null);
  const [mapping, setMapping] = useState<ColumnMapping[]>([]);
  const [dryRun, setDryRun] = useState<ImportSummary | null>(null);
  const [checking, setChecking] = useState(false);
  const [progress, setProgress] = useState<{ done: number; total: number } | null>(null);
  const [summary, setSummary] = useState<(ImportSummary & { skipped: number }) | null>(null);
  const [runError, setRunError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);
  const input = useRef<HTMLInputElement>(null);

  async function load(file: File) {
    setParsing(true);
    setParseError(null);
    setParsed(null);
    setSummary(null);
    setDryRun(null);
    try {
      const result = await parseInWorker({ file });
      setParsed({ ...result, name: file.name });
      setMapping(defaultMapping(result.columns, result.rows.slice(0, 200)));
      if (!collection) setCollection(file.name.replace(/\.[^.]+$/, "").replace(/[^\w-]/g, "_"));
    } catch (err) {
      setParseError(err);
    } finally {
      setParsing(false);
    }
  }

  const mapped = useMemo(() => (parsed ? applyMapping(parsed.rows, mapping) : null), [parsed, mapping]);

  /** One chunk to the import API as NDJSON (the mapping is already applied here, so the API takes the documents as they are). */
  const send = async (ndjson: string, dry: boolean): Promise<ChunkAnswer> => {
    const res = await rawFetch(
      `/api/db/${encodeURIComponent(collection)}/import?format=ndjson${dry ? "&dryRun=true" : ""}`,
      {
        method: "POST",
        headers: { "Content-Type": "application/x-ndjson" },
        body: ndjson,
      },
    );
    return (await res.json()) as ChunkAnswer;
  };

  async function check() {
    if (!mapped) return;
    setChecking(true);
    setRunError(null);
    try {
      setDryRun(await runImport(mapped.documents, mapped.rowNumbers, send, { dryRun: true }));
    } catch (err) {
      setRunError(err);
    } finally {
      setChecking(false);
    }
  }

  async function start() {
    if (!mapped) return;
    abort.current = new AbortController();
    setRunError(null);
    setSummary(null);
    setProgress({ done: 0, total: mapped.documents.length });
    try {
      const result = await runImport(mapped.documents, mapped.rowNumbers, send, {
        signal: abort.current.signal,
        onProgress: (done, total) => setProgress({ done, total }),
      });
      setSummary({ ...result, skipped: mapped.errors.length });
      await qc.invalidateQueries({ queryKey: ["docs", collection] });
      await qc.invalidateQueries({ queryKey: ["collections"] });
    } catch (err) {
      setRunError(err);
    }
  }

  const failedRows = summary
    ? [...(mapped?.errors ?? []).map((e) => ({ ...e, data: parsed!.rows[e.row - 2] })), ...summary.failed]
    : [];

  return (
    <>
      <PageHeader title="Import" />
      <Flex gap="3" align="end" mb="3">
        <label>
          <Text as="div" size="2" mb="1">
            Into collection
          </Text>
          <TextField.Root
            value={collection}
            onChange={(e) => setCollection(e.target.value)}
            placeholder="orders"
            style={{ width: 260 }}
          />
        </label>
      </Flex>
      <div
        className="dropzone"
        data-over={over}
        onDragOver={(e) => (e.preventDefault(), setOver(true))}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer.files[0];
          if (f) void load(f);
        }}
      >
        <Text as="p" mb="2">
          Drop a CSV, TSV, XLSX, JSON or NDJSON file here
        </Text>
        <Button variant="soft" onClick={() => input.current?.click()}>
          Choose a file
        </Button>
        <input
          ref={input}
          type="file"
          hidden
          accept=".csv,.tsv,.xlsx,.json,.ndjson,.jsonl"
          aria-label="file to import"
          onChange={(e) => e.target.files?.[0] && load(e.target.files[0])}
        />
      </div>
      {parsing ? <Loading label="Reading the file" /> : null}
      {parseError ? <ErrorState error={parseError} /> : null}
      {parsed && mapped ? (
        <Box mt="4">
          <Text as="p" size="2" mb="2">
            <b>{parsed.name}</b> · {parsed.format.toUpperCase()} · {parsed.rows.length} rows · {parsed.columns.length}{" "}
            columns
          </Text>
          {parsed.problems.length ? (
            <Callout.Root color="amber" mb="2">
              <Callout.Text>{parsed.problems.map((p) => `row ${p.row}: ${p.reason}`).join("; ")}</Callout.Text>
            </Callout.Root>
          ) : null}
          <Mapping mapping={mapping} onChange={setMapping} />
          <Flex gap="3" mb="2" align="center">
            <Text weight="bold">Preview</Text>
            <Badge color="green" data-testid="valid-rows">
              {mapped.documents.length} rows ready
            </Badge>
            <Badge color={mapped.errors.length ? "red" : "gray"} data-testid="bad-rows">
              {mapped.errors.length} bad rows
            </Badge>
          </Flex>
          <Flex gap="3">
            <Card
              style={{ flex: 1, maxHeight: 300, overflow: "auto" }}
              role="region"
              tabIndex={0}
              aria-label="documents as they will be stored"
            >
              {mapped.documents.slice(0, PREVIEW_ROWS).map((d, i) => (
                <Json key={i} value={d} />
              ))}
            </Card>
            <Card
              style={{ flex: 1, maxHeight: 300, overflow: "auto" }}
              role="region"
              tabIndex={0}
              aria-label="bad rows"
            >
              {mapped.errors.length === 0 ? (
                <Text color="gray">No bad rows.</Text>
              ) : (
                mapped.errors.slice(0, 100).map((e) => (
                  <Text as="p" size="2" key={e.row} data-testid="row-error">
                    Row {e.row}: {e.reason}
                  </Text>
                ))
              )}
            </Card>
          </Flex>
          <Flex gap="2" mt="3" align="center">
            <Button variant="soft" onClick={check} loading={checking} disabled={!collection}>
              Dry run
            </Button>
            <Button onClick={start} disabled={!collection || (progress !== null && !summary && !runError)}>
              Import {mapped.documents.length} rows
            </Button>
            {progress && !summary && !runError ? (
              <Button color="red" variant="soft" onClick={() => abort.current?.abort()}>
                Cancel
              </Button>
            ) : null}
          </Flex>
          {dryRun ? (
            <Callout.Root mt="2" data-testid="dry-run" color={dryRun.failed.length ? "amber" : undefined}>
              <Callout.Text>
                Dry run: {dryRun.inserted} documents would be inserted into {collection}, {mapped.errors.length} rows
                would be skipped, and the API would refuse {dryRun.failed.length}. Nothing was written.
              </Callout.Text>
              {dryRun.failed.slice(0, 50).map((f) => (
                <Callout.Text key={f.row} data-testid="dry-run-error">
                  Row {f.row}: {f.reason}
                </Callout.Text>
              ))}
            </Callout.Root>
          ) : null}
          {progress ? (
            <Box mt="3">
              <Progress
                value={progress.total ? (progress.done / progress.total) * 100 : 100}
                aria-label="import progress"
              />
              <Text size="1" color="gray">
                {progress.done} / {progress.total}
              </Text>
            </Box>
          ) : null}
          {runError ? <ErrorState error={runError} /> : null}
          {summary ? (
            <Card mt="3" data-testid="import-summary">
              <Text as="p">
                {summary.cancelled ? "Cancelled. " : "Done. "}Inserted <b data-testid="inserted">{summary.inserted}</b>,
                skipped <b data-testid="skipped">{summary.skipped}</b>, failed{" "}
                <b data-testid="failed">{summary.failed.length}</b>.{" "}
                <Link to="/collections/$name/documents" params={{ name: collection }}>
                  Open {collection}
                </Link>
              </Text>
              {failedRows.length ? (
                <Button
                  mt="2"
                  size="1"
                  variant="soft"
                  onClick={() => download(`${collection}-failed-rows.csv`, errorReport(failedRows), "text/csv")}
                >
                  Download {failedRows.length} failed rows
                </Button>
              ) : null}
            </Card>
          ) : null}
        </Box>
      ) : null}
    </>
  );
}
