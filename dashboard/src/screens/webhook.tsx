import {
  Badge,
  Box,
  Button,
  Callout,
  Card,
  Checkbox,
  Code,
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
import { useEffect, useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { perMinute, webhookDeliveries, webhookStats, type Delivery, type Webhook } from "../api/queries";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { Chart } from "../components/chart";
import { ConfirmButton, CopyButton, Json } from "../components/dialogs";
import { Empty, ErrorState, Loading, Query } from "../components/states";
import { formatDuration, formatPercent, formatTime } from "../lib/format";
import { parseJsonField, parseOptionalJson } from "../lib/json-text";
import { excludePaths } from "../lib/exclude-fields";
import { percentile } from "../lib/trend";

const ROUTE = "/_app/webhooks/$id" as const;
const EVENTS = ["insert", "update", "replace", "delete"];
type Form = {
  url: string;
  collection: string;
  events: string[];
  filter: string;
  excludeFields: string;
  rateLimitPerMinute: number;
  maxAttempts: number;
  headers: string;
  description: string;
  enabled: boolean;
};

const toForm = (w?: Webhook): Form => ({
  url: w?.url ?? "",
  collection: w?.collection ?? "",
  events: w?.events ?? EVENTS,
  filter: w?.filter ? JSON.stringify(w.filter, null, 2) : "",
  excludeFields: (w?.excludeFields ?? []).join(", "),
  rateLimitPerMinute: w?.rateLimitPerMinute ?? 60,
  maxAttempts: w?.maxAttempts ?? 8,
  headers: w && Object.keys(w.headers).length ? JSON.stringify(w.headers, null, 2) : "",
  description: w?.description ?? "",
  enabled: w?.enabled ?? true,
});

function toBody(f: Form): { body?: Record<string, unknown>; error?: string } {
  const filter = parseOptionalJson<Record<string, unknown>>(f.filter, "filter");
  if (filter.error) return { error: filter.error };
  const headers = f.headers.trim()
    ? parseJsonField<Record<string, string>>(f.headers, "headers")
    : { value: {} as Record<string, string> };
  if (headers.error) return { error: headers.error };
  return {
    body: {
      url: f.url.trim(),
      collection: f.collection.trim() || "*",
      events: f.events,
      filter: filter.value,
      headers: headers.value,
      excludeFields: f.excludeFields
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
      rateLimitPerMinute: f.rateLimitPerMinute,
      maxAttempts: f.maxAttempts,
      description: f.description,
      enabled: f.enabled,
    },
  };
}

/** Live checks while editing: which real documents the filter matches, and the payload after excludeFields. */
function LiveChecks({ form }: { form: Form }) {
  const collection = form.collection.trim();
  const filter = form.filter.trim() ? parseJsonField<Record<string, unknown>>(form.filter, "filter") : { value: {} };
  const q = useQuery({
    queryKey: ["wh-match", collection, JSON.stringify(filter.value ?? null)],
    enabled: !!collection && collection !== "*" && !filter.error,
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/db/{collection}", {
          params: { path: { collection }, query: { filter: JSON.stringify(filter.value), limit: 3, count: "true" } },
        }),
      ) as Promise<{ documents: Record<string, unknown>[]; total?: number }>,
  });
  const excluded = form.excludeFields
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  if (!collection || collection === "*")
    return (
      <Text size="2" color="gray">
        Name a collection to check the filter against its documents.
      </Text>
    );
  if (filter.error) return <Text color="red">{filter.error}</Text>;
  return (
    <Box>
      <Query q={q}>
        {(page) => (
          <>
            <Text as="p" size="2" data-testid="filter-matches">
              Would match <b>{page.total ?? page.documents.length}</b> of the documents in {collection} now.
            </Text>
            {page.documents[0] ? (
              <>
                <Text as="p" size="1" color="gray" mt="2">
                  Payload document after excludeFields:
                </Text>
                <Json value={excludePaths(page.documents[0], excluded)} />
              </>
            ) : null}
          </>
        )}
      </Query>
    </Box>
  );
}

