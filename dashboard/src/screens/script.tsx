import {
  Badge,
  Box,
  Button,
  Callout,
  Card,
  Flex,
  Grid,
  Heading,
  SegmentedControl,
  Table,
  Text,
  TextField,
} from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { scriptExecutions, type Execution, type LogLine, type Script, type ScriptError } from "../api/queries";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { Chart } from "../components/chart";
import { ConfirmButton, Json } from "../components/dialogs";
import { Empty, ErrorState, Loading, Query } from "../components/states";
import { formatDuration, formatTime, idToPath } from "../lib/format";
import { parseOptionalJson } from "../lib/json-text";
import { previewCron, formatInZone } from "../lib/cron-preview";
import { usePauseResume } from "./scripts";

const ROUTE = "/_app/scripts/$id" as const;
const STARTER = `export default async function (event, ctx) {\n  ctx.log("received", event.operationType, event.documentKey?._id);\n  return { ok: true };\n}\n`;
type RunResult = { ok: boolean; result: unknown; logs: LogLine[]; durationMs: number; error: ScriptError | null };
/** The per-run limits, each a number the API checks (timeout 10-30000 ms, memory 1-64 MB, attempts 1-20). */
const LIMIT_FIELDS = [
  ["timeoutMs", "Timeout ms"],
  ["memoryLimitMb", "Memory MB"],
  ["maxAttempts", "Max attempts"],
] as const;
type Form = {
  name: string;
  code: string;
  type: "event" | "cron";
  collection: string;
  events: string;
  filter: string;
  schedule: string;
  timezone: string;
  timeoutMs: number;
  memoryLimitMb: number;
  maxAttempts: number;
  allowedHosts: string;
};

const toForm = (s?: Script): Form => ({
  name: s?.name ?? "",
  code: s?.code ?? STARTER,
  type: s?.trigger.type ?? "event",
  collection: s?.trigger.type === "event" ? s.trigger.collection : "*",
  events: s?.trigger.type === "event" ? s.trigger.events.join(", ") : "insert, update, replace, delete",
  filter: s?.trigger.type === "event" && s.trigger.filter ? JSON.stringify(s.trigger.filter) : "",
  schedule: s?.trigger.type === "cron" ? s.trigger.schedule : "0 */5 * * * *",
  timezone: s?.trigger.type === "cron" ? s.trigger.timezone : "UTC",
  timeoutMs: s?.timeoutMs ?? 5000,
  memoryLimitMb: s?.memoryLimitMb ?? 32,
  maxAttempts: s?.maxAttempts ?? 3,
  allowedHosts: (s?.allowedHosts ?? []).join(", "),
});

function toBody(f: Form): { body?: Record<string, unknown>; error?: string } {
  const filter = parseOptionalJson<Record<string, unknown>>(f.filter, "filter");
  if (filter.error) return { error: filter.error };
  const list = (s: string) =>
    s
      .split(",")
      .map((x) => x.trim())
      .filter(Boolean);
  const trigger =
    f.type === "cron"
      ? { type: "cron", schedule: f.schedule.trim(), timezone: f.timezone.trim() || "UTC" }
      : { type: "event", collection: f.collection.trim() || "*", events: list(f.events), filter: filter.value };
  return {
    body: {
      name: f.name.trim(),
      code: f.code,
      trigger,
      timeoutMs: f.timeoutMs,
      memoryLimitMb: f.memoryLimitMb,
      maxAttempts: f.maxAttempts,
      allowedHosts: list(f.allowedHosts),
    },
  };
}

function RunOutput({ run }: { run: RunResult }) {
  return (
    <Card mt="3" data-testid="run-output">
      <Flex gap="2" mb="2" align="center">
        <Badge color={run.ok ? "green" : "red"} data-testid="run-status">
          {run.ok ? "succeeded" : (run.error?.code ?? "failed")}
        </Badge>
        <Text size="2">{formatDuration(run.durationMs)}</Text>
      </Flex>
      {run.error ? (
        <Text as="p" color="red" size="2">
          {run.error.name}: {run.error.message}
          {run.error.line ? ` (line ${run.error.line})` : ""}
        </Text>
      ) : (
        <Json value={run.result} />
      )}
      {run.logs.map((l, i) => (
        <Text as="p" size="1" key={i} style={{ fontFamily: "var(--code-font-family)" }}>
          [{l.level}] {l.message}
        </Text>
      ))}
    </Card>
  );
}

