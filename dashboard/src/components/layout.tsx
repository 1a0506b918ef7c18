import { Badge, Box, Button, Flex, Heading, Text } from "@radix-ui/themes";
import { Link, Outlet, useNavigate } from "@tanstack/react-router";
import { useSyncExternalStore } from "react";
import { getSession, onSessionChange, setSession } from "../session";
import { signOut } from "../api/auth";

const NAV: [string, string][] = [
  ["/", "Overview"],
  ["/collections", "Collections"],
  ["/import", "Import"],
  ["/databases", "Databases"],
  ["/migrations", "Migrations"],
  ["/webhooks", "Webhooks"],
  ["/scripts", "Scripts"],
  ["/schedules", "Schedules"],
  ["/cluster", "Cluster"],
  ["/keys", "API keys"],
  ["/users", "Users"],
  ["/roles", "Roles"],
  ["/quotas", "Quotas"],
  ["/audit", "Audit trail"],
  ["/settings", "Settings"],
];

export function useSession() {
  return useSyncExternalStore(onSessionChange, getSession);
}

export function Layout() {
  const session = useSession();
  const navigate = useNavigate();
  return (
    <div className="layout">
      <nav className="sidebar" aria-label="Main">
        <Heading size="4" mb="3" ml="2">
          Docflare
        </Heading>
        {NAV.map(([to, label]) => (
          <Link key={to} to={to} activeOptions={{ exact: to === "/" }}>
            {label}
          </Link>
        ))}
        <Box mt="4" mx="2">
          <Text as="p" size="1" color="gray" data-testid="identity">
            {session?.email ?? (session?.kind === "token" ? "token" : "")} · tenant{" "}
            <b>{session?.tenant || "default"}</b> · database{" "}
            <b data-testid="current-database">{session?.database ?? "main"}</b>
          </Text>
          <Button
            size="1"
            variant="soft"
            mt="2"
            onClick={async () => {
              await signOut();
              setSession(null);
              void navigate({ to: "/signin", search: { next: undefined } });
            }}
          >
            Sign out
          </Button>
        </Box>
      </nav>
      <main className="main">
        <Outlet />
      </main>
    </div>
  );
}

export function PageHeader({ title, children, badge }: { title: string; children?: React.ReactNode; badge?: string }) {
  return (
    <Flex justify="between" align="center" mb="4" gap="3" wrap="wrap">
      <Flex align="center" gap="2">
        <Heading as="h1" size="6">
          {title}
        </Heading>
        {badge ? <Badge>{badge}</Badge> : null}
      </Flex>
      <Flex gap="2" align="center">
        {children}
      </Flex>
    </Flex>
  );
}
