import { Badge, Box, Button, Checkbox, DataList, Flex, Table, Tabs, Text, TextField } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useEffect, useState } from "react";
import { api, unwrap } from "../api/client";
import type { CollectionInfo } from "../api/queries";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { ConfirmButton } from "../components/dialogs";
import { Empty, ErrorState, Query } from "../components/states";
import { formatBytes, formatPercent } from "../lib/format";
import { JSON_SCHEMA_KEYWORDS, parseJsonField } from "../lib/json-text";
import { validatorFromSchema, type InferredSchema } from "../lib/schema-tools";

const ROUTE = "/_app/collections/$name" as const;

function useInvalidate(name: string) {
  const qc = useQueryClient();
  return () =>
    Promise.all([
      qc.invalidateQueries({ queryKey: ["collection", name] }),
      qc.invalidateQueries({ queryKey: ["collections"] }),
    ]);
}

function Indexes({ name, info }: { name: string; info: CollectionInfo }) {
  const [keys, setKeys] = useState("");
  const [unique, setUnique] = useState(false);
  const invalidate = useInvalidate(name);
  const create = useMutation({
    mutationFn: () => {
      const spec = Object.fromEntries(
        keys
          .split(",")
          .map((k) => k.trim())
          .filter(Boolean)
          .map((k) => (k.startsWith("-") ? [k.slice(1), -1 as const] : [k, 1 as const])),
      );
      return unwrap(() =>
        api().POST("/api/management/collections/{name}/indexes", {
          params: { path: { name } },
          body: { keys: spec, unique },
        }),
      );
    },
    onSuccess: async () => (setKeys(""), setUnique(false), await invalidate()),
  });
  const drop = useMutation({
    mutationFn: (index: string) =>
      unwrap(() =>
        api().DELETE("/api/management/collections/{name}/indexes/{index}", { params: { path: { name, index } } }),
      ),
    onSuccess: invalidate,
  });
  return (
    <>
      <Table.Root variant="surface" mb="3">
        <Table.Header>
          <Table.Row>
            <Table.ColumnHeaderCell>Name</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell>Keys</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell>Unique</Table.ColumnHeaderCell>
            <Table.ColumnHeaderCell />
          </Table.Row>
        </Table.Header>
        <Table.Body>
          {info.indexes.map((ix) => (
            <Table.Row key={ix.name}>
              <Table.RowHeaderCell>{ix.name}</Table.RowHeaderCell>
              <Table.Cell>
                <code>{JSON.stringify(ix.keys)}</code>
              </Table.Cell>
              <Table.Cell>{ix.unique ? "yes" : "no"}</Table.Cell>
              <Table.Cell>
                {ix.name === "_id_" ? null : (
                  <ConfirmButton
                    label="Drop"
                    title={`Drop index ${ix.name}?`}
                    description="Queries that used it will scan instead."
                    onConfirm={() => drop.mutate(ix.name)}
                  />
                )}
              </Table.Cell>
            </Table.Row>
          ))}
        </Table.Body>
      </Table.Root>
      <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <Flex gap="3" align="end" wrap="wrap">
          <label>
            <Text as="div" size="2" mb="1">
              Keys (comma-separated, <code>-field</code> for descending)
            </Text>
            <TextField.Root
              value={keys}
              onChange={(e) => setKeys(e.target.value)}
              placeholder="status,-createdAt"
              required
              style={{ width: 300 }}
            />
          </label>
          <Text as="label" size="2">
            <Flex gap="2" align="center">
              <Checkbox checked={unique} onCheckedChange={(v) => setUnique(v === true)} /> Unique
            </Flex>
          </Text>
          <Button type="submit" loading={create.isPending}>
            Create index
          </Button>
        </Flex>
      </form>
      {create.error ? <ErrorState error={create.error} /> : null}
      {drop.error ? <ErrorState error={drop.error} /> : null}
    </>
  );
}

function Validator({ name, info, draft }: { name: string; info: CollectionInfo; draft?: string }) {
  const [text, setText] = useState(draft ?? (info.validator ? JSON.stringify(info.validator, null, 2) : ""));
  const [localError, setLocalError] = useState<string | null>(null);
  useEffect(() => {
    if (draft) setText(draft);
  }, [draft]);
  const invalidate = useInvalidate(name);
  const save = useMutation({
    mutationFn: (validator: Record<string, unknown> | null) =>
      unwrap(() =>
        api().PATCH("/api/management/collections/{name}", { params: { path: { name } }, body: { validator } }),
      ),
    onSuccess: invalidate,
  });
  function submit() {
    setLocalError(null);
    if (!text.trim()) return save.mutate(null);
    const r = parseJsonField<Record<string, unknown>>(text, "validator");
    if (r.error) return setLocalError(r.error);
    save.mutate(r.value!);
  }
  return (
    <Box>
      <Text as="p" size="2" color="gray" mb="2">
        A JSON Schema (2020-12) every inserted and updated document must satisfy. Leave empty to remove it.
      </Text>
      <CodeEditor
        label="collection validator"
        language="json"
        value={text}
        onChange={setText}
        fields={JSON_SCHEMA_KEYWORDS}
        minHeight={200}
      />
      <Flex gap="2" mt="2" align="center">
        <Button onClick={submit} loading={save.isPending}>
          Save validator
        </Button>
        {save.isSuccess ? <Badge color="green">saved</Badge> : null}
      </Flex>
      {localError ? <ErrorState error={new Error(localError)} /> : null}
      {save.error ? <ErrorState error={save.error} /> : null}
    </Box>
  );
}