function TestRun({ id, onError }: { id: string; onError: (e: ScriptError | null) => void }) {
  const [source, setSource] = useState<"sample" | "document">("sample");
  const [collection, setCollection] = useState("");
  const [docId, setDocId] = useState("");
  const run = useMutation({
    mutationFn: async () => {
      let event: Record<string, unknown> | undefined;
      if (source === "document") {
        const r = await unwrap(() =>
          api().GET("/api/db/{collection}/{id}", { params: { path: { collection, id: docId } } }),
        );
        const doc = r as Record<string, unknown>;
        event = {
          operationType: "update",
          collection,
          database: "main",
          documentKey: { _id: doc._id },
          fullDocument: doc,
          clusterTime: new Date().toISOString(),
          test: true,
        };
      }
      return unwrap(() =>
        api().POST("/api/scripts/{id}/run", { params: { path: { id } }, body: event ? { event } : {} }),
      ) as Promise<RunResult>;
    },
    onSuccess: (r) => onError(r.error),
  });
  return (
    <Box mt="4">
      <Heading as="h2" size="3" mb="2">
        Test run
      </Heading>
      <Flex gap="2" align="end" wrap="wrap">
        <SegmentedControl.Root value={source} onValueChange={(v) => setSource(v as "sample")}>
          <SegmentedControl.Item value="sample">Sample event</SegmentedControl.Item>
          <SegmentedControl.Item value="document">A real document</SegmentedControl.Item>
        </SegmentedControl.Root>
        {source === "document" ? (
          <>
            <TextField.Root
              placeholder="collection"
              value={collection}
              onChange={(e) => setCollection(e.target.value)}
              aria-label="test collection"
            />
            <TextField.Root
              placeholder="_id"
              value={docId}
              onChange={(e) => setDocId(idToPath(e.target.value))}
              aria-label="test document id"
            />
          </>
        ) : null}
        <Button onClick={() => run.mutate()} loading={run.isPending}>
          Run now
        </Button>
      </Flex>
      {run.error ? <ErrorState error={run.error} /> : null}
      {run.data ? <RunOutput run={run.data} /> : null}
    </Box>
  );
}

function History({ id }: { id: string }) {
  const { status } = useSearch({ from: ROUTE });
  const navigate = useNavigate();
  const q = useQuery({
    queryKey: ["executions", id, status ?? ""],
    queryFn: () => scriptExecutions(id, status),
    refetchInterval: 3000,
  });
  const [open, setOpen] = useState<string | null>(null);
  return (
    <Box mt="5">
      <Heading as="h2" size="3" mb="2">
        Executions
      </Heading>
      <SegmentedControl.Root
        value={status ?? "all"}
        onValueChange={(v) =>
          navigate({
            to: "/scripts/$id",
            params: { id },
            search: { status: v === "all" ? undefined : v },
            replace: true,
          })
        }
      >
        {["all", "succeeded", "failed", "retrying", "running", "skipped"].map((s) => (
          <SegmentedControl.Item key={s} value={s}>
            {s}
          </SegmentedControl.Item>
        ))}
      </SegmentedControl.Root>
      <Query q={q}>
        {({ executions, stats }) => {
          const timed = [...executions].filter((e) => e.durationMs !== null).reverse();
          return (
            <>
              <Flex gap="2" my="2">
                <Badge size="2">runs {stats.total}</Badge>
                <Badge size="2">p50 {formatDuration(stats.durationMs.p50)}</Badge>
                <Badge size="2">p95 {formatDuration(stats.durationMs.p95)}</Badge>
              </Flex>
              <Chart
                label="Run durations (ms)"
                x={timed.map((e) => Math.floor(new Date(e.startedAt).getTime() / 1000))}
                series={[{ label: "duration ms", values: timed.map((e) => e.durationMs) }]}
                height={140}
              />
              {executions.length === 0 ? (
                <Empty>No executions{status ? ` with status ${status}` : ""}.</Empty>
              ) : (
                <Table.Root size="1" variant="surface" mt="2">
                  <Table.Body>
                    {executions.map((e: Execution) => (
                      <Table.Row
                        key={e.runKey}
                        data-testid="execution"
                        data-status={e.status}
                        onClick={() => setOpen(open === e.runKey ? null : e.runKey)}
                      >
                        <Table.Cell>{formatTime(e.startedAt)}</Table.Cell>
                        <Table.Cell>{e.trigger}</Table.Cell>
                        <Table.Cell>
                          <Badge color={e.status === "succeeded" ? "green" : e.status === "failed" ? "red" : "amber"}>
                            {e.status}
                          </Badge>
                        </Table.Cell>
                        <Table.Cell>{formatDuration(e.durationMs)}</Table.Cell>
                        <Table.Cell>
                          {open === e.runKey ? (
                            <>
                              {e.error ? <Text color="red">{e.error.message}</Text> : null}
                              {e.logs.map((l, i) => (
                                <Text as="p" size="1" key={i}>
                                  [{l.level}] {l.message}
                                </Text>
                              ))}
                            </>
                          ) : (
                            <Text size="1" color="gray">
                              {e.logs.length} log lines
                            </Text>
                          )}
                        </Table.Cell>
                      </Table.Row>
                    ))}
                  </Table.Body>
                </Table.Root>
              )}
            </>
          );
        }}
      </Query>
    </Box>
  );
}

