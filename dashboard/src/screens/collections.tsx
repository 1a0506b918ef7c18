import { Button, Dialog, Flex, Table, Text, TextField } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { listCollections } from "../api/queries";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { Empty, ErrorState, Query } from "../components/states";
import { formatBytes } from "../lib/format";
import { JSON_SCHEMA_KEYWORDS, parseJsonField } from "../lib/json-text";

function CreateCollection() {
  const [open, setOpen] = useState(false);
  const [name, setName] = useState("");
  const [validator, setValidator] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const qc = useQueryClient();
  const navigate = useNavigate();
  const create = useMutation({
    mutationFn: (body: { name: string; validator?: Record<string, unknown> }) =>
      unwrap(() => api().POST("/api/management/collections", { body })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ["collections"] });
      setOpen(false);
      await navigate({ to: "/collections/$name", params: { name }, search: { tab: undefined } });
    },
  });
  function submit(e: React.FormEvent) {
    e.preventDefault();
    setLocalError(null);
    let parsed: Record<string, unknown> | undefined;
    if (validator.trim()) {
      const r = parseJsonField<Record<string, unknown>>(validator, "validator");
      if (r.error) return setLocalError(r.error);
      parsed = r.value;
    }
    create.mutate({ name: name.trim(), validator: parsed });
  }
  return (
    <Dialog.Root open={open} onOpenChange={(o) => (setOpen(o), create.reset(), setLocalError(null))}>
      <Dialog.Trigger>
        <Button>New collection</Button>
      </Dialog.Trigger>
      <Dialog.Content maxWidth="640px">
        <Dialog.Title>New collection</Dialog.Title>
        <Dialog.Description size="2" mb="3">
          A name, and optionally a JSON Schema every document must satisfy.
        </Dialog.Description>
        <form onSubmit={submit}>
          <Flex direction="column" gap="3">
            <label>
              <Text as="div" size="2" mb="1">
                Name
              </Text>
              <TextField.Root value={name} onChange={(e) => setName(e.target.value)} required placeholder="orders" />
            </label>
            <div>
              <Text as="div" size="2" mb="1">
                Validator (JSON Schema, optional)
              </Text>
              <CodeEditor
                label="validator"
                language="json"
                value={validator}
                onChange={setValidator}
                fields={JSON_SCHEMA_KEYWORDS}
              />
            </div>
            {localError ? <ErrorState error={new Error(localError)} /> : null}
            {create.error ? <ErrorState error={create.error} /> : null}
            <Flex justify="end" gap="2">
              <Dialog.Close>
                <Button variant="soft" color="gray" type="button">
                  Cancel
                </Button>
              </Dialog.Close>
              <Button type="submit" loading={create.isPending}>
                Create
              </Button>
            </Flex>
          </Flex>
        </form>
      </Dialog.Content>
    </Dialog.Root>
  );
}

export default function Collections() {
  const q = useQuery({ queryKey: ["collections"], queryFn: listCollections });
  return (
    <>
      <PageHeader title="Collections">
        <CreateCollection />
      </PageHeader>
      <Query q={q}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No collections yet. Create one, or insert a document and it appears.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Documents</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Size</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Indexes</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Validator</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell />
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {list.map((c) => (
                  <Table.Row key={c.name}>
                    <Table.RowHeaderCell>
                      <Link to="/collections/$name" params={{ name: c.name }} search={{ tab: undefined }}>
                        {c.name}
                      </Link>
                    </Table.RowHeaderCell>
                    <Table.Cell>{c.count}</Table.Cell>
                    <Table.Cell>{formatBytes(c.sizeBytes)}</Table.Cell>
                    <Table.Cell>{c.indexes.length}</Table.Cell>
                    <Table.Cell>{c.validator ? "yes" : "—"}</Table.Cell>
                    <Table.Cell>
                      <Link to="/collections/$name/documents" params={{ name: c.name }}>
                        Documents
                      </Link>
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
