import { Badge, Box, Card, Flex, Grid, Heading, Table, Text } from "@radix-ui/themes";
import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap } from "../api/client";
import {
  listCollections,
  listScripts,
  listWebhooks,
  perMinute,
  scriptExecutions,
  webhookDeliveries,
} from "../api/queries";
import { PageHeader } from "../components/layout";
import { Chart } from "../components/chart";
import { Empty, ErrorState, Query } from "../components/states";
import { formatBytes, formatPercent } from "../lib/format";

type Status = {
  backend: string;
  backlog: {
    outbox: { pending: number; inFlight: number };
    webhookDeliveries: number;
    scriptRuns: number;
    scheduledDispatch: number;
  };
  webhooks: number;
  scripts: number;
  locks: { active: number };
};

function Stat({ label, value, testid }: { label: string; value: React.ReactNode; testid?: string }) {
  return (
    <Card>
      <Text as="div" size="1" color="gray">
        {label}
      </Text>
      <Text as="div" size="5" weight="bold" data-testid={testid}>
        {value}
      </Text>
    </Card>
  );
}

export default function Overview() {
  const health = useQuery({ queryKey: ["health"], queryFn: () => unwrap(() => api().GET("/health")) });
  const ready = useQuery({
    queryKey: ["ready"],
    queryFn: () => unwrap(() => api().GET("/ready")) as Promise<{ status: string; backend: string }>,
  });
  const status = useQuery({
    queryKey: ["cluster-status"],
    queryFn: () => unwrap(() => api().GET("/api/cluster/status")) as Promise<Status>,
    refetchInterval: 10_000,
  });
  const collections = useQuery({ queryKey: ["collections"], queryFn: listCollections });
  const webhooks = useQuery({ queryKey: ["webhooks"], queryFn: listWebhooks });
  const scripts = useQuery({ queryKey: ["scripts"], queryFn: listScripts });
  const deliveries = useQueries({
    queries: (webhooks.data ?? [])
      .slice(0, 20)
      .map((w) => ({ queryKey: ["deliveries", w.id, ""], queryFn: () => webhookDeliveries(w.id) })),
  });
  const runs = useQueries({
    queries: (scripts.data ?? [])
      .slice(0, 20)
      .map((s) => ({ queryKey: ["executions", s.id, ""], queryFn: () => scriptExecutions(s.id) })),
  });

  const allDeliveries = deliveries.flatMap((d) => d.data?.deliveries ?? []);
  const allRuns = runs.flatMap((r) => r.data?.executions ?? []);
  const finished = allDeliveries.filter((d) => d.status === "delivered" || d.status === "failed");
  const rate = finished.length ? finished.filter((d) => d.status === "delivered").length / finished.length : null;
  const deliverySeries = perMinute(
    allDeliveries,
    (d) => d.createdAt,
    (d) => d.status,
    ["delivered", "failed", "retrying"],
  );
  const runSeries = perMinute(
    allRuns,
    (r) => r.startedAt,
    (r) => r.status,
    ["succeeded", "failed", "retrying"],
  );
  const errors = [
    ...allDeliveries
      .filter((d) => d.lastError)
      .map((d) => ({ at: d.updatedAt, what: `webhook delivery ${d.id}`, message: d.lastError! })),
    ...allRuns
      .filter((r) => r.error)
      .map((r) => ({
        at: r.finishedAt ?? r.startedAt,
        what: `script run ${r.runKey.split(":")[0]}`,
        message: `${r.error!.code ?? r.error!.name}: ${r.error!.message}`,
      })),
  ]
    .sort((a, b) => b.at.localeCompare(a.at))
    .slice(0, 8);

  return (
    <>
      <PageHeader title="Overview" />
      <Grid columns={{ initial: "2", md: "4" }} gap="3" mb="4">
        <Stat
          label="Health"
          value={health.error ? <Badge color="red">down</Badge> : health.data ? <Badge color="green">ok</Badge> : "…"}
          testid="health"
        />
        <Stat
          label="Readiness"
          value={
            ready.error ? (
              <Badge color="red">not ready</Badge>
            ) : ready.data ? (
              <Badge color="green">{`ready · ${ready.data.backend}`}</Badge>
            ) : (
              "…"
            )
          }
          testid="ready"
        />
        <Stat label="Webhook success rate" value={formatPercent(rate)} testid="success-rate" />
        <Stat label="Outbox pending" value={status.data ? status.data.backlog.outbox.pending : "…"} />
      </Grid>
      {status.error ? <ErrorState error={status.error} /> : null}
      {status.data ? (
        <Flex gap="3" mb="4" wrap="wrap">
          <Badge size="2">webhook backlog {status.data.backlog.webhookDeliveries}</Badge>
          <Badge size="2">script run backlog {status.data.backlog.scriptRuns}</Badge>
          <Badge size="2">scheduled dispatch {status.data.backlog.scheduledDispatch}</Badge>
          <Badge size="2">locks held {status.data.locks.active}</Badge>
        </Flex>
      ) : null}
      <Grid columns={{ initial: "1", md: "2" }} gap="4" mb="4">
        <Box>
          <Heading as="h2" size="3" mb="2">
            Webhook deliveries per minute
          </Heading>
          <Chart label="Webhook deliveries per minute" {...deliverySeries} />
        </Box>
        <Box>
          <Heading as="h2" size="3" mb="2">
            Script runs per minute
          </Heading>
          <Chart label="Script runs per minute" {...runSeries} />
        </Box>
      </Grid>
      <Heading as="h2" size="3" mb="2">
        Collections
      </Heading>
      <Query q={collections}>
        {(list) =>
          list.length === 0 ? (
            <Empty>
              No collections yet. <Link to="/collections">Create one</Link> or{" "}
              <Link to="/import" search={{ collection: undefined }}>
                import a file
              </Link>
              .
            </Empty>
          ) : (
            <Table.Root size="1" variant="surface" mb="4">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Documents</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Size</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {list.map((c) => (
                  <Table.Row key={c.name}>
                    <Table.RowHeaderCell>
                      <Link to="/collections/$name/documents" params={{ name: c.name }}>
                        {c.name}
                      </Link>
                    </Table.RowHeaderCell>
                    <Table.Cell>{c.count}</Table.Cell>
                    <Table.Cell>{formatBytes(c.sizeBytes)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          )
        }
      </Query>
      <Heading as="h2" size="3" mb="2">
        Recent errors
      </Heading>
      {errors.length === 0 ? (
        <Empty>No recent errors.</Empty>
      ) : (
        <Table.Root size="1" variant="surface">
          <Table.Body>
            {errors.map((e, i) => (
              <Table.Row key={i}>
                <Table.Cell>{new Date(e.at).toLocaleString()}</Table.Cell>
                <Table.Cell>{e.what}</Table.Cell>
                <Table.Cell>{e.message}</Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      )}
    </>
  );
}