function WebhookForm({ initial, onSaved }: { initial?: Webhook; onSaved: (w: Webhook) => void }) {
  const [form, setForm] = useState<Form>(toForm(initial));
  const [localError, setLocalError] = useState<string | null>(null);
  const set = (p: Partial<Form>) => setForm({ ...form, ...p });
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) =>
      initial
        ? (unwrap(() =>
            api().PATCH("/api/webhooks/{id}", { params: { path: { id: initial.id } }, body: body as never }),
          ) as Promise<Webhook>)
        : (unwrap(() => api().POST("/api/webhooks", { body: body as never })) as Promise<Webhook>),
    onSuccess: async (w) => (
      await qc.invalidateQueries({ queryKey: ["webhooks"] }),
      await qc.invalidateQueries({ queryKey: ["webhook", w.id] }),
      onSaved(w)
    ),
  });
  function submit(e: React.FormEvent) {
    e.preventDefault();
    const { body, error } = toBody(form);
    setLocalError(error ?? null);
    if (body) save.mutate(body);
  }
  const label = (text: string, el: React.ReactNode) => (
    <label>
      <Text as="div" size="2" mb="1">
        {text}
      </Text>
      {el}
    </label>
  );
  return (
    <form onSubmit={submit}>
      <Grid columns="2" gap="4">
        <Flex direction="column" gap="3">
          {label(
            "URL",
            <TextField.Root
              value={form.url}
              onChange={(e) => set({ url: e.target.value })}
              required
              placeholder="https://example.com/hooks/docflare"
            />,
          )}
          {label(
            "Collection (* for all)",
            <TextField.Root
              value={form.collection}
              onChange={(e) => set({ collection: e.target.value })}
              placeholder="orders"
            />,
          )}
          <Box>
            <Text as="div" size="2" mb="1">
              Events
            </Text>
            <Flex gap="3">
              {EVENTS.map((ev) => (
                <Text as="label" size="2" key={ev}>
                  <Flex gap="1" align="center">
                    <Checkbox
                      checked={form.events.includes(ev)}
                      onCheckedChange={(v) =>
                        set({ events: v ? [...form.events, ev] : form.events.filter((x) => x !== ev) })
                      }
                    />{" "}
                    {ev}
                  </Flex>
                </Text>
              ))}
            </Flex>
          </Box>
          <Box>
            <Text as="div" size="2" mb="1">
              Filter (MongoDB query on the document)
            </Text>
            <CodeEditor
              label="webhook filter"
              language="json"
              value={form.filter}
              onChange={(filter) => set({ filter })}
              minHeight={60}
            />
          </Box>
          {label(
            "Exclude fields (comma-separated paths)",
            <TextField.Root
              value={form.excludeFields}
              onChange={(e) => set({ excludeFields: e.target.value })}
              placeholder="password, card.number"
            />,
          )}
          <Flex gap="3">
            {label(
              "Rate limit per minute (1-300)",
              <TextField.Root
                type="number"
                min={1}
                max={300}
                value={form.rateLimitPerMinute}
                onChange={(e) => set({ rateLimitPerMinute: Number(e.target.value) })}
              />,
            )}
            {label(
              "Max attempts (1-20)",
              <TextField.Root
                type="number"
                min={1}
                max={20}
                value={form.maxAttempts}
                onChange={(e) => set({ maxAttempts: Number(e.target.value) })}
              />,
            )}
          </Flex>
          <Box>
            <Text as="div" size="2" mb="1">
              Extra headers (JSON object)
            </Text>
            <CodeEditor
              label="webhook headers"
              language="json"
              value={form.headers}
              onChange={(headers) => set({ headers })}
              minHeight={40}
            />
          </Box>
          <Text as="label" size="2">
            <Flex gap="2" align="center">
              <Checkbox checked={form.enabled} onCheckedChange={(v) => set({ enabled: v === true })} /> Enabled
            </Flex>
          </Text>
          {localError ? <ErrorState error={new Error(localError)} /> : null}
          {save.error ? <ErrorState error={save.error} /> : null}
          <Button type="submit" loading={save.isPending}>
            {initial ? "Save webhook" : "Create webhook"}
          </Button>
        </Flex>
        <Card>
          <Heading as="h3" size="2" mb="2">
            Would this document match?
          </Heading>
          <LiveChecks form={form} />
        </Card>
      </Grid>
    </form>
  );
}

