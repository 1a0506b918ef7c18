import { AlertDialog, Button, Code, Flex, Text, TextField } from "@radix-ui/themes";
import { useState } from "react";

/** A destructive action asks first; `typed` makes the user type a name (dropping a collection). */
export function ConfirmButton({
  label,
  title,
  description,
  typed,
  onConfirm,
  disabled,
  color = "red",
}: {
  label: string;
  title: string;
  description: React.ReactNode;
  typed?: string;
  onConfirm: () => unknown;
  disabled?: boolean;
  color?: "red" | "gray";
}) {
  const [text, setText] = useState("");
  return (
    <AlertDialog.Root onOpenChange={() => setText("")}>
      <AlertDialog.Trigger>
        <Button color={color} variant="soft" disabled={disabled}>
          {label}
        </Button>
      </AlertDialog.Trigger>
      <AlertDialog.Content maxWidth="460px">
        <AlertDialog.Title>{title}</AlertDialog.Title>
        <AlertDialog.Description size="2">{description}</AlertDialog.Description>
        {typed ? (
          <label>
            <Text as="p" size="2" mt="3">
              Type <Code>{typed}</Code> to confirm
            </Text>
            <TextField.Root mt="1" value={text} onChange={(e) => setText(e.target.value)} aria-label="confirmation" />
          </label>
        ) : null}
        <Flex gap="3" mt="4" justify="end">
          <AlertDialog.Cancel>
            <Button variant="soft" color="gray">
              Cancel
            </Button>
          </AlertDialog.Cancel>
          <AlertDialog.Action>
            <Button color="red" disabled={typed !== undefined && text !== typed} onClick={() => onConfirm()}>
              {label}
            </Button>
          </AlertDialog.Action>
        </Flex>
      </AlertDialog.Content>
    </AlertDialog.Root>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  return (
    <Button
      size="1"
      variant="soft"
      onClick={async () => {
        await navigator.clipboard?.writeText(text).catch(() => undefined);
        setDone(true);
        setTimeout(() => setDone(false), 1500);
      }}
    >
      {done ? "Copied" : label}
    </Button>
  );
}

export function Json({ value }: { value: unknown }) {
  return <pre className="json">{JSON.stringify(value, null, 2)}</pre>;
}