export default function ScriptScreen() {
  const { id } = useParams({ from: ROUTE });
  const navigate = useNavigate();
  const qc = useQueryClient();
  const isNew = id === "new";
  const q = useQuery({
    queryKey: ["script", id],
    enabled: !isNew,
    queryFn: () => unwrap(() => api().GET("/api/scripts/{id}", { params: { path: { id } } })) as Promise<Script>,
  });
  const [form, setForm] = useState<Form | null>(null);
  const [runError, setRunError] = useState<ScriptError | null>(null);
  const [localError, setLocalError] = useState<string | null>(null);
  const current = form ?? toForm(q.data);
  const set = (p: Partial<Form>) => setForm({ ...current, ...p });
  const toggle = usePauseResume();
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      isNew
        ? (unwrap(() => api().POST("/api/scripts", { body: body as never })) as Promise<Script>)
        : (unwrap(() =>
            api().PATCH("/api/scripts/{id}", { params: { path: { id } }, body: body as never }),
          ) as Promise<Script>),
    onSuccess: async (s) => {
      setRunError(null);
      await qc.invalidateQueries({ queryKey: ["scripts"] });
      await qc.invalidateQueries({ queryKey: ["script", s.id] });
      setForm(null);
      if (isNew) await navigate({ to: "/scripts/$id", params: { id: s.id }, search: { status: undefined } });
    },
  });
  const remove = useMutation({
    mutationFn: () => unwrap(() => api().DELETE("/api/scripts/{id}", { params: { path: { id } } })),
    onSuccess: async () => (await qc.invalidateQueries({ queryKey: ["scripts"] }), await navigate({ to: "/scripts" })),
  });
  if (!isNew && q.isPending) return <Loading />;
  if (!isNew && q.error) return <ErrorState error={q.error} />;
  const saveError = save.error instanceof ApiError ? save.error : null;
  const details = saveError?.details as { line?: number; message?: string } | undefined;
  const errorLine = details?.line ?? runError?.line;
  const errorMessage = details?.message ?? runError?.message;
  const cron = current.type === "cron" ? previewCron(current.schedule, current.timezone) : null;
  return (
    <>
      <PageHeader
        title={isNew ? "New script" : current.name}
        badge={q.data ? (q.data.enabled ? "active" : "paused") : undefined}
      >
        {q.data ? (
          <>
            <Button variant="soft" onClick={() => toggle.mutate(q.data!)}>
              {q.data.enabled ? "Pause" : "Resume"}
            </Button>
            <ConfirmButton
              label="Delete"
              title="Delete this script?"
              description="Its history goes with it."
              onConfirm={() => remove.mutate()}
            />
          </>
        ) : null}
      </PageHeader>
      <Grid columns="3fr 2fr" gap="4">
        <Box>
          <CodeEditor
            label="script"
            language="javascript"
            value={current.code}
            onChange={(code) => set({ code })}
            errorLine={errorLine}
            errorMessage={errorMessage}
            minHeight={260}
          />
          {errorLine ? (
            <Callout.Root color="red" mt="2" data-testid="script-error">
              <Callout.Text>
                Line {errorLine}: {errorMessage}
              </Callout.Text>
            </Callout.Root>
          ) : null}
        </Box>
        <Flex direction="column" gap="3">
          <label>
            <Text as="div" size="2">
              Name
            </Text>
            <TextField.Root value={current.name} onChange={(e) => set({ name: e.target.value })} required />
          </label>
          <SegmentedControl.Root value={current.type} onValueChange={(v) => set({ type: v as "event" })}>
            <SegmentedControl.Item value="event">On changes</SegmentedControl.Item>
            <SegmentedControl.Item value="cron">On a schedule</SegmentedControl.Item>
          </SegmentedControl.Root>
          {current.type === "event" ? (
            <>
              <label>
                <Text as="div" size="2">
                  Collection (* for all)
                </Text>
                <TextField.Root value={current.collection} onChange={(e) => set({ collection: e.target.value })} />
              </label>
              <label>
                <Text as="div" size="2">
                  Events
                </Text>
                <TextField.Root value={current.events} onChange={(e) => set({ events: e.target.value })} />
              </label>
              <label>
                <Text as="div" size="2">
                  Filter (JSON)
                </Text>
                <TextField.Root
                  value={current.filter}
                  onChange={(e) => set({ filter: e.target.value })}
                  placeholder='{"total": {"$gt": 100}}'
                />
              </label>
            </>
          ) : (
            <>
              <label>
                <Text as="div" size="2">
                  Schedule (5 fields, or 6 with seconds first)
                </Text>
                <TextField.Root
                  value={current.schedule}
                  onChange={(e) => set({ schedule: e.target.value })}
                  aria-label="schedule"
                />
              </label>
              <label>
                <Text as="div" size="2">
                  Time zone
                </Text>
                <TextField.Root
                  value={current.timezone}
                  onChange={(e) => set({ timezone: e.target.value })}
                  aria-label="time zone"
                />
              </label>
              {cron?.ok ? (
                <Text size="1" color="gray">
                  {cron.description}; next:{" "}
                  {cron.next
                    .slice(0, 3)
                    .map((d) => formatInZone(d, current.timezone))
                    .join(" · ")}
                </Text>
              ) : (
                <Text size="1" color="red">
                  {cron && !cron.ok ? cron.error : null}
                </Text>
              )}
            </>
          )}
          <Flex gap="2">
            {LIMIT_FIELDS.map(([key, label]) => (
              <label key={key}>
                <Text as="div" size="1">
                  {label}
                </Text>
                <TextField.Root
                  type="number"
                  value={current[key]}
                  onChange={(e) => set({ [key]: Number(e.target.value) })}
                />
              </label>
            ))}
          </Flex>
          <label>
            <Text as="div" size="2">
              Hosts ctx.fetch may call
            </Text>
            <TextField.Root
              value={current.allowedHosts}
              onChange={(e) => set({ allowedHosts: e.target.value })}
              placeholder="api.example.com, *.hooks.example.com"
            />
          </label>
          {localError ? <ErrorState error={new Error(localError)} /> : null}
          {save.error ? <ErrorState error={save.error} /> : null}
          <Button
            loading={save.isPending}
            onClick={() => {
              const { body, error } = toBody(current);
              setLocalError(error ?? null);
              if (body) save.mutate(body);
            }}
          >
            {isNew ? "Create script" : "Save script"}
          </Button>
        </Flex>
      </Grid>
      {!isNew ? (
        <>
          <TestRun id={id} onError={setRunError} />
          <History id={id} />
        </>
      ) : null}
    </>
  );
}