function Schema({ name, onUse }: { name: string; onUse: (validator: string) => void }) {
  const q = useQuery({
    queryKey: ["schema", name],
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/management/collections/{name}/schema", { params: { path: { name } } }),
      ) as Promise<InferredSchema>,
  });
  return (
    <Query q={q}>
      {(schema) =>
        schema.fields.length === 0 ? (
          <Empty>No documents to infer a schema from.</Empty>
        ) : (
          <>
            <Flex justify="between" align="center" mb="2">
              <Text size="2" color="gray">
                Inferred from {schema.sampled} sampled documents.
              </Text>
              <Button variant="soft" onClick={() => onUse(JSON.stringify(validatorFromSchema(schema), null, 2))}>
                Use as validator
              </Button>
            </Flex>
            <Table.Root size="1" variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Field</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Types</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Present in</Table.ColumnHeaderCell>
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {schema.fields.map((f) => (
                  <Table.Row key={f.path}>
                    <Table.RowHeaderCell>
                      <code>{f.path}</code>
                    </Table.RowHeaderCell>
                    <Table.Cell>
                      {Object.entries(f.types).map(([t, n]) => (
                        <Badge key={t} mr="1" variant="soft">
                          {t} {n}
                        </Badge>
                      ))}
                    </Table.Cell>
                    <Table.Cell>
                      <Flex align="center" gap="2">
                        <div
                          className="bar-track"
                          role="meter"
                          aria-valuenow={Math.round(f.frequency * 100)}
                          aria-valuemin={0}
                          aria-valuemax={100}
                          aria-label={`${f.path} frequency`}
                        >
                          <div className="bar" style={{ width: `${f.frequency * 100}%` }} />
                        </div>
                        <Text size="1">{formatPercent(f.frequency)}</Text>
                      </Flex>
                    </Table.Cell>
                  </Table.Row>
                ))}
              </Table.Body>
            </Table.Root>
          </>
        )
      }
    </Query>
  );
}

export default function Collection() {
  const { name } = useParams({ from: ROUTE });
  const { tab } = useSearch({ from: ROUTE });
  const navigate = useNavigate();
  const qc = useQueryClient();
  const [draft, setDraft] = useState<string>();
  const q = useQuery({
    queryKey: ["collection", name],
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/management/collections/{name}", { params: { path: { name } } }),
      ) as Promise<CollectionInfo>,
  });
  const drop = useMutation({
    mutationFn: () => unwrap(() => api().DELETE("/api/management/collections/{name}", { params: { path: { name } } })),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ["collections"] });
      await navigate({ to: "/collections" });
    },
  });
  const setTab = (t: string) =>
    navigate({ to: "/collections/$name", params: { name }, search: { tab: t }, replace: true });
  return (
    <>
      <PageHeader title={name} badge="collection">
        <Link to="/collections/$name/documents" params={{ name }}>
          Documents
        </Link>
        <Link to="/collections/$name/aggregate" params={{ name }}>
          Aggregation
        </Link>
        <ConfirmButton
          label="Drop collection"
          title={`Drop ${name}?`}
          description="Every document and index in it is deleted. This cannot be undone."
          typed={name}
          onConfirm={() => drop.mutate()}
        />
      </PageHeader>
      {drop.error ? <ErrorState error={drop.error} /> : null}
      <Query q={q}>
        {(info) => (
          <Tabs.Root value={tab ?? "stats"} onValueChange={setTab}>
            <Tabs.List>
              <Tabs.Trigger value="stats">Stats</Tabs.Trigger>
              <Tabs.Trigger value="indexes">Indexes</Tabs.Trigger>
              <Tabs.Trigger value="schema">Schema</Tabs.Trigger>
              <Tabs.Trigger value="validator">Validator</Tabs.Trigger>
            </Tabs.List>
            <Box pt="3">
              <Tabs.Content value="stats">
                <DataList.Root>
                  <DataList.Item>
                    <DataList.Label>Documents</DataList.Label>
                    <DataList.Value data-testid="doc-count">{info.count}</DataList.Value>
                  </DataList.Item>
                  <DataList.Item>
                    <DataList.Label>Size</DataList.Label>
                    <DataList.Value>{formatBytes(info.sizeBytes)}</DataList.Value>
                  </DataList.Item>
                  <DataList.Item>
                    <DataList.Label>Indexes</DataList.Label>
                    <DataList.Value>{info.indexes.length}</DataList.Value>
                  </DataList.Item>
                  <DataList.Item>
                    <DataList.Label>Validator</DataList.Label>
                    <DataList.Value>{info.validator ? "set" : "none"}</DataList.Value>
                  </DataList.Item>
                </DataList.Root>
              </Tabs.Content>
              <Tabs.Content value="indexes">
                <Indexes name={name} info={info} />
              </Tabs.Content>
              <Tabs.Content value="schema">
                <Schema name={name} onUse={(v) => (setDraft(v), setTab("validator"))} />
              </Tabs.Content>
              <Tabs.Content value="validator">
                <Validator name={name} info={info} draft={draft} />
              </Tabs.Content>
            </Box>
          </Tabs.Root>
        )}
      </Query>
    </>
  );
}
