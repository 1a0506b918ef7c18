import { Badge, Box, DataList, Flex, Grid, Heading, Table, Text } from "@radix-ui/themes";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, rawFetch, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { Chart } from "../components/chart";
import { Empty, Query } from "../components/states";
import { formatTime } from "../lib/format";
import { parseMetrics, type Sample } from "../lib/metrics";

type Leadership = {
  coordinator: string;
  holder: string | null;
  fencingToken: number | null;
  leaderSince: string | null;
  leaseExpiresAt: string | null;
  lastTick: string | null;
  lastTickSource: string | null;
  nextAlarm: string | null;
  jobs: number;
  dispatchBacklog: number;
};
type Lock = { name: string; holder: string; fencingToken: number; expiresAt: string };
type Status = {
  backend: string;
  scriptRunner: string;
  backlog: {
    outbox: { pending: number; inFlight: number };
    webhookDeliveries: number;
    scriptRuns: number;
    scheduledDispatch: number;
  };
};

/** Polls the Prometheus text while the screen is open and charts request and error rates between scrapes. */
function useMetricsSeries() {
  const [points, setPoints] = useState<{ t: number; s: Sample }[]>([]);
  useEffect(() => {
    let stop = false;
    const tick = async () => {
      try {
        const text = await (await rawFetch("/api/cluster/metrics")).text();
        if (!stop) setPoints((p) => [...p.slice(-59), { t: Math.floor(Date.now() / 1000), s: parseMetrics(text) }]);
      } catch {
        // The status panels show API errors; a missed scrape leaves a gap in the chart.
      }
    };
    void tick();
    const timer = setInterval(tick, 5000);
    return () => ((stop = true), clearInterval(timer));
  }, []);
  const rates = points.slice(1).map((p, i) => {
    const dt = Math.max(1, p.t - points[i].t);
    return {
      t: p.t,
      requests: Math.max(0, (p.s.requests - points[i].s.requests) / dt),
      errors: Math.max(0, (p.s.errors - points[i].s.errors) / dt),
    };
  });
  return {
    x: rates.map((r) => r.t),
    series: [
      { label: "requests/s", values: rates.map((r) => r.requests) },
      { label: "errors/s", values: rates.map((r) => r.errors) },
    ],
    latest: points.at(-1)?.s,
  };
}

export default function Cluster() {
  const leadership = useQuery({
    queryKey: ["leadership"],
    queryFn: () => unwrap(() => api().GET("/api/cluster/leadership")) as Promise<Leadership>,
    refetchInterval: 5000,
  });
  const locks = useQuery({
    queryKey: ["locks"],
    queryFn: () => unwrap(() => api().GET("/api/cluster/locks")) as Promise<{ locks: Lock[] }>,
    refetchInterval: 5000,
  });
  const status = useQuery({
    queryKey: ["cluster-status"],
    queryFn: () => unwrap(() => api().GET("/api/cluster/status")) as Promise<Status>,
    refetchInterval: 5000,
  });
  const metrics = useMetricsSeries();
  return (
    <>
      <PageHeader title="Cluster" />
      <Grid columns="2" gap="4">
        <Box>
          <Heading as="h2" size="3" mb="2">
            Scheduler leadership
          </Heading>
          <Query q={leadership}>
            {(l) => (
              <DataList.Root>
                <DataList.Item>
                  <DataList.Label>Holder</DataList.Label>
                  <DataList.Value data-testid="leader">{l.holder ?? "none (elected on the next tick)"}</DataList.Value>
                </DataList.Item>
                <DataList.Item>
                  <DataList.Label>Fencing token</DataList.Label>
                  <DataList.Value>{l.fencingToken ?? "—"}</DataList.Value>
                </DataList.Item>
                <DataList.Item>
                  <DataList.Label>Leader since</DataList.Label>
                  <DataList.Value>{formatTime(l.leaderSince)}</DataList.Value>
                </DataList.Item>
                <DataList.Item>
                  <DataList.Label>Last tick</DataList.Label>
                  <DataList.Value>
                    {formatTime(l.lastTick)} {l.lastTickSource ? <Badge>{l.lastTickSource}</Badge> : null}
                  </DataList.Value>
                </DataList.Item>
                <DataList.Item>
                  <DataList.Label>Next alarm</DataList.Label>
                  <DataList.Value>{formatTime(l.nextAlarm)}</DataList.Value>
                </DataList.Item>
                <DataList.Item>
                  <DataList.Label>Scheduled jobs</DataList.Label>
                  <DataList.Value>{l.jobs}</DataList.Value>
                </DataList.Item>
              </DataList.Root>
            )}
          </Query>
        </Box>
        <Box>
          <Heading as="h2" size="3" mb="2">
            Backlogs
          </Heading>
          <Query q={status}>
            {(s) => (
              <Flex gap="2" wrap="wrap">
                <Badge size="2">backend {s.backend}</Badge>
                <Badge size="2">runner {s.scriptRunner}</Badge>
                <Badge size="2">outbox pending {s.backlog.outbox.pending}</Badge>
                <Badge size="2">outbox in flight {s.backlog.outbox.inFlight}</Badge>
                <Badge size="2">webhook deliveries {s.backlog.webhookDeliveries}</Badge>
                <Badge size="2">script runs {s.backlog.scriptRuns}</Badge>
                <Badge size="2">scheduled dispatch {s.backlog.scheduledDispatch}</Badge>
              </Flex>
            )}
          </Query>
        </Box>
      </Grid>
      <Heading as="h2" size="3" mt="4" mb="2">
        Held locks
      </Heading>
      <Query q={locks}>
        {({ locks: list }) =>
          list.length === 0 ? (
            <Empty>No locks are held.</Empty>
          ) : (
            <Table.Root size="1" variant="surface">
              <Table.Body>
                {list.map((l) => (
                  <Table.Row key={l.name}>
                    <Table.RowHeaderCell>{l.name}</Table.RowHeaderCell>
                    <Table.Cell>{l.holder}</Table.Cell>
                    <Table.Cell>token {l.fencingToken}</Table.Cell>
                    <Table.Cell>expires {formatTime(l.expiresAt)}</Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          )
        }
      </Query>
      <Heading as="h2" size="3" mt="4" mb="2">
        Requests (this isolate, sampled every 5 s)
      </Heading>
      <Chart label="Requests and errors per second" x={metrics.x} series={metrics.series} />
      {metrics.latest ? (
        <Text size="1" color="gray">
          {metrics.latest.requests} requests, {metrics.latest.errors} errors, {metrics.latest.locksHeld} locks held
          since the isolate started
        </Text>
      ) : null}
    </>
  );
}
