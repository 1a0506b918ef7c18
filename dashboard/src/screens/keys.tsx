import { Badge, Button, Callout, Code, Flex, Table, TextField } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { RoleSelect } from "../components/role-select";
import { ConfirmButton, CopyButton } from "../components/dialogs";
import { Empty, ErrorState, Query } from "../components/states";
import { Labelled, csv } from "../components/form";
import { formatTime } from "../lib/format";

type Key = { id: string; name: string; role: string; collections: string[] | null; createdAt: string; prefix?: string };

export default function Keys() {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["keys"],
    queryFn: () => unwrap(() => api().GET("/api/keys")) as Promise<{ tenant: string; keys: Key[] }>,
  });
  const [name, setName] = useState("");
  const [role, setRole] = useState("read");
  const [collections, setCollections] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(() =>
        api().POST("/api/keys", {
          body: { name, role, ...(collections.trim() ? { collections: csv(collections) } : {}) },
        }),
      ) as Promise<{ token: string }>,
    onSuccess: async (r) => (
      setCreated(r.token),
      setName(""),
      setCollections(""),
      await qc.invalidateQueries({ queryKey: ["keys"] })
    ),
  });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(() => api().DELETE("/api/keys/{id}", { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["keys"] }),
  });
  return (
    <>
      <PageHeader title="API keys" />
      <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <Flex gap="3" align="end" wrap="wrap" mb="3">
          <Labelled label="Name">
            <TextField.Root value={name} onChange={(e) => setName(e.target.value)} required placeholder="reporting" />
          </Labelled>
          <Labelled label="Role">
            <RoleSelect value={role} onChange={setRole} label="role" />
          </Labelled>
          <Labelled label="Collections (empty: all)">
            <TextField.Root
              value={collections}
              onChange={(e) => setCollections(e.target.value)}
              placeholder="orders, customers"
            />
          </Labelled>
          <Button type="submit" loading={create.isPending}>
            Create key
          </Button>
        </Flex>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      {revoke.error ? <ErrorState error={revoke.error} /> : null}
      {created ? (
        <Callout.Root color="green" mb="3" data-testid="new-key">
          <Callout.Text>
            The key, shown once: <Code>{created}</Code> <CopyButton text={created} />
          </Callout.Text>
        </Callout.Root>
      ) : null}
      <Query q={q}>
        {({ keys }) =>
          keys.length === 0 ? (
            <Empty>No API keys in this tenant.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Role</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Collections</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Created</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell />
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {keys.map((k) => (
                  <Table.Row key={k.id} data-testid="key-row">
                    <Table.RowHeaderCell>{k.name}</Table.RowHeaderCell>
                    <Table.Cell>
                      <Badge>{k.role}</Badge>
                    </Table.Cell>
                    <Table.Cell>{k.collections ? k.collections.join(", ") : "all"}</Table.Cell>
                    <Table.Cell>{formatTime(k.createdAt)}</Table.Cell>
                    <Table.Cell>
                      <ConfirmButton
                        label="Revoke"
                        title={`Revoke ${k.name}?`}
                        description="Requests with this key fail from now on."
                        onConfirm={() => revoke.mutate(k.id)}
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
