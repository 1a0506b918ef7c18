import { Badge, Button, Flex, Table, TextField } from "@radix-ui/themes";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { PageHeader } from "../components/layout";
import { RoleSelect } from "../components/role-select";
import { ConfirmButton } from "../components/dialogs";
import { Empty, ErrorState, Query } from "../components/states";
import { Labelled, csv } from "../components/form";
import { formatTime } from "../lib/format";

type User = {
  id: string;
  email: string;
  role: string;
  collections: string[] | null;
  disabled: boolean;
  createdAt: string;
  lastLoginAt?: string | null;
};

export default function Users() {
  const qc = useQueryClient();
  const q = useQuery({
    queryKey: ["users"],
    queryFn: () => unwrap(() => api().GET("/api/users")) as Promise<{ users: User[] }>,
  });
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState("read");
  const [collections, setCollections] = useState("");
  const refresh = () => qc.invalidateQueries({ queryKey: ["users"] });
  const create = useMutation({
    mutationFn: () =>
      unwrap(() =>
        api().POST("/api/users", {
          body: { email, password, role, collections: collections.trim() ? csv(collections) : null },
        }),
      ),
    onSuccess: async () => (setEmail(""), setPassword(""), await refresh()),
  });
  const update = useMutation({
    mutationFn: ({ id, body }: { id: string; body: { disabled?: boolean; role?: "read" | "write" | "admin" } }) =>
      unwrap(() => api().PATCH("/api/users/{id}", { params: { path: { id } }, body })),
    onSuccess: refresh,
  });
  const revoke = useMutation({
    mutationFn: (id: string) =>
      unwrap(() => api().POST("/api/users/{id}/revoke-sessions", { params: { path: { id } } })),
    onSuccess: refresh,
  });
  const reset = useMutation({
    mutationFn: ({ id, password: pw }: { id: string; password: string }) =>
      unwrap(() => api().POST("/api/users/{id}/reset-password", { params: { path: { id } }, body: { password: pw } })),
  });
  return (
    <>
      <PageHeader title="Users" />
      <form onSubmit={(e) => (e.preventDefault(), create.mutate())}>
        <Flex gap="3" align="end" wrap="wrap" mb="3">
          <Labelled label="Email">
            <TextField.Root type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </Labelled>
          <Labelled label="Password (8+ characters)">
            <TextField.Root
              type="password"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              required
              minLength={8}
              autoComplete="new-password"
            />
          </Labelled>
          <Labelled label="Role">
            <RoleSelect value={role} onChange={setRole} label="user role" />
          </Labelled>
          <Labelled label="Collections (empty: all)">
            <TextField.Root value={collections} onChange={(e) => setCollections(e.target.value)} />
          </Labelled>
          <Button type="submit" loading={create.isPending}>
            Create user
          </Button>
        </Flex>
      </form>
      {[create.error, update.error, revoke.error, reset.error].filter(Boolean).map((e, i) => (
        <ErrorState key={i} error={e} />
      ))}
      {reset.isSuccess ? <Badge color="green">password reset; the user's sessions were ended</Badge> : null}
      <Query q={q}>
        {({ users }) =>
          users.length === 0 ? (
            <Empty>No users yet. Users sign in with email and password and get 15-minute sessions that refresh.</Empty>
          ) : (
            <Table.Root variant="surface">
              <Table.Header>
                <Table.Row>
                  <Table.ColumnHeaderCell>Email</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Role</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>State</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell>Created</Table.ColumnHeaderCell>
                  <Table.ColumnHeaderCell />
                </Table.Row>
              </Table.Header>
              <Table.Body>
                {users.map((u) => (
                  <Table.Row key={u.id} data-testid="user-row">
                    <Table.RowHeaderCell>{u.email}</Table.RowHeaderCell>
                    <Table.Cell>
                      <Badge>{u.role}</Badge> {u.collections ? u.collections.join(", ") : ""}
                    </Table.Cell>
                    <Table.Cell>
                      {u.disabled ? <Badge color="gray">disabled</Badge> : <Badge color="green">active</Badge>}
                    </Table.Cell>
                    <Table.Cell>{formatTime(u.createdAt)}</Table.Cell>
                    <Table.Cell>
                      <Flex gap="2">
                        <Button
                          size="1"
                          variant="soft"
                          onClick={() => update.mutate({ id: u.id, body: { disabled: !u.disabled } })}
                        >
                          {u.disabled ? "Enable" : "Disable"}
                        </Button>
                        <ConfirmButton
                          label="End sessions"
                          color="gray"
                          title={`Sign ${u.email} out everywhere?`}
                          description="Every refresh token of this user is revoked."
                          onConfirm={() => revoke.mutate(u.id)}
                        />
                        <Button
                          size="1"
                          variant="soft"
                          onClick={() => {
                            const pw = window.prompt(`New password for ${u.email} (8+ characters)`);
                            if (pw) reset.mutate({ id: u.id, password: pw });
                          }}
                        >
                          Reset password
                        </Button>
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
