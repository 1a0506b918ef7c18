import { Badge, Button, Table } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { api, unwrap } from "../api/client";
import { listScripts, type Script } from "../api/queries";
import { PageHeader } from "../components/layout";
import { Empty, ErrorState, Query } from "../components/states";

export function usePauseResume() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (s: Script) =>
      s.enabled
        ? unwrap(() => api().POST("/api/scripts/{id}/pause", { params: { path: { id: s.id } } }))
        : unwrap(() => api().POST("/api/scripts/{id}/resume", { params: { path: { id: s.id } } })),
    onSuccess: () =>
      Promise.all([
        qc.invalidateQueries({ queryKey: ["scripts"] }),
        qc.invalidateQueries({ queryKey: ["script"] }),
        qc.invalidateQueries({ queryKey: ["schedules"] }),
      ]),
  });
}

export default function Scripts() {
  const q = useQuery({ queryKey: ["scripts"], queryFn: listScripts });
  const toggle = usePauseResume();
  return (
    <>
      <PageHeader title="Scripts">
        <Link to="/scripts/$id" params={{ id: "new" }} search={{ status: undefined }}>
          <Button>New script</Button>
        </Link>
      </PageHeader>
      {toggle.error ? <ErrorState error={toggle.error} /> : null}
      <Query q={q}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No scripts. A script runs sandboxed JavaScript on every change or on a schedule.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Trigger</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>State</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell />
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {list.map((s) => (
                  <Table.Row key={s.id}>
                    <Table.RowHeaderCell>
                      <Link to="/scripts/$id" params={{ id: s.id }} search={{ status: undefined }}>
                        {s.name}
                      </Link>
                    </Table.RowHeaderCell>
                    <Table.Cell>
                      {s.trigger.type === "cron"
                        ? `cron ${s.trigger.schedule} (${s.trigger.timezone})`
                        : `${s.trigger.events.join(", ")} on ${s.trigger.collection}`}
                    </Table.Cell>
                    <Table.Cell>
                      {s.enabled ? <Badge color="green">active</Badge> : <Badge color="gray">paused</Badge>}
                    </Table.Cell>
                    <Table.Cell>
                      <Button size="1" variant="soft" onClick={() => toggle.mutate(s)}>
                        {s.enabled ? "Pause" : "Resume"}
                      </Button>
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          )
        }
      </Query>
    </>
  );
}
