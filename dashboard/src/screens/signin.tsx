import { Box, Button, Callout, Card, Code, Flex, Heading, Tabs, Text, TextField } from "@radix-ui/themes";
import { useNavigate, useSearch } from "@tanstack/react-router";
import { useState } from "react";
import { signInWithPassword, signInWithToken } from "../api/auth";
import { ApiError } from "../api/client";
import { defaultApiUrl } from "../session";

function Field({ label, ...props }: { label: string } & React.ComponentProps<typeof TextField.Root>) {
  return (
    <label>
      <Text as="div" size="2" mb="1" weight="medium">
        {label}
      </Text>
      <TextField.Root {...props} />
    </label>
  );
}

export default function SignIn() {
  const { next } = useSearch({ from: "/signin" });
  const navigate = useNavigate();
  const [apiUrl, setApiUrl] = useState(defaultApiUrl());
  const [tenant, setTenant] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: React.FormEvent, how: "password" | "token") {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const url = apiUrl.replace(/\/+$/, "");
      if (how === "password") await signInWithPassword(url, tenant.trim(), email, password);
      else await signInWithToken(url, tenant.trim(), token.trim());
      // Only paths of this app: a `next` pointing elsewhere would make sign-in an open redirect.
      const target = next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
      await navigate({ to: target });
    } catch (err) {
      setError(err instanceof ApiError ? err : new ApiError(0, "CLIENT_ERROR", String(err)));
    } finally {
      setBusy(false);
    }
  }

  const common = (
    <>
      <Field label="API URL" value={apiUrl} onChange={(e) => setApiUrl(e.target.value)} required type="url" />
      <Field label="Tenant" value={tenant} onChange={(e) => setTenant(e.target.value)} placeholder="default" />
    </>
  );
  return (
    <Flex justify="center" align="start" pt="9" style={{ minHeight: "100vh" }}>
      <Card size="3" style={{ width: 440 }}>
        <Heading as="h1" size="6" mb="1">
          Sign in to Docflare
        </Heading>
        <Text as="p" size="2" color="gray" mb="3">
          {next ? "Your session ended. Sign in to go back to where you were." : "Connect to a Docflare API."}
        </Text>
        {error ? (
          <Callout.Root color="red" role="alert" mb="3">
            <Callout.Text>
              <Code color="red">{error.code}</Code>{" "}
              {error.status === 401 ? `Wrong credentials: ${error.message}` : error.message}
            </Callout.Text>
          </Callout.Root>
        ) : null}
        <Tabs.Root defaultValue="password">
          <Tabs.List>
            <Tabs.Trigger value="password">Email and password</Tabs.Trigger>
            <Tabs.Trigger value="token">API key or admin token</Tabs.Trigger>
          </Tabs.List>
          <Box pt="3">
            <Tabs.Content value="password">
              <form onSubmit={(e) => submit(e, "password")}>
                <Flex direction="column" gap="3">
                  {common}
                  <Field
                    label="Email"
                    type="email"
                    autoComplete="username"
                    value={email}
                    onChange={(e) => setEmail(e.target.value)}
                    required
                  />
                  <Field
                    label="Password"
                    type="password"
                    autoComplete="current-password"
                    value={password}
                    onChange={(e) => setPassword(e.target.value)}
                    required
                  />
                  <Button type="submit" loading={busy}>
                    Sign in
                  </Button>
                </Flex>
              </form>
            </Tabs.Content>
            <Tabs.Content value="token">
              <form onSubmit={(e) => submit(e, "token")}>
                <Flex direction="column" gap="3">
                  {common}
                  <Field
                    label="Token"
                    type="password"
                    value={token}
                    onChange={(e) => setToken(e.target.value)}
                    required
                    placeholder="dfk_… or the admin token"
                  />
                  <Button type="submit" loading={busy}>
                    Connect
                  </Button>
                </Flex>
              </form>
            </Tabs.Content>
          </Box>
        </Tabs.Root>
      </Card>
    </Flex>
  );
}
