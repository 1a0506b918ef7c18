import { Badge, Button, Flex, Table, Text, TextField } from "@radix-ui/themes";
import { useInfiniteQuery } from "@tanstack/react-query";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { Empty, ErrorState, Loading } from "../components/states";
import { Labelled } from "../components/form";
import { formatTime } from "../lib/format";

type Entry = {
  seq: number;
  at: string;
  actor: string;
  client: string | null;
  action: string;
  target: string | null;
  status: number;
  code: string | null;
};

export default function Audit() {
  const search = useSearch({ from: "/_app/audit" }) as { actor?: string; action?: string; since?: string };
  const navigate = useNavigate();
  const [actor, setActor] = useState(search.actor ?? "");
  const [action, setAction] = useState(search.action ?? "");
  const [since, setSince] = useState(search.since ?? "");
  const q = useInfiniteQuery({
    queryKey: ["audit", search],
    initialPageParam: undefined as number | undefined,
    getNextPageParam: (last: { nextBefore: number | null }) => last.nextBefore ?? undefined,
    queryFn: ({ pageParam }) =>
      unwrap(() =>
        api().GET("/api/audit", {
          params: {
            query: {
              limit: "50",
              ...(search.actor ? { actor: search.actor } : {}),
              ...(search.action ? { action: search.action } : {}),
              ...(search.since ? { since: new Date(search.since).toISOString() } : {}),
              ...(pageParam ? { before: String(pageParam) } : {}),
            } as never,
          },
        }),
      ) as Promise<{ entries: Entry[]; nextBefore: number | null }>,
  });
  const entries = q.data?.pages.flatMap((p) => p.entries) ?? [];
  return (
    <>
      <PageHeader title="Audit trail" />
      <form
        onSubmit={(e) => (
          e.preventDefault(),
          navigate({
            to: "/audit",
            search: { actor: actor || undefined, action: action || undefined, since: since || undefined } as never,
          })
        )}
      >
        <Flex gap="3" align="end" mb="3" wrap="wrap">
          <Labelled label="Actor">
            <TextField.Root value={actor} onChange={(e) => setActor(e.target.value)} placeholder="key:… or user:…" />
          </Labelled>
          <Labelled label="Action">
            <TextField.Root value={action} onChange={(e) => setAction(e.target.value)} placeholder="POST /api/keys" />
          </Labelled>
          <Labelled label="Since">
            <TextField.Root type="datetime-local" value={since} onChange={(e) => setSince(e.target.value)} />
          </Labelled>
          <Button type="submit">Filter</Button>
        </Flex>
      </form>
      {q.isPending ? <Loading /> : null}
      {q.error ? <ErrorState error={q.error} onRetry={() => q.refetch()} /> : null}
      {q.data && entries.length === 0 ? <Empty>No entries match.</Empty> : null}
      {entries.length ? (
        <Table.Root size="1" variant="surface">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeaderCell>When</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Actor</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>From</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Action</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Outcome</Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {entries.map((e) => (
              <Table.Row key={e.seq} data-testid="audit-row">
                <Table.Cell>{formatTime(e.at)}</Table.Cell>
                <Table.Cell>{e.actor}</Table.Cell>
                <Table.Cell>{e.client ?? "—"}</Table.Cell>
                <Table.Cell>
                  {e.action} {e.target ? <Text color="gray">{e.target}</Text> : null}
                </Table.Cell>
                <Table.Cell>
                  <Badge color={e.status < 400 ? "green" : "red"}>{e.status}</Badge> {e.code}
                </Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      ) : null}
      {q.hasNextPage ? (
        <Button mt="3" variant="soft" onClick={() => q.fetchNextPage()} loading={q.isFetchingNextPage}>
          Older entries
        </Button>
      ) : null}
    </>
  );
}
