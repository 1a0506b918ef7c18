import { Badge, Button, Flex, Table, Text, TextField } from "@radix-ui/themes";
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { ConfirmButton } from "../components/dialogs";
import { Labelled } from "../components/form";
import { PageHeader, useSession } from "../components/layout";
import { ErrorState, Query } from "../components/states";
import { formatBytes, formatTime } from "../lib/format";
import { setSession } from "../session";

type Database = { name: string; createdAt?: string };
type Stats = { collections: number; documents: number; sizeBytes: number; indexes: number };

/** The tenant's databases: which one the dashboard works on, their sizes, creating and dropping them. */
export default function Databases() {
  const qc = useQueryClient();
  const session = useSession();
  const current = session?.database ?? "main";
  const q = useQuery({
    queryKey: ["databases"],
    queryFn: () => unwrap(() => api().GET("/api/databases")) as Promise<{ databases: Database[] }>,
  });
  const names = q.data?.databases.map((d) => d.name) ?? [];
  const stats = useQueries({
    queries: names.map((name) => ({
      queryKey: ["database", name],
      queryFn: () => unwrap(() => api().GET("/api/databases/{name}", { params: { path: { name } } })) as Promise<Stats>,
    })),
  });
  const [name, setName] = useState("");
  const create = useMutation({
    mutationFn: () => unwrap(() => api().POST("/api/databases", { body: { name } })),
    onSuccess: async () => (setName(""), await qc.invalidateQueries({ queryKey: ["databases"] })),
  });
  const drop = useMutation({
    mutationFn: (db: string) =>
      unwrap(() => api().DELETE("/api/databases/{name}", { params: { path: { name: db }, query: { confirm: db } } })),
    onSuccess: async (_r, db) => {
      if (db === current) use("main");
      await qc.invalidateQueries({ queryKey: ["databases"] });
      await qc.invalidateQueries({ queryKey: ["database", db] });
    },
  });
  /** Every screen reads the chosen database from then on; cached answers of the previous one are dropped. */
  function use(db: string) {
    if (session) setSession({ ...session, database: db === "main" ? undefined : db });
    qc.clear();
  }
  return (
    <>
      <PageHeader title="Databases" />
      <Text as="p" size="2" color="gray" mb="3">
        Each database has its own collections. The API addresses one with the <code>X-Docflare-Database</code> header
        (default <code>main</code>); a database also appears the first time a request addresses it.
      </Text>
      <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <Flex gap="3" align="end" mb="3">
          <Labelled label="New database">
            <TextField.Root value={name} onChange={(e) => setName(e.target.value)} required placeholder="analytics" />
          </Labelled>
          <Button type="submit" loading={create.isPending}>
            Create
          </Button>
        </Flex>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      {drop.error ? <ErrorState error={drop.error} /> : null}
      <Query q={q}>
        {({ databases }) => (
          <Table.Root variant="surface">
            <Table.Header>
              <Table.Row>
                <Table.ColumnHeaderCell>Database</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Collections</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Documents</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Size</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell>Created</Table.ColumnHeaderCell>
                <Table.ColumnHeaderCell />
              </Table.Row>
            </Table.Header>
            <Table.Body>
              {databases.map((d, i) => {
                const s = stats[i]?.data;
                return (
                  <Table.Row key={d.name} data-testid="database-row">
                    <Table.RowHeaderCell>
                      {d.name} {d.name === current ? <Badge color="green">in use</Badge> : null}
                    </Table.RowHeaderCell>
                    <Table.Cell>{s?.collections ?? "…"}</Table.Cell>
                    <Table.Cell>{s?.documents ?? "…"}</Table.Cell>
                    <Table.Cell>{s ? formatBytes(s.sizeBytes) : "…"}</Table.Cell>
                    <Table.Cell>{d.createdAt ? formatTime(d.createdAt) : "always there"}</Table.Cell>
                    <Table.Cell>
                      <Flex gap="2">
                        <Button size="1" variant="soft" disabled={d.name === current} onClick={() => use(d.name)}>
                          Use
                        </Button>
                        <ConfirmButton
                          label={d.name === "main" ? "Empty" : "Drop"}
                          title={d.name === "main" ? "Empty main?" : `Drop ${d.name}?`}
                          description={`Every collection in ${d.name} and every document in them is deleted.${d.name === "main" ? " The main database itself stays." : ""}`}
                          typed={d.name}
                          onConfirm={() => drop.mutate(d.name)}
                        />
                      </Flex>
                    </Table.Cell>
                  </Table.Row>
                );
              })}
            </Table.Body>
          </Table.Root>
        )}
      </Query>
    </>
  );
}
