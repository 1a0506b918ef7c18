import {
  Badge,
  Box,
  Button,
  Callout,
  Code,
  Dialog,
  Flex,
  Grid,
  SegmentedControl,
  Select,
  Text,
} from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useEffect, useMemo, useState } from "react";
import { ApiError, api, rawFetch, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { ConfirmButton, CopyButton, Json } from "../components/dialogs";
import { DataTable } from "../components/data-table";
import { Empty, ErrorState, Loading } from "../components/states";
import { idToPath } from "../lib/format";
import {
  asCurl,
  asDataApi,
  asSdk,
  checkQuery,
  fromSearch,
  toListParams,
  toSearch,
  type DocQuery,
} from "../lib/query-state";
import { explainInWords, type Explain } from "../lib/explain";
import { fieldPaths, tableColumns, type InferredSchema } from "../lib/schema-tools";
import { parseJsonField } from "../lib/json-text";
import { checkDocumentText } from "../lib/document-text";
import { download } from "../lib/export-file";
import { getSession } from "../session";

type Doc = Record<string, unknown>;
type Page = { documents: Doc[]; count: number; total?: number; nextCursor?: string | null; explain?: Explain };
const ROUTE = "/_app/collections/$name/documents" as const;

function QueryBar({ initial, fields, onRun }: { initial: DocQuery; fields: string[]; onRun: (q: DocQuery) => void }) {
  const [filter, setFilter] = useState(initial.filter ?? "");
  const [sort, setSort] = useState(initial.sort ?? "");
  const [projection, setProjection] = useState(initial.projection ?? "");
  const [limit, setLimit] = useState(String(initial.limit ?? 50));
  const draft: DocQuery = { filter, sort, projection, limit: Number(limit) };
  const fieldsOfQuery: [string, string, (v: string) => void][] = [
    ["filter", filter, setFilter],
    ["sort", sort, setSort],
    ["projection", projection, setProjection],
  ];
  const errors = checkQuery(draft);
  return (
    <form onSubmit={(e) => (e.preventDefault(), errors.length ? undefined : onRun(draft))} aria-label="query">
      <Grid columns="3fr 1fr 1fr" gap="2">
        {fieldsOfQuery.map(([label, value, set]) => (
          <Box key={label}>
            <Text size="1" color="gray">
              {label[0].toUpperCase() + label.slice(1)}
            </Text>
            <CodeEditor label={label} language="json" value={value} onChange={set} fields={fields} minHeight={28} />
          </Box>
        ))}
      </Grid>
      <Flex gap="2" mt="2" align="center">
        <Button type="submit" disabled={errors.length > 0}>
          Run query
        </Button>
        <Select.Root value={limit} onValueChange={setLimit}>
          <Select.Trigger aria-label="page size" />
          <Select.Content>
            {["20", "50", "100", "500", "1000"].map((n) => (
              <Select.Item key={n} value={n}>
                {n} per page
              </Select.Item>
            ))}
          </Select.Content>
        </Select.Root>
        {errors.map((e) => (
          <Text key={e.field} color="red" size="2" role="alert">
            {e.message}
          </Text>
        ))}
      </Flex>
    </form>
  );
}

/** Edit one document with If-Match; a 412 shows both versions and lets the user choose. */
function Editor({ collection, id, onClose }: { collection: string; id: unknown; onClose: () => void }) {
  const path = idToPath(id);
  const qc = useQueryClient();
  const current = useQuery({
    queryKey: ["doc", collection, path],
    queryFn: async () => {
      const res = await unwrap(async () => {
        const r = await api().GET("/api/db/{collection}/{id}", {
          params: { path: { collection, id: decodeURIComponent(path) } },
        });
        return { ...r, data: { doc: r.data as Doc, etag: r.response.headers.get("etag") ?? "" } };
      });
      return res;
    },
  });
  const [text, setText] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<{ mine: Doc; theirs: Doc; etag: string } | null>(null);
  useEffect(() => {
    if (current.data) setText(JSON.stringify(current.data.doc, null, 2));
  }, [current.data]);
  const refresh = () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ["docs", collection] }),
      qc.invalidateQueries({ queryKey: ["doc", collection, path] }),
    ]);
  const save = useMutation({
    mutationFn: async ({ doc, etag }: { doc: Doc; etag: string }) => {
      const res = await api().PUT("/api/db/{collection}/{id}", {
        params: { path: { collection, id: decodeURIComponent(path) } },
        body: doc as never,
        headers: { "If-Match": etag },
      });
      if (res.response.status === 412) {
        const latest = await api().GET("/api/db/{collection}/{id}", {
          params: { path: { collection, id: decodeURIComponent(path) } },
        });
        setConflict({ mine: doc, theirs: latest.data as Doc, etag: latest.response.headers.get("etag") ?? "" });
        return null;
      }
      return unwrap(async () => res);
    },
    onSuccess: async (r) => {
      if (r !== null) {
        setConflict(null);
        await refresh();
      }
    },
  });
  const remove = useMutation({
    mutationFn: () =>
      unwrap(() =>
        api().DELETE("/api/db/{collection}/{id}", { params: { path: { collection, id: decodeURIComponent(path) } } }),
      ),
    onSuccess: async () => (await refresh(), onClose()),
  });
  if (current.isPending) return <Loading />;
  if (current.error) return <ErrorState error={current.error} />;
  function submit() {
    setLocalError(null);
    const { doc, error } = checkDocumentText(text);
    if (error) return setLocalError(error);
    save.mutate({ doc: doc!, etag: current.data!.etag });
  }
  return (
    <Box>
      <Flex justify="between" align="center" mb="2">
        <Text weight="bold">
          Document <Code>{JSON.stringify(id)}</Code>
        </Text>
        <Button variant="ghost" onClick={onClose}>
          Close
        </Button>
      </Flex>
      <CodeEditor label="document" language="json" value={text} onChange={setText} minHeight={220} />
      <Flex gap="2" mt="2">
        <Button onClick={submit} loading={save.isPending}>
          Save
        </Button>
        <ConfirmButton
          label="Delete"
          title="Delete this document?"
          description={<Code>{JSON.stringify(id)}</Code>}
          onConfirm={() => remove.mutate()}
        />
        {save.isSuccess && save.data !== null ? <Badge color="green">saved</Badge> : null}
      </Flex>
      {localError ? <ErrorState error={new Error(localError)} /> : null}
      {save.error ? <ErrorState error={save.error} /> : null}
      {remove.error ? <ErrorState error={remove.error} /> : null}
      <Dialog.Root open={conflict !== null} onOpenChange={(o) => (o ? undefined : setConflict(null))}>
        <Dialog.Content maxWidth="900px">
          <Dialog.Title>Someone changed this document</Dialog.Title>
          <Dialog.Description size="2">
            The document changed after you opened it (412 Precondition Failed). Choose which version to keep.
          </Dialog.Description>
          <Grid columns="2" gap="3" mt="3">
            <Box>
              <Text weight="bold">Your version</Text>
              <Json value={conflict?.mine} />
            </Box>
            <Box>
              <Text weight="bold">Current version</Text>
              <Json value={conflict?.theirs} />
            </Box>
          </Grid>
          <Flex gap="2" justify="end" mt="3">
            <Button
              variant="soft"
              onClick={() => {
                setText(JSON.stringify(conflict!.theirs, null, 2));
                void qc.invalidateQueries({ queryKey: ["doc", collection, path] });
                setConflict(null);
              }}
            >
              Keep the current version
            </Button>
            <Button onClick={() => save.mutate({ doc: conflict!.mine, etag: conflict!.etag })}>
              Overwrite with mine
            </Button>
          </Flex>
        </Dialog.Content>
      </Dialog.Root>
    </Box>
  );
}

