import { Badge, Box, Button, Card, Checkbox, Flex, Heading, Table, Text, TextField } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { ConfirmButton } from "../components/dialogs";
import { Empty, ErrorState, Query } from "../components/states";
import { Labelled, csv } from "../components/form";
import { parseOptionalJson } from "../lib/json-text";

const ACTIONS = ["find", "aggregate", "insert", "update", "delete", "manage"] as const;
type Rule = {
  collection: string;
  actions: string[];
  hiddenFields: string[];
  readOnlyFields: string[];
  filter: Record<string, unknown> | null;
};
type Role = { name: string; description: string; rules: Rule[] };
type RuleForm = { collection: string; actions: string[]; hidden: string; readOnly: string; filter: string };

const toForm = (r: Rule): RuleForm => ({
  collection: r.collection,
  actions: r.actions,
  hidden: r.hiddenFields.join(", "),
  readOnly: r.readOnlyFields.join(", "),
  filter: r.filter ? JSON.stringify(r.filter) : "",
});
const blank = (): RuleForm => ({ collection: "", actions: ["find"], hidden: "", readOnly: "", filter: "" });

/** One rule: which collection, what it may do there, what it may not see or write, which rows it reaches. */
function RuleEditor({
  rule,
  index,
  onChange,
  onRemove,
}: {
  rule: RuleForm;
  index: number;
  onChange: (r: RuleForm) => void;
  onRemove?: () => void;
}) {
  const set = (p: Partial<RuleForm>) => onChange({ ...rule, ...p });
  return (
    <Card mb="2" data-testid={`rule-${index}`}>
      <Flex gap="3" wrap="wrap" align="end">
        <Labelled label={`Rule ${index + 1}: collection (* for the rest)`}>
          <TextField.Root
            value={rule.collection}
            onChange={(e) => set({ collection: e.target.value })}
            placeholder="orders"
          />
        </Labelled>
        <Flex gap="2" wrap="wrap">
          {ACTIONS.map((a) => (
            <Text as="label" size="2" key={a}>
              <Flex gap="1" align="center">
                <Checkbox
                  checked={rule.actions.includes(a)}
                  onCheckedChange={(v) =>
                    set({ actions: v ? [...rule.actions, a] : rule.actions.filter((x) => x !== a) })
                  }
                  aria-label={`rule ${index + 1} ${a}`}
                />{" "}
                {a}
              </Flex>
            </Text>
          ))}
        </Flex>
        {onRemove ? (
          <Button size="1" variant="ghost" color="red" onClick={onRemove}>
            Remove rule
          </Button>
        ) : null}
      </Flex>
      <Flex gap="3" mt="2" wrap="wrap">
        <Labelled label="Hidden fields">
          <TextField.Root
            value={rule.hidden}
            onChange={(e) => set({ hidden: e.target.value })}
            placeholder="card, internal.notes"
          />
        </Labelled>
        <Labelled label="Read-only fields">
          <TextField.Root
            value={rule.readOnly}
            onChange={(e) => set({ readOnly: e.target.value })}
            placeholder="total"
          />
        </Labelled>
      </Flex>
      <Box mt="2">
        <Text as="div" size="2" mb="1">
          Row filter — may use <code>"$$user.id"</code>, <code>"$$key.id"</code>, <code>"$$claims.org"</code>
        </Text>
        <CodeEditor
          label={`rule ${index + 1} filter`}
          language="json"
          value={rule.filter}
          onChange={(filter) => set({ filter })}
          minHeight={40}
          fields={["$$user.id", "$$key.id", "$$claims."]}
        />
      </Box>
    </Card>
  );
}

function toBody(
  description: string,
  rules: RuleForm[],
): { body?: { description: string; rules: Rule[] }; error?: string } {
  const out: Rule[] = [];
  for (const [i, r] of rules.entries()) {
    const f = parseOptionalJson<Record<string, unknown>>(r.filter, `rule ${i + 1} filter`);
    if (f.error) return { error: f.error };
    out.push({
      collection: r.collection.trim(),
      actions: r.actions,
      hiddenFields: csv(r.hidden),
      readOnlyFields: csv(r.readOnly),
      filter: f.value ?? null,
    });
  }
  return { body: { description, rules: out } };
}