function Secret({ secret }: { secret: string }) {
  return (
    <Callout.Root color="green" mb="3" data-testid="secret">
      <Callout.Text>
        Signing secret, shown once: <Code>{secret}</Code> <CopyButton text={secret} />
      </Callout.Text>
    </Callout.Root>
  );
}

function Timeline({ d }: { d: Delivery }) {
  return (
    <div className="timeline">
      {d.log.map((a) => (
        <Text as="p" size="1" key={a.attempt}>
          #{a.attempt} {formatTime(a.at)} · <b>{a.statusCode ?? a.error ?? a.outcome}</b> ·{" "}
          {formatDuration(a.latencyMs)}
        </Text>
      ))}
    </div>
  );
}

/** Per bucket: delivered out of finished (delivered + failed), as a percentage; empty buckets have no point. */
function successPercent(delivered: (number | null)[], failed: (number | null)[]): (number | null)[] {
  return delivered.map((ok, i) => {
    const total = (ok ?? 0) + (failed[i] ?? 0);
    return total ? Math.round(((ok ?? 0) / total) * 100) : null;
  });
}

function Deliveries({ id }: { id: string }) {
  const { status } = useSearch({ from: ROUTE });
  const navigate = useNavigate();
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["deliveries", id, status ?? ""],
    queryFn: () => webhookDeliveries(id, status),
    refetchInterval: 3000,
  });
  const all = useQuery({
    queryKey: ["deliveries", id, ""],
    queryFn: () => webhookDeliveries(id),
    refetchInterval: 5000,
  });
  const stats = useQuery({ queryKey: ["webhook-stats", id], queryFn: () => webhookStats(id), refetchInterval: 5000 });
  const replay = useMutation({
    mutationFn: (deliveryId: string) =>
      unwrap(() =>
        api().POST("/api/webhooks/{id}/deliveries/{deliveryId}/replay", { params: { path: { id, deliveryId } } }),
      ),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["deliveries", id] }),
  });
  const deliveries = all.data?.deliveries ?? [];
  const rate = perMinute(
    deliveries,
    (d) => d.createdAt,
    (d) => d.status,
    ["delivered", "failed"],
  );
  const latencies = new Map<number, number[]>();
  for (const d of deliveries)
    for (const a of d.log) {
      const m = Math.floor(new Date(a.at).getTime() / 60_000) * 60;
      latencies.set(m, [...(latencies.get(m) ?? []), a.latencyMs]);
    }
  const lx = [...latencies.keys()].sort((a, b) => a - b);
  return (
    <Box mt="5">
      <Heading as="h2" size="4" mb="2">
        Deliveries
      </Heading>
      {stats.data ? (
        <Flex gap="3" mb="3">
          <Badge size="2" data-testid="wh-success">
            success {formatPercent(stats.data.successRate)}
          </Badge>
          <Badge size="2">p50 {formatDuration(stats.data.latencyMs.p50)}</Badge>
          <Badge size="2">p95 {formatDuration(stats.data.latencyMs.p95)}</Badge>
        </Flex>
      ) : null}
      <Grid columns="3" gap="3" mb="3">
        <Chart label="Deliveries per minute" {...rate} height={140} />
        <Chart
          label="Success rate per minute (%)"
          x={rate.x}
          height={140}
          series={[{ label: "success %", values: successPercent(rate.series[0].values, rate.series[1].values) }]}
        />
        <Chart
          label="Latency per minute"
          x={lx}
          height={140}
          series={[
            { label: "p50 ms", values: lx.map((m) => percentile(latencies.get(m)!, 50)) },
            { label: "p95 ms", values: lx.map((m) => percentile(latencies.get(m)!, 95)) },
          ]}
        />
      </Grid>
      <SegmentedControl.Root
        value={status ?? "all"}
        onValueChange={(v) =>
          navigate({
            to: "/webhooks/$id",
            params: { id },
            search: { status: v === "all" ? undefined : v },
            replace: true,
          })
        }
      >
        {["all", "delivered", "failed", "retrying", "pending"].map((s) => (
          <SegmentedControl.Item key={s} value={s}>
            {s}
          </SegmentedControl.Item>
        ))}
      </SegmentedControl.Root>
      {replay.error ? <ErrorState error={replay.error} /> : null}
      <Query q={q}>
        {({ deliveries: list }) =>
          list.length === 0 ? (
            <Empty>No deliveries{status ? ` with status ${status}` : ""} yet.</Empty>
          ) : (
            <Table.Root size="1" variant="surface" mt="2">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>When</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Status</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Attempts</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell />
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {list.map((d) => (
                  <Table.Row key={d.id} data-testid="delivery" data-status={d.status}>
                    <Table.Cell>
                      {formatTime(d.createdAt)} {d.test ? <Badge>test</Badge> : null}
                    </Table.Cell>
                    <Table.Cell>
                      <Badge color={d.status === "delivered" ? "green" : d.status === "failed" ? "red" : "amber"}>
                        {d.status}
                      </Badge>
                    </Table.Cell>
                    <Table.Cell>
                      <Timeline d={d} />
                    </Table.Cell>
                    <Table.Cell>
                      {d.status === "failed" || d.status === "delivered" ? (
                        <Button size="1" variant="soft" onClick={() => replay.mutate(d.id)}>
                          Replay
                        </Button>
                      ) : null}
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          )
        }
      </Query>
    </Box>
  );
}

export default function WebhookScreen() {
  const { id } = useParams({ from: ROUTE });
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [secret, setSecret] = useState<string | null>(null);
  useEffect(() => setSecret(history.state?.secret ?? null), [id]);
  const q = useQuery({
    queryKey: ["webhook", id],
    enabled: id !== "new",
    queryFn: () => unwrap(() => api().GET("/api/webhooks/{id}", { params: { path: { id } } })) as Promise<Webhook>,
  });
  const rotate = useMutation({
    mutationFn: () =>
      unwrap(() => api().POST("/api/webhooks/{id}/rotate-secret", { params: { path: { id } } })) as Promise<{
        secret: string;
      }>,
    onSuccess: (r) => setSecret(r.secret),
  });
  const test = useMutation({
    mutationFn: () =>
      unwrap(() => api().POST("/api/webhooks/{id}/test", { params: { path: { id } } })) as Promise<{
        ok: boolean;
        statusCode: number | null;
        error: string | null;
        latencyMs: number;
      }>,
    onSuccess: () => qc.invalidateQueries({ queryKey: ["deliveries", id] }),
  });
  const remove = useMutation({
    mutationFn: () => unwrap(() => api().DELETE("/api/webhooks/{id}", { params: { path: { id } } })),
    onSuccess: async () => (
      await qc.invalidateQueries({ queryKey: ["webhooks"] }),
      await navigate({ to: "/webhooks" })
    ),
  });
  if (id === "new")
    return (
      <>
        <PageHeader title="New webhook" />
        <WebhookForm
          onSaved={(w) =>
            navigate({
              to: "/webhooks/$id",
              params: { id: w.id },
              search: { status: undefined },
              state: { secret: w.secret } as never,
            })
          }
        />
      </>
    );
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorState error={q.error} />;
  return (
    <>
      <PageHeader title="Webhook" badge={q.data.enabled ? "enabled" : "disabled"}>
        <Button variant="soft" onClick={() => test.mutate()} loading={test.isPending}>
          Send test
        </Button>
        <ConfirmButton
          label="Rotate secret"
          color="gray"
          title="Rotate the signing secret?"
          description="Deliveries are signed with the new secret from now on."
          onConfirm={() => rotate.mutate()}
        />
        <ConfirmButton
          label="Delete"
          title="Delete this webhook?"
          description="Its delivery log goes with it."
          onConfirm={() => remove.mutate()}
        />
      </PageHeader>
      {secret ? <Secret secret={secret} /> : null}
      {test.data ? (
        <Callout.Root color={test.data.ok ? "green" : "red"} mb="3" data-testid="test-result">
          <Callout.Text>
            Test delivery {test.data.ok ? "succeeded" : "failed"}: {test.data.statusCode ?? test.data.error} in{" "}
            {formatDuration(test.data.latencyMs)}
          </Callout.Text>
        </Callout.Root>
      ) : null}
      {[test.error, rotate.error, remove.error].filter(Boolean).map((e, i) => (
        <ErrorState key={i} error={e instanceof ApiError ? e : new Error(String(e))} />
      ))}
      <WebhookForm key={JSON.stringify(q.data)} initial={q.data} onSaved={() => undefined} />
      <Deliveries id={id} />
    </>
  );
}
