import { useEffect, useRef } from "react";
import { EditorState, StateEffect, type Extension } from "@codemirror/state";
import { EditorView, keymap, lineNumbers, placeholder as cmPlaceholder } from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { bracketMatching, syntaxHighlighting, syntaxTree, indentOnInput, HighlightStyle } from "@codemirror/language";
import { tags as t } from "@lezer/highlight";
import { autocompletion, closeBrackets, type CompletionContext, type CompletionResult } from "@codemirror/autocomplete";
import { json, jsonParseLinter } from "@codemirror/lang-json";
import { javascript } from "@codemirror/lang-javascript";
import { linter, lintGutter, setDiagnostics, type Diagnostic } from "@codemirror/lint";
import type { CodeEditorProps } from "./code-editor";
import { MQL_OPERATORS, SCRIPT_MEMBERS } from "../lib/completions";

/**
 * Token colours from the Radix scales' step 11 (made for text on their backgrounds), so both themes keep WCAG AA
 * contrast and the editor follows the app's theme without a second stylesheet.
 */
const highlight = HighlightStyle.define([
  { tag: [t.keyword, t.controlKeyword, t.moduleKeyword, t.operatorKeyword], color: "var(--iris-11)" },
  { tag: [t.string, t.special(t.string)], color: "var(--grass-11)" },
  { tag: [t.number, t.bool, t.null], color: "var(--amber-11)" },
  { tag: [t.propertyName, t.definition(t.propertyName)], color: "var(--cyan-11)" },
  { tag: [t.comment, t.lineComment, t.blockComment], color: "var(--gray-11)", fontStyle: "italic" },
  { tag: [t.function(t.variableName), t.function(t.propertyName)], color: "var(--blue-11)" },
  { tag: t.invalid, color: "var(--red-11)" },
]);
const chrome = EditorView.theme({
  "&": { backgroundColor: "var(--color-panel-solid)", color: "var(--gray-12)" },
  ".cm-gutters": { backgroundColor: "var(--gray-2)", color: "var(--gray-11)", borderRight: "1px solid var(--gray-a5)" },
  ".cm-cursor": { borderLeftColor: "var(--gray-12)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground": { backgroundColor: "var(--accent-a5)" },
  ".cm-tooltip": {
    backgroundColor: "var(--color-panel-solid)",
    color: "var(--gray-12)",
    border: "1px solid var(--gray-a6)",
  },
  ".cm-tooltip-autocomplete ul li[aria-selected]": {
    backgroundColor: "var(--accent-9)",
    color: "var(--accent-contrast)",
  },
});

const parseLinter = jsonParseLinter();
/** Empty means "none" (no filter, no validator), so only text that is there must parse. */
const optionalJsonLinter = (view: EditorView) => (view.state.doc.toString().trim() ? parseLinter(view) : []);

/** JavaScript syntax errors as the editor's own parser sees them, marked while typing (the server has the last word). */
function scriptSyntaxLinter(view: EditorView): Diagnostic[] {
  const found: Diagnostic[] = [];
  syntaxTree(view.state)
    .cursor()
    .iterate((node) => {
      if (node.type.isError && found.length < 20) {
        const line = view.state.doc.lineAt(node.from);
        found.push({
          from: node.from,
          to: Math.min(Math.max(node.to, node.from + 1), line.to),
          severity: "error",
          message: `syntax error on line ${line.number}`,
        });
      }
    });
  return found;
}

/** JSON/MQL: operators anywhere a key starts with `$`, the collection's field paths inside quotes. */
function mqlCompletions(fields: string[]) {
  return (ctx: CompletionContext): CompletionResult | null => {
    const word = ctx.matchBefore(/"?\$?[\w.$]*/);
    if (!word || (word.from === word.to && !ctx.explicit)) return null;
    const quoted = word.text.startsWith('"');
    const text = quoted ? word.text.slice(1) : word.text;
    const from = quoted ? word.from + 1 : word.from;
    const ops = MQL_OPERATORS.map((op) => ({ label: op, type: "keyword" }));
    const paths = fields.map((f) => ({ label: f, type: "property" }));
    return { from, options: text.startsWith("$") ? ops : [...paths, ...ops], validFor: /^\$?[\w.$]*$/ };
  };
}

/** JavaScript: `event.`, `ctx.`, `ctx.api.` members of the script sandbox. */
function scriptCompletions(ctx: CompletionContext): CompletionResult | null {
  const word = ctx.matchBefore(/[\w.]*/);
  if (!word) return null;
  const dot = word.text.lastIndexOf(".");
  const owner = dot < 0 ? "" : word.text.slice(0, dot);
  const members = SCRIPT_MEMBERS[owner];
  if (!members) return null;
  return {
    from: word.from + dot + 1,
    options: members.map(([label, detail]) => ({ label, detail, type: "property" })),
  };
}

export default function CodeEditorImpl({
  value,
  onChange,
  language,
  fields = [],
  errorLine,
  errorMessage,
  label,
  minHeight = 120,
  readOnly,
}: CodeEditorProps) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(onChange);
  latest.current = onChange;

  const extensions = (): Extension[] => [
    lineNumbers(),
    history(),
    bracketMatching(),
    closeBrackets(),
    indentOnInput(),
    syntaxHighlighting(highlight),
    chrome,
    keymap.of([...defaultKeymap, ...historyKeymap]),
    lintGutter(),
    language === "json"
      ? [json(), linter(optionalJsonLinter, { delay: 300 }), autocompletion({ override: [mqlCompletions(fields)] })]
      : [javascript(), linter(scriptSyntaxLinter, { delay: 400 }), autocompletion({ override: [scriptCompletions] })],
    EditorView.editable.of(!readOnly),
    EditorView.contentAttributes.of({ "aria-label": label }),
    EditorView.theme({ ".cm-content, .cm-gutter": { minHeight: `${minHeight}px` } }),
    cmPlaceholder(language === "json" ? "{ }" : "// JavaScript"),
    EditorView.updateListener.of((u) => {
      if (u.docChanged) latest.current?.(u.state.doc.toString());
    }),
  ];

  useEffect(() => {
    view.current = new EditorView({
      parent: host.current!,
      state: EditorState.create({ doc: value, extensions: extensions() }),
    });
    return () => view.current?.destroy();
    // The view is made once; value, theme and errors reach it through the effects below.
  }, []);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== value)
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: value } });
  }, [value]);

  useEffect(() => {
    view.current?.dispatch({ effects: StateEffect.reconfigure.of(extensions()) });
  }, [fields.join("\n"), readOnly]);

  useEffect(() => {
    const v = view.current;
    if (!v) return;
    const diagnostics: Diagnostic[] = [];
    if (errorLine && errorLine >= 1 && errorLine <= v.state.doc.lines) {
      const line = v.state.doc.line(errorLine);
      diagnostics.push({
        from: line.from,
        to: Math.max(line.to, line.from + 1),
        severity: "error",
        message: errorMessage ?? "error",
      });
    }
    v.dispatch(setDiagnostics(v.state, diagnostics));
  }, [errorLine, errorMessage, value]);

  return <div className="editor" ref={host} data-testid={`editor-${label}`} data-error-line={errorLine ?? ""} />;
}
