import { Badge, Button, Flex, Text } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { CodeEditor } from "../components/code-editor";
import { ConfirmButton } from "../components/dialogs";
import { ErrorState, Query } from "../components/states";
import { parseJsonField } from "../lib/json-text";

const EXAMPLE = {
  perKey: { requests: 600, writes: 120, windowSeconds: 60 },
  perClient: { requests: 1200, windowSeconds: 60 },
};

function Editor({ initial }: { initial: unknown }) {
  const qc = useQueryClient();
  const [text, setText] = useState(JSON.stringify(initial ?? EXAMPLE, null, 2));
  const [localError, setLocalError] = useState<string | null>(null);
  const save = useMutation({
    mutationFn: (body: Record<string, unknown>) => unwrap(() => api().PUT("/api/quotas", { body: body as never })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["quotas"] }),
  });
  const clear = useMutation({
    mutationFn: () => unwrap(() => api().DELETE("/api/quotas")),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["quotas"] }),
  });
  return (
    <>
      <Text as="p" size="2" color="gray" mb="2">
        Requests per window for each API key, user and client address, and per role; <code>writes</code> is a separate,
        lower figure for writes. Over a quota the API answers 429 with Retry-After and RateLimit headers.
      </Text>
      <CodeEditor
        label="quotas"
        language="json"
        value={text}
        onChange={setText}
        fields={[
          "perKey",
          "perUser",
          "perClient",
          "roles",
          "requests",
          "writes",
          "windowSeconds",
          "read",
          "write",
          "admin",
        ]}
        minHeight={180}
      />
      <Flex gap="2" mt="2" align="center">
        <Button
          loading={save.isPending}
          onClick={() => {
            const r = parseJsonField<Record<string, unknown>>(text, "quotas");
            setLocalError(r.error ?? null);
            if (r.value) save.mutate(r.value);
          }}
        >
          Save quotas
        </Button>
        <ConfirmButton
          label="Remove all quotas"
          title="Remove every quota?"
          description="Requests are no longer counted."
          onConfirm={() => clear.mutate()}
        />
        {save.isSuccess ? <Badge color="green">saved</Badge> : null}
      </Flex>
      {localError ? <ErrorState error={new Error(localError)} /> : null}
      {save.error ? <ErrorState error={save.error} /> : null}
      {clear.error ? <ErrorState error={clear.error} /> : null}
    </>
  );
}

export default function Quotas() {
  const q = useQuery({
    queryKey: ["quotas"],
    queryFn: () => unwrap(() => api().GET("/api/quotas")) as Promise<{ quotas: unknown }>,
  });
  return (
    <>
      <PageHeader title="Quotas" badge={q.data ? (q.data.quotas ? "set" : "none") : undefined} />
      <Query q={q}>{(data) => <Editor key={JSON.stringify(data.quotas)} initial={data.quotas} />}</Query>
    </>
  );
}
