import { Badge, Box, Card, Flex, Heading, Table, Text, TextField } from "@radix-ui/themes";
import { useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { Empty, Query } from "../components/states";
import { formatDuration, formatTime } from "../lib/format";
import { formatInZone, missedRuns, previewCron } from "../lib/cron-preview";

type Scheduled = {
  scriptId: string;
  name: string;
  schedule: string;
  timezone: string;
  paused: boolean;
  enabled: boolean;
  nextRuns: string[];
  lastRun: {
    scheduledAt: string;
    finishedAt: string | null;
    outcome: string;
    error: { message: string } | null;
    durationMs: number | null;
  } | null;
};

/** Type a schedule, see it in words and its next runs in a zone, as you type. */
function CronBuilder() {
  const [expr, setExpr] = useState("0 30 9 * * 1-5");
  const [zone, setZone] = useState(Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC");
  const p = previewCron(expr, zone);
  return (
    <Card mb="4">
      <Heading as="h2" size="3" mb="2">
        Cron builder
      </Heading>
      <Flex gap="3" wrap="wrap">
        <label>
          <Text as="div" size="2">
            Schedule (seconds first when 6 fields)
          </Text>
          <TextField.Root
            value={expr}
            onChange={(e) => setExpr(e.target.value)}
            aria-label="cron expression"
            style={{ width: 240 }}
          />
        </label>
        <label>
          <Text as="div" size="2">
            Time zone
          </Text>
          <TextField.Root
            value={zone}
            onChange={(e) => setZone(e.target.value)}
            aria-label="cron time zone"
            style={{ width: 220 }}
          />
        </label>
      </Flex>
      {p.ok ? (
        <Box mt="2" data-testid="cron-preview">
          <Text as="p" size="2" weight="medium" data-testid="cron-words">
            {p.description}
          </Text>
          <ol>
            {p.next.map((d) => (
              <li key={d.getTime()} data-testid="cron-next">
                <Text size="2">{formatInZone(d, zone)}</Text>
              </li>
            ))}
          </ol>
        </Box>
      ) : (
        <Text as="p" color="red" size="2" mt="2" role="alert">
          {p.error}
        </Text>
      )}
    </Card>
  );
}

export default function Schedules() {
  const q = useQuery({
    queryKey: ["schedules"],
    queryFn: () => unwrap(() => api().GET("/api/scripts/scheduled/list")) as Promise<{ scheduled: Scheduled[] }>,
    refetchInterval: 10_000,
  });
  const [zone, setZone] = useState("");
  return (
    <>
      <PageHeader title="Schedules" />
      <CronBuilder />
      <Flex gap="2" align="center" mb="2">
        <Text size="2">Show times in</Text>
        <TextField.Root
          value={zone}
          onChange={(e) => setZone(e.target.value)}
          placeholder="each schedule's own zone"
          aria-label="display time zone"
        />
      </Flex>
      <Query q={q}>
        {({ scheduled }) =>
          scheduled.length === 0 ? (
            <Empty>No scheduled scripts. A script with a cron trigger appears here.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Script</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Schedule</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Next five runs</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Last run</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Missed</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {scheduled.map((s) => {
                  const tz = zone.trim() || s.timezone;
                  const p = previewCron(s.schedule, s.timezone);
                  let zoneOk = true;
                  try {
                    formatInZone(new Date(), tz);
                  } catch {
                    zoneOk = false;
                  }
                  return (
                    <Table.Row key={s.scriptId}>
                      <Table.RowHeaderCell>
                        <Link to="/scripts/$id" params={{ id: s.scriptId }} search={{ status: undefined }}>
                          {s.name}
                        </Link>{" "}
                        {s.paused || !s.enabled ? <Badge color="gray">paused</Badge> : null}
                      </Table.RowHeaderCell>
                      <Table.Cell>
                        <code>{s.schedule}</code>
                        <Text as="div" size="1" color="gray">
                          {p.ok ? p.description : p.error} ({s.timezone})
                        </Text>
                      </Table.Cell>
                      <Table.Cell>
                        {s.nextRuns.map((r) => (
                          <Text as="div" size="1" key={r}>
                            {zoneOk ? formatInZone(new Date(r), tz) : r}
                          </Text>
                        ))}
                      </Table.Cell>
                      <Table.Cell>
                        {s.lastRun ? (
                          <>
                            <Badge color={s.lastRun.outcome === "succeeded" ? "green" : "red"}>
                              {s.lastRun.outcome}
                            </Badge>
                            <Text as="div" size="1">
                              {formatTime(s.lastRun.scheduledAt)} · {formatDuration(s.lastRun.durationMs)}
                            </Text>
                          </>
                        ) : (
                          "—"
                        )}
                      </Table.Cell>
                      <Table.Cell>
                        {s.paused || !s.enabled
                          ? "—"
                          : missedRuns(s.schedule, s.timezone, s.lastRun?.scheduledAt ?? null)}
                      </Table.Cell>
                    </Table.Row>
                  );
                })}
              </Table.Body>
            </Table.Root>
          )
        }
      </Query>
    </>
  );
}
