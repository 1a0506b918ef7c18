import { Badge, Button, Table } from "@radix-ui/themes";
import { useQueries, useQuery } from "@tanstack/react-query";
import { Link } from "@tanstack/react-router";
import { listWebhooks, webhookDeliveries } from "../api/queries";
import { PageHeader } from "../components/layout";
import { Sparkline } from "../components/chart";
import { Empty, Query } from "../components/states";
import { successTrend } from "../lib/trend";

export default function Webhooks() {
  const q = useQuery({ queryKey: ["webhooks"], queryFn: listWebhooks });
  const logs = useQueries({
    queries: (q.data ?? []).map((w) => ({
      queryKey: ["deliveries", w.id, ""],
      queryFn: () => webhookDeliveries(w.id),
    })),
  });
  return (
    <>
      <PageHeader title="Webhooks">
        <Link to="/webhooks/$id" params={{ id: "new" }} search={{ status: undefined }}>
          <Button>New webhook</Button>
        </Link>
      </PageHeader>
      <Query q={q}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No webhooks. Create one to receive every change to a collection, signed.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>URL</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Collection</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Events</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>State</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Success</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {list.map((w, i) => (
                  <Table.Row key={w.id}>
                    <Table.RowHeaderCell>
                      <Link to="/webhooks/$id" params={{ id: w.id }} search={{ status: undefined }}>
                        {w.url}
                      </Link>
                    </Table.RowHeaderCell>
                    <Table.Cell>{w.collection}</Table.Cell>
                    <Table.Cell>{w.events.join(", ")}</Table.Cell>
                    <Table.Cell>
                      {w.enabled ? (
                        <Badge color="green">enabled</Badge>
                      ) : (
                        <Badge color="gray">{w.disabledReason ?? "disabled"}</Badge>
                      )}
                    </Table.Cell>
                    <Table.Cell>
                      <Sparkline
                        label={`success rate of ${w.url}`}
                        values={successTrend(logs[i]?.data?.deliveries ?? [])}
                      />
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