function InsertDialog({ collection, fields }: { collection: string; fields: string[] }) {
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("{\n  \n}");
  const [localError, setLocalError] = useState<string | null>(null);
  const qc = useQueryClient();
  const insert = useMutation({
    mutationFn: (doc: Doc) =>
      unwrap(() => api().POST("/api/db/{collection}", { params: { path: { collection } }, body: doc as never })),
    onSuccess: async () => (await qc.invalidateQueries({ queryKey: ["docs", collection] }), setOpen(false)),
  });
  return (
    <Dialog.Root open={open} onOpenChange={(o) => (setOpen(o), insert.reset(), setLocalError(null))}>
      <Dialog.Trigger>
        <Button>Insert document</Button>
      </Dialog.Trigger>
      <Dialog.Content maxWidth="640px">
        <Dialog.Title>Insert into {collection}</Dialog.Title>
        <Dialog.Description size="2" mb="2">
          JSON (relaxed EJSON: <Code>{'{"$date": "…"}'}</Code>, <Code>{'{"$oid": "…"}'}</Code>). Checked before it is
          sent.
        </Dialog.Description>
        <CodeEditor
          label="new document"
          language="json"
          value={text}
          onChange={setText}
          fields={fields}
          minHeight={200}
        />
        {localError ? <ErrorState error={new Error(localError)} /> : null}
        {insert.error ? <ErrorState error={insert.error} /> : null}
        <Flex justify="end" gap="2" mt="3">
          <Dialog.Close>
            <Button variant="soft" color="gray">
              Cancel
            </Button>
          </Dialog.Close>
          <Button
            loading={insert.isPending}
            onClick={() => {
              const { doc, error } = checkDocumentText(text);
              setLocalError(error ?? null);
              if (doc) insert.mutate(doc);
            }}
          >
            Insert
          </Button>
        </Flex>
      </Dialog.Content>
    </Dialog.Root>
  );
}

