import { Badge, Button, Callout, Flex, Select, Table, Text } from "@radix-ui/themes";
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { Labelled } from "../components/form";
import { PageHeader, useSession } from "../components/layout";
import { ErrorState } from "../components/states";
import { readMigrationFiles, type MigrationFile } from "../lib/migration-files";
import { formatTime } from "../lib/format";

type StatusLine = { id: string; state: "applied" | "pending" | "modified" | "missing"; appliedAt?: string };
type Step = {
  id: string;
  direction: "up" | "down";
  durationMs: number;
  plan?: { op: string; collection: string; documents?: number }[];
};
type Answer = { database: string; status: StatusLine[]; steps?: Step[]; dryRun?: boolean };
type Run = { command: "status" | "up" | "down"; dryRun?: boolean; steps?: number };

const STATE_COLOR = { applied: "green", pending: "gray", modified: "red", missing: "amber" } as const;

/**
 * Migrations of the database in use, from files picked here (the same files `npm run migrate` reads): their status,
 * a dry run with the documents each step would touch, applying what is pending and reverting the last one.
 */
export default function Migrations() {
  const session = useSession();
  const [files, setFiles] = useState<{ migrations: MigrationFile[]; ignored: string[] }>({
    migrations: [],
    ignored: [],
  });
  const [kind, setKind] = useState<"migration" | "seed">("migration");
  const [answer, setAnswer] = useState<Answer | null>(null);
  const run = useMutation({
    mutationFn: (r: Run) =>
      unwrap(() =>
        api().POST("/api/migrations", {
          body: {
            command: r.command,
            migrations: files.migrations,
            dryRun: r.dryRun ?? false,
            kind,
            ...(r.steps ? { steps: r.steps } : {}),
          },
        }),
      ) as Promise<Answer>,
    onSuccess: setAnswer,
  });
  const none = files.migrations.length === 0;
  return (
    <>
      <PageHeader title="Migrations" badge={session?.database ?? "main"} />
      <Text as="p" size="2" color="gray" mb="3">
        Pick the files of your <code>migrations/</code> folder (<code>0001_name.js</code>, each exporting{" "}
        <code>up(ctx)</code> and <code>down(ctx)</code>). They run on the server with <code>ctx.api</code> on this
        database, are recorded in <code>_migrations</code>, and an applied file that changed is refused.
      </Text>
      <Flex gap="3" align="end" wrap="wrap" mb="3">
        <Labelled label="Migration files">
          <input
            type="file"
            multiple
            accept=".js"
            aria-label="migration files"
            onChange={async (e) => (setAnswer(null), setFiles(await readMigrationFiles(e.target.files ?? [])))}
          />
        </Labelled>
        <Labelled label="Kind">
          <Select.Root value={kind} onValueChange={(v) => setKind(v as "migration" | "seed")}>
            <Select.Trigger aria-label="kind" />
            <Select.Content>
              <Select.Item value="migration">Migrations</Select.Item>
              <Select.Item value="seed">Seeds (applied once)</Select.Item>
            </Select.Content>
          </Select.Root>
        </Labelled>
      </Flex>
      {files.ignored.length ? (
        <Callout.Root color="amber" mb="3">
          <Callout.Text>Not migration files (NNNN_name.js), left out: {files.ignored.join(", ")}</Callout.Text>
        </Callout.Root>
      ) : null}
      <Flex gap="2" mb="3" wrap="wrap">
        <Button
          variant="soft"
          disabled={none && kind === "seed"}
          loading={run.isPending && run.variables?.command === "status"}
          onClick={() => run.mutate({ command: "status" })}
        >
          Status
        </Button>
        <Button
          variant="soft"
          disabled={none}
          loading={run.isPending && !!run.variables?.dryRun}
          onClick={() => run.mutate({ command: "up", dryRun: true })}
        >
          Dry run
        </Button>
        <Button
          disabled={none}
          loading={run.isPending && run.variables?.command === "up" && !run.variables.dryRun}
          onClick={() => run.mutate({ command: "up" })}
        >
          Apply pending
        </Button>
        <Button
          color="red"
          variant="soft"
          disabled={none || kind === "seed"}
          loading={run.isPending && run.variables?.command === "down"}
          onClick={() => run.mutate({ command: "down", steps: 1 })}
        >
          Revert last
        </Button>
      </Flex>
      {run.error ? <ErrorState error={run.error} /> : null}
      {answer?.steps ? (
        <Callout.Root mb="3" data-testid="migration-steps" color={answer.dryRun ? undefined : "green"}>
          <Callout.Text>
            {answer.steps.length === 0 ? "Nothing to run." : null}
            {answer.steps.map((s) => (
              <span key={s.id} style={{ display: "block" }}>
                {answer.dryRun ? "Would run" : "Ran"} {s.id} {s.direction}() in {s.durationMs} ms
                {s.plan?.map((p, i) => (
                  <span key={i} style={{ display: "block", marginLeft: "1em" }}>
                    {p.op} {p.collection}
                    {p.documents !== undefined ? `: ${p.documents} documents` : ""}
                  </span>
                ))}
              </span>
            ))}
          </Callout.Text>
        </Callout.Root>
      ) : null}
      {answer ? (
        <Table.Root variant="surface">
          <Table.Header>
            <Table.Row>
              <Table.ColumnHeaderCell>Migration</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>State</Table.ColumnHeaderCell>
              <Table.ColumnHeaderCell>Applied</Table.ColumnHeaderCell>
            </Table.Row>
          </Table.Header>
          <Table.Body>
            {answer.status.map((s) => (
              <Table.Row key={s.id} data-testid="migration-row">
                <Table.RowHeaderCell>{s.id}</Table.RowHeaderCell>
                <Table.Cell>
                  <Badge color={STATE_COLOR[s.state]}>{s.state}</Badge>
                </Table.Cell>
                <Table.Cell>{s.appliedAt ? formatTime(s.appliedAt) : ""}</Table.Cell>
              </Table.Row>
            ))}
          </Table.Body>
        </Table.Root>
      ) : null}
    </>
  );
}
