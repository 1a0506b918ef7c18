import { Text } from "@radix-ui/themes";

/** A labelled control: the label wraps it, so screen readers and clicks find it. */
export function Labelled({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <label>
      <Text as="div" size="2" mb="1">
        {label}
      </Text>
      {children}
    </label>
  );
}

export const csv = (s: string) =>
  s
    .split(",")
    .map((x) => x.trim())
    .filter(Boolean);