/** Bulk update and bulk delete act on the current filter; the dialog says how many documents match first. */
function BulkActions({ collection, query }: { collection: string; query: DocQuery }) {
  const qc = useQueryClient();
  const [mode, setMode] = useState<"update" | "delete" | null>(null);
  const [update, setUpdate] = useState('{ "$set": { } }');
  const filterText = toListParams(query).filter ?? "{}";
  const matching = useQuery({
    queryKey: ["count", collection, filterText],
    enabled: mode !== null,
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/db/{collection}/count", { params: { path: { collection }, query: { filter: filterText } } }),
      ) as Promise<{ count: number }>,
  });
  const empty = filterText === "{}";
  const run = useMutation({
    mutationFn: async () => {
      if (mode === "delete")
        return unwrap(() =>
          api().DELETE("/api/db/{collection}", {
            params: {
              path: { collection },
              query: { filter: filterText, ...(empty ? { allowEmptyFilter: "true" } : {}) } as never,
            },
          }),
        );
      const u = parseJsonField<Doc>(update, "update");
      if (u.error) throw new ApiError(400, "INVALID_UPDATE", u.error);
      return unwrap(() =>
        api().PATCH("/api/db/{collection}", {
          params: { path: { collection }, query: (empty ? { allowEmptyFilter: "true" } : {}) as never },
          body: { filter: JSON.parse(filterText), update: u.value } as never,
        }),
      );
    },
    onSuccess: async () => (await qc.invalidateQueries({ queryKey: ["docs", collection] }), setMode(null)),
  });
  return (
    <>
      <Button variant="soft" onClick={() => (run.reset(), setMode("update"))}>
        Update matching…
      </Button>
      <Button variant="soft" color="red" onClick={() => (run.reset(), setMode("delete"))}>
        Delete matching…
      </Button>
      <Dialog.Root open={mode !== null} onOpenChange={(o) => (o ? undefined : setMode(null))}>
        <Dialog.Content maxWidth="600px">
          <Dialog.Title>
            {mode === "delete" ? "Delete every matching document" : "Update every matching document"}
          </Dialog.Title>
          <Dialog.Description size="2">
            Filter <Code>{filterText}</Code> matches{" "}
            <b data-testid="bulk-count">{matching.isPending ? "…" : matching.data ? matching.data.count : "?"}</b>{" "}
            documents.
          </Dialog.Description>
          {matching.error ? <ErrorState error={matching.error} /> : null}
          {mode === "update" ? (
            <Box mt="3">
              <CodeEditor label="update" language="json" value={update} onChange={setUpdate} minHeight={80} />
            </Box>
          ) : null}
          {run.error ? <ErrorState error={run.error} /> : null}
          <Flex justify="end" gap="2" mt="3">
            <Button variant="soft" color="gray" onClick={() => setMode(null)}>
              Cancel
            </Button>
            <Button
              color={mode === "delete" ? "red" : undefined}
              loading={run.isPending}
              disabled={!matching.data}
              onClick={() => run.mutate()}
            >
              {mode === "delete" ? `Delete ${matching.data?.count ?? ""}` : `Update ${matching.data?.count ?? ""}`}
            </Button>
          </Flex>
        </Dialog.Content>
      </Dialog.Root>
    </>
  );
}

