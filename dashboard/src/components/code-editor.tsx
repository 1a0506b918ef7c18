import { lazy, Suspense } from "react";
import { Loading } from "./states";

export type CodeEditorProps = {
  value: string;
  onChange?: (value: string) => void;
  language: "json" | "javascript";
  /** Field paths offered by completion (from the collection's inferred schema). */
  fields?: string[];
  /** A line to mark as an error (1-based), e.g. where a script failed. */
  errorLine?: number;
  errorMessage?: string;
  label: string;
  minHeight?: number;
  readOnly?: boolean;
};

/** CodeMirror loads on first use, so screens without an editor do not pay for it. */
const Impl = lazy(() => import("./code-editor-impl"));

export function CodeEditor(props: CodeEditorProps) {
  return (
    <Suspense fallback={<Loading label="Loading editor" />}>
      <Impl {...props} />
    </Suspense>
  );
}
