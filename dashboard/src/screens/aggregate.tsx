import { Badge, Box, Button, Card, Code, Flex, Select, Text } from "@radix-ui/themes";
import { useQueries, useQuery } from "@tanstack/react-query";
import { Link, useNavigate, useParams, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { ErrorState, Loading } from "../components/states";
import { Json } from "../components/dialogs";
import { fieldPaths, type InferredSchema } from "../lib/schema-tools";
import { parseJsonField } from "../lib/json-text";

const ROUTE = "/_app/collections/$name/aggregate" as const;
const STAGES = [
  "$match",
  "$project",
  "$addFields",
  "$group",
  "$sort",
  "$limit",
  "$skip",
  "$unwind",
  "$lookup",
  "$count",
  "$facet",
  "$replaceRoot",
  "$sample",
  "$unionWith",
];
type Stage = { op: string; body: string };
/** Previews run on a sample: the first documents of the collection, so a heavy pipeline stays cheap to explore. */
const SAMPLE = 200;
const PREVIEW = 5;

export function stagesFromSearch(raw: unknown): Stage[] {
  const text = typeof raw === "string" ? raw : raw ? JSON.stringify(raw) : "";
  try {
    const parsed = text ? (JSON.parse(text) as Record<string, unknown>[]) : [];
    return parsed.map((s) => {
      const [op, body] = Object.entries(s)[0] ?? ["$match", {}];
      return { op, body: JSON.stringify(body, null, 2) };
    });
  } catch {
    return [];
  }
}

function toPipeline(stages: Stage[]): {
  pipeline?: Record<string, unknown>[];
  error?: { index: number; message: string };
} {
  const pipeline: Record<string, unknown>[] = [];
  for (const [i, s] of stages.entries()) {
    const r = parseJsonField(s.body, `stage ${i + 1}`);
    if (r.error) return { error: { index: i, message: r.error } };
    pipeline.push({ [s.op]: r.value });
  }
  return { pipeline };
}

export default function Aggregate() {
  const { name } = useParams({ from: ROUTE });
  const search = useSearch({ from: ROUTE }) as Record<string, unknown>;
  const navigate = useNavigate();
  const [stages, setStages] = useState<Stage[]>(() => {
    const s = stagesFromSearch(search.pipeline);
    return s.length ? s : [{ op: "$match", body: "{}" }];
  });
  const schema = useQuery({
    queryKey: ["schema", name],
    queryFn: () =>
      unwrap(() =>
        api().GET("/api/management/collections/{name}/schema", { params: { path: { name } } }),
      ) as Promise<InferredSchema>,
  });
  const fields = fieldPaths(schema.data);
  const built = toPipeline(stages);
  const previews = useQueries({
    queries: stages.map((_, i) => ({
      queryKey: ["agg-preview", name, JSON.stringify(built.pipeline?.slice(0, i + 1) ?? null)],
      enabled: !!built.pipeline,
      queryFn: () =>
        unwrap(() =>
          api().POST("/api/db/{collection}/aggregate", {
            params: { path: { collection: name } },
            body: { pipeline: [{ $limit: SAMPLE }, ...built.pipeline!.slice(0, i + 1), { $limit: PREVIEW }] } as never,
          }),
        ) as Promise<{ documents: unknown[] }>,
    })),
  });
  const set = (i: number, s: Partial<Stage>) => setStages(stages.map((x, j) => (j === i ? { ...x, ...s } : x)));
  const save = () =>
    built.pipeline &&
    navigate({
      to: "/collections/$name/aggregate",
      params: { name },
      search: { pipeline: JSON.stringify(built.pipeline) } as never,
      replace: true,
    });

  return (
    <>
      <PageHeader title={name} badge="aggregation">
        <Link to="/collections/$name/documents" params={{ name }}>
          Documents
        </Link>
        <Button variant="soft" onClick={save}>
          Save to URL
        </Button>
      </PageHeader>
      <Text as="p" size="2" color="gray" mb="3">
        Each stage shows its output on a sample of the first {SAMPLE} documents.
      </Text>
      {stages.map((s, i) => {
        const p = previews[i];
        const failed = p?.error instanceof ApiError ? p.error : null;
        const earlierFailed = previews.slice(0, i).some((x) => x.error);
        return (
          <Card
            key={i}
            mb="3"
            data-testid={`stage-${i}`}
            style={failed && !earlierFailed ? { outline: "2px solid var(--red-9)" } : undefined}
          >
            <Flex gap="2" align="center" mb="2">
              <Text weight="bold">Stage {i + 1}</Text>
              <Select.Root value={s.op} onValueChange={(op) => set(i, { op })}>
                <Select.Trigger aria-label={`stage ${i + 1} operator`} />
                <Select.Content>
                  {STAGES.map((op) => (
                    <Select.Item key={op} value={op}>
                      {op}
                    </Select.Item>
                  ))}
                </Select.Content>
              </Select.Root>
              <Button
                size="1"
                variant="ghost"
                color="red"
                onClick={() => setStages(stages.filter((_, j) => j !== i))}
                disabled={stages.length === 1}
              >
                Remove
              </Button>
              {failed && !earlierFailed ? (
                <Badge color="red" data-testid={`stage-${i}-error`}>
                  {failed.code}
                </Badge>
              ) : null}
            </Flex>
            <Flex gap="3">
              <Box style={{ flex: 1 }}>
                <CodeEditor
                  label={`stage ${i + 1}`}
                  language="json"
                  value={s.body}
                  onChange={(body) => set(i, { body })}
                  fields={fields}
                  minHeight={60}
                />
              </Box>
              <Box
                style={{ flex: 1, maxHeight: 260, overflow: "auto" }}
                role="region"
                tabIndex={0}
                aria-label={`stage ${i + 1} output`}
              >
                {built.error?.index === i ? (
                  <ErrorState error={new Error(built.error.message)} />
                ) : !p || p.isPending ? (
                  <Loading label="Previewing" />
                ) : p.error ? (
                  earlierFailed ? (
                    <Text color="gray">An earlier stage failed.</Text>
                  ) : (
                    <ErrorState error={p.error} />
                  )
                ) : (
                  <>
                    <Text size="1" color="gray">
                      {p.data!.documents.length} of the first results
                    </Text>
                    {p.data!.documents.map((d, k) => (
                      <Json key={k} value={d} />
                    ))}
                  </>
                )}
              </Box>
            </Flex>
          </Card>
        );
      })}
      <Button variant="soft" onClick={() => setStages([...stages, { op: "$project", body: "{}" }])}>
        Add stage
      </Button>
      <Text as="p" size="1" color="gray" mt="2">
        Pipeline: <Code>{built.pipeline ? JSON.stringify(built.pipeline) : "—"}</Code>
      </Text>
    </>
  );
}