/** The current query, as the API's export streams it (every format, XLSX included, is written by the API). */
async function exportQuery(
  collection: string,
  query: DocQuery,
  format: "csv" | "json" | "ndjson" | "xlsx",
): Promise<string> {
  const { limit: _limit, cursor: _cursor, ...params } = toListParams(query);
  const search = new URLSearchParams({ ...params, format });
  const res = await rawFetch(`/api/db/${encodeURIComponent(collection)}/export?${search}`);
  download(`${collection}.${format}`, await res.blob(), res.headers.get("content-type") ?? "application/octet-stream");
  return `${collection}.${format}`;
}

export default function Documents() {
  const { name } = useParams({ from: ROUTE });
  const search = useSearch({ from: ROUTE }) as Record<string, unknown>;
  const navigate = useNavigate();
  const query = fromSearch(search);
  const view = search.view === "json" ? "json" : "table";
  const selected = typeof search.doc === "string" ? search.doc : undefined;
  const go = (next: Record<string, unknown>) =>
    navigate({ to: "/collections/$name/documents", params: { name }, search: next as never });
  const schema = useQuery({
    queryKey: ["schema", name],
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/management/collections/{name}/schema", { params: { path: { name } } }),
      ) as Promise<InferredSchema>,
  });
  const errors = checkQuery(query);
  const page = useQuery({
    queryKey: ["docs", name, query],
    enabled: errors.length === 0,
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/db/{collection}", {
          params: { path: { collection: name }, query: toListParams(query, { count: "true", explain: "true" }) },
        }),
      ) as Promise<Page>,
  });
  const fields = useMemo(() => fieldPaths(schema.data), [schema.data]);
  const columns = useMemo(() => {
    const fromSchema = tableColumns(schema.data);
    return fromSchema.length
      ? fromSchema
      : [...new Set((page.data?.documents ?? []).flatMap((d) => Object.keys(d)))].slice(0, 12);
  }, [schema.data, page.data]);
  const [exportError, setExportError] = useState<unknown>(null);
  const [exported, setExported] = useState<string | null>(null);
  const session = getSession();
  const apiUrl = session?.apiUrl ?? window.location.origin;
  const selectedId = selected ? (JSON.parse(selected) as unknown) : undefined;

  return (
    <>
      <PageHeader title={name} badge="documents">
        <Link to="/collections/$name" params={{ name }} search={{ tab: undefined }}>
          Collection
        </Link>
        <Link to="/collections/$name/aggregate" params={{ name }}>
          Aggregation
        </Link>
        <InsertDialog collection={name} fields={fields} />
      </PageHeader>
      <QueryBar
        key={JSON.stringify(query)}
        initial={query}
        fields={fields}
        onRun={(q) => go({ ...toSearch({ ...q, cursor: undefined }), view: search.view })}
      />
      <Flex gap="2" my="3" align="center" wrap="wrap">
        <SegmentedControl.Root
          value={view}
          onValueChange={(v) => go({ ...search, view: v === "table" ? undefined : v })}
        >
          <SegmentedControl.Item value="table">Table</SegmentedControl.Item>
          <SegmentedControl.Item value="json">JSON</SegmentedControl.Item>
        </SegmentedControl.Root>
        <BulkActions collection={name} query={query} />
        <CopyButton
          label="Copy as curl"
          text={asCurl(apiUrl, name, query, session?.kind === "token" ? session.tenant : undefined)}
        />
        <CopyButton label="Copy as Data API" text={asDataApi(apiUrl, name, query)} />
        <CopyButton label="Copy as TypeScript" text={asSdk(apiUrl, name, query)} />
        <Select.Root
          value=""
          onValueChange={(f) => {
            setExportError(null);
            exportQuery(name, query, f as "csv").then(setExported, setExportError);
          }}
        >
          <Select.Trigger placeholder="Export…" aria-label="export format" />
          <Select.Content>
            <Select.Item value="csv">Export CSV</Select.Item>
            <Select.Item value="json">Export JSON</Select.Item>
            <Select.Item value="ndjson">Export NDJSON</Select.Item>
            <Select.Item value="xlsx">Export XLSX</Select.Item>
          </Select.Content>
        </Select.Root>
        {exported !== null ? (
          <Badge color="green" data-testid="exported">
            exported {exported}
          </Badge>
        ) : null}
      </Flex>
      {exportError ? <ErrorState error={exportError} /> : null}
      {page.error ? <ErrorState error={page.error} onRetry={() => page.refetch()} /> : null}
      {page.isPending && errors.length === 0 ? <Loading /> : null}
      {page.data ? (
        <>
          <Flex gap="3" mb="2" align="center">
            <Text size="2" data-testid="page-info">
              {page.data.count} shown of {page.data.total ?? "?"} matching
            </Text>
            <Text size="2" color="gray" data-testid="explain">
              {explainInWords(page.data.explain, page.data.count)}
            </Text>
          </Flex>
          {page.data.documents.length === 0 ? (
            <Empty>No documents match.</Empty>
          ) : (
            <Grid columns={selectedId !== undefined ? "3fr 2fr" : "1fr"} gap="3">
              {view === "table" ? (
                <DataTable
                  label="documents"
                  rows={page.data.documents}
                  columns={columns}
                  selected={selected}
                  onSelect={(d) => go({ ...search, doc: JSON.stringify(d._id) })}
                />
              ) : (
                <Box
                  style={{ maxHeight: 520, overflow: "auto" }}
                  role="region"
                  tabIndex={0}
                  aria-label="documents as JSON"
                >
                  {page.data.documents.map((d, i) => (
                    <Box
                      key={i}
                      p="2"
                      mb="2"
                      style={{ border: "1px solid var(--gray-a5)", borderRadius: 6, cursor: "pointer" }}
                      onClick={() => go({ ...search, doc: JSON.stringify(d._id) })}
                    >
                      <Json value={d} />
                    </Box>
                  ))}
                </Box>
              )}
              {selectedId !== undefined ? (
                <Editor
                  key={selected}
                  collection={name}
                  id={selectedId}
                  onClose={() => go({ ...search, doc: undefined })}
                />
              ) : null}
            </Grid>
          )}
          <Flex gap="2" mt="3">
            <Button variant="soft" disabled={!query.cursor} onClick={() => go({ ...search, cursor: undefined })}>
              First page
            </Button>
            <Button
              variant="soft"
              disabled={!page.data.nextCursor}
              onClick={() => go({ ...search, cursor: page.data!.nextCursor })}
            >
              Next page
            </Button>
          </Flex>
        </>
      ) : null}
      {errors.length ? (
        <Callout.Root color="red" mt="2">
          <Callout.Text>{errors.map((e) => e.message).join("; ")}</Callout.Text>
        </Callout.Root>
      ) : null}
    </>
  );
}
