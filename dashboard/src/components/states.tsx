import { Box, Button, Callout, Code, Flex, Spinner, Text } from "@radix-ui/themes";
import { Link } from "@tanstack/react-router";
import { ApiError } from "../api/client";

/** Errors always say the API's code and message; never a blank screen. */
export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const code = error instanceof ApiError ? error.code : "CLIENT_ERROR";
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Callout.Root color="red" role="alert" my="3">
      <Callout.Text>
        <Code color="red" data-testid="error-code">
          {code}
        </Code>{" "}
        {message}
        {onRetry ? (
          <Button size="1" variant="soft" ml="3" onClick={onRetry}>
            Try again
          </Button>
        ) : null}
      </Callout.Text>
    </Callout.Root>
  );
}

export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <Flex align="center" gap="2" my="4" role="status" aria-live="polite">
      <Spinner /> <Text color="gray">{label}…</Text>
    </Flex>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return (
    <Box my="4" p="4" style={{ border: "1px dashed var(--gray-a6)", borderRadius: 8 }}>
      <Text color="gray">{children}</Text>
    </Box>
  );
}

/** Loading, error or the content: the three states every query-backed view has. */
export function Query<T>({
  q,
  children,
}: {
  q: { isPending: boolean; error: unknown; data?: T; refetch: () => unknown };
  children: (data: T) => React.ReactNode;
}) {
  if (q.isPending) return <Loading />;
  if (q.error) return <ErrorState error={q.error} onRetry={() => q.refetch()} />;
  return <>{children(q.data as T)}</>;
}

export function NotFound() {
  return (
    <Box p="6">
      <Text as="p" size="5" weight="bold">
        Nothing here
      </Text>
      <Text as="p" color="gray">
        This page does not exist. <Link to="/">Back to the overview</Link>
      </Text>
    </Box>
  );
}
