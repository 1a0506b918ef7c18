import { Select } from "@radix-ui/themes";
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";

/** Built-in roles and the tenant's custom roles, for the keys and users forms. */
export function RoleSelect({
  value,
  onChange,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  label: string;
}) {
  const custom = useQuery({
    queryKey: ["roles"],
    queryFn: () => unwrap(() => api().GET("/api/roles")) as Promise<{ roles: { name: string }[] }>,
  });
  return (
    <Select.Root value={value} onValueChange={onChange}>
      <Select.Trigger aria-label={label} />
      <Select.Content>
        {["read", "write", "admin", ...(custom.data?.roles ?? []).map((r) => r.name)].map((r) => (
          <Select.Item key={r} value={r}>
            {r}
          </Select.Item>
        ))}
      </Select.Content>
    </Select.Root>
  );
}