function RoleForm({ initial, onDone }: { initial?: Role; onDone: () => void }) {
  const qc = useQueryClient();
  const [name, setName] = useState(initial?.name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [rules, setRules] = useState<RuleForm[]>(initial ? initial.rules.map(toForm) : [blank()]);
  const [localError, setLocalError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (body: { description: string; rules: Rule[] }) =>
      unwrap(() => api().PUT("/api/roles/{name}", { params: { path: { name: name.trim() } }, body: body as never })),
    onSuccess: async () => (await qc.invalidateQueries({ queryKey: ["roles"] }), onDone()),
  });
  return (
    <Card mb="4">
      <Heading as="h2" size="3" mb="2">
        {initial ? `Edit ${initial.name}` : "New role"}
      </Heading>
      <Flex gap="3" mb="3" wrap="wrap">
        <Labelled label="Role name">
          <TextField.Root
            value={name}
            onChange={(e) => setName(e.target.value)}
            disabled={!!initial}
            placeholder="support"
          />
        </Labelled>
        <Labelled label="Description">
          <TextField.Root value={description} onChange={(e) => setDescription(e.target.value)} style={{ width: 360 }} />
        </Labelled>
      </Flex>
      {rules.map((r, i) => (
        <RuleEditor
          key={i}
          index={i}
          rule={r}
          onChange={(next) => setRules(rules.map((x, j) => (j === i ? next : x)))}
          onRemove={rules.length > 1 ? () => setRules(rules.filter((_, j) => j !== i)) : undefined}
        />
      ))}
      <Flex gap="2" mt="2">
        <Button variant="soft" onClick={() => setRules([...rules, blank()])}>
          Add rule
        </Button>
        <Button
          loading={save.isPending}
          onClick={() => {
            const { body, error } = toBody(description, rules);
            setLocalError(error ?? null);
            if (body) save.mutate(body);
          }}
        >
          Save role
        </Button>
        <Button variant="ghost" color="gray" onClick={onDone}>
          Cancel
        </Button>
      </Flex>
      {localError ? <ErrorState error={new ApiError(400, "INVALID_FILTER", localError)} /> : null}
      {save.error ? <ErrorState error={save.error} /> : null}
    </Card>
  );
}

export default function Roles() {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["roles"],
    queryFn: () => unwrap(() => api().GET("/api/roles")) as Promise<{ roles: Role[] }>,
  });
  const [editing, setEditing] = useState<Role | "new" | null>(null);
  const remove = useMutation({
    mutationFn: (name: string) => unwrap(() => api().DELETE("/api/roles/{name}", { params: { path: { name } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["roles"] }),
  });
  return (
    <>
      <PageHeader title="Roles">
        <Button onClick={() => setEditing("new")}>New role</Button>
      </PageHeader>
      <Text as="p" size="2" color="gray" mb="3">
        Built-in roles are read, write and admin. A custom role says, per collection, what its holders may do, which
        fields they never see or may not write, and which rows they reach; keys, users and external tokens can hold it.
      </Text>
      {editing ? (
        <RoleForm
          key={editing === "new" ? "new" : editing.name}
          initial={editing === "new" ? undefined : editing}
          onDone={() => setEditing(null)}
        />
      ) : null}
      {remove.error ? <ErrorState error={remove.error} /> : null}
      <Query q={q}>
        {({ roles }) =>
          roles.length === 0 ? (
            <Empty>No custom roles yet.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Role</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Rules</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell />
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {roles.map((r) => (
                  <Table.Row key={r.name} data-testid="role-row">
                    <Table.RowHeaderCell>
                      {r.name}
                      <Text as="div" size="1" color="gray">
                        {r.description}
                      </Text>
                    </Table.RowHeaderCell>
                    <Table.Cell>
                      {r.rules.map((rule) => (
                        <Text as="div" size="1" key={rule.collection}>
                          <Badge mr="1">{rule.collection}</Badge>
                          {rule.actions.join(", ")}
                          {rule.filter ? ` · rows where ${JSON.stringify(rule.filter)}` : ""}
                          {rule.hiddenFields.length ? ` · hides ${rule.hiddenFields.join(", ")}` : ""}
                          {rule.readOnlyFields.length ? ` · read-only ${rule.readOnlyFields.join(", ")}` : ""}
                        </Text>
                      ))}
                    </Table.Cell>
                    <Table.Cell>
                      <Flex gap="2">
                        <Button size="1" variant="soft" onClick={() => setEditing(r)}>
                          Edit
                        </Button>
                        <ConfirmButton
                          label="Delete"
                          title={`Delete role ${r.name}?`}
                          description="Keys and users holding it keep it in name but lose all access."
                          onConfirm={() => remove.mutate(r.name)}
                        />
                      </Flex>
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
