import { Card, DataList, Heading, SegmentedControl } from "@radix-ui/themes";
import { useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { currentIdentity } from "../api/auth";
import { PageHeader, useSession } from "../components/layout";
import { Query } from "../components/states";
import { getThemeChoice, onThemeChange, setThemeChoice, type ThemeChoice } from "../theme";

export default function Settings() {
  const theme = useSyncExternalStore(onThemeChange, getThemeChoice);
  const session = useSession();
  const me = useQuery({ queryKey: ["me"], queryFn: currentIdentity });
  return (
    <>
      <PageHeader title="Settings" />
      <Card mb="4">
        <Heading as="h2" size="3" mb="2">
          Theme
        </Heading>
        <SegmentedControl.Root value={theme} onValueChange={(v) => setThemeChoice(v as ThemeChoice)} aria-label="theme">
          <SegmentedControl.Item value="light">Light</SegmentedControl.Item>
          <SegmentedControl.Item value="dark">Dark</SegmentedControl.Item>
          <SegmentedControl.Item value="system">System</SegmentedControl.Item>
        </SegmentedControl.Root>
      </Card>
      <Card>
        <Heading as="h2" size="3" mb="2">
          Session
        </Heading>
        <Query q={me}>
          {(m) => (
            <DataList.Root>
              <DataList.Item>
                <DataList.Label>API</DataList.Label>
                <DataList.Value>{session?.apiUrl}</DataList.Value>
              </DataList.Item>
              <DataList.Item>
                <DataList.Label>Tenant</DataList.Label>
                <DataList.Value data-testid="settings-tenant">{m.tenant}</DataList.Value>
              </DataList.Item>
              <DataList.Item>
                <DataList.Label>Signed in as</DataList.Label>
                <DataList.Value>
                  {m.user ? m.user.email : m.superAdmin ? "admin token" : `API key ${m.keyId}`}
                </DataList.Value>
              </DataList.Item>
              <DataList.Item>
                <DataList.Label>Role</DataList.Label>
                <DataList.Value>{m.role}</DataList.Value>
              </DataList.Item>
              <DataList.Item>
                <DataList.Label>Collections</DataList.Label>
                <DataList.Value>{m.collections ? m.collections.join(", ") : "all"}</DataList.Value>
              </DataList.Item>
            </DataList.Root>
          )}
        </Query>
      </Card>
    </>
  );
}
