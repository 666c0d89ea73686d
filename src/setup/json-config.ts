/**
 * Reading and editing JSON configuration files of AI hosts with jsonc-parser
 * (the library VS Code edits its own settings with): comments and trailing
 * commas are tolerated, and an edit changes only the entry it sets, keeping
 * every other entry, the comments and the file's indentation.
 */
import { type ParseError, applyEdits, modify, parse, printParseErrorCode } from "jsonc-parser";
import { IpcError } from "../protocol/errors.ts";

/** 1-based line and column of `offset` in `text`. */
export function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  return { line, column: offset - before.lastIndexOf("\n") };
}

/** A JSON object, as parsed. */
export type JsonObject = Record<string, unknown>;

/** True for a plain JSON object (not an array, not null). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Parses the text of the JSON config file `file`; blank text is an empty
 * object. `jsonc` tolerates comments and trailing commas (hosts that read
 * their file as JSONC); otherwise the text must be strict JSON.
 * @throws IpcError naming file:line:column and the problem when the text is not
 *   JSON or its top level is not an object.
 */
export function parseJsonConfig(file: string, text: string, jsonc = false): JsonObject {
  if (text.trim() === "") return {};
  const errors: ParseError[] = [];
  const value: unknown = parse(text, errors, { allowTrailingComma: jsonc, disallowComments: !jsonc });
  const first = errors[0];
  if (first !== undefined) {
    const { line, column } = position(text, first.offset);
    const problem = printParseErrorCode(first.error).replace(/(?<=[a-z])(?=[A-Z])/g, " ").toLowerCase();
    throw new IpcError("BAD_REQUEST", `${file}:${line}:${column}: not valid JSON (${problem}); fix it by hand (nothing was written)`);
  }
  if (!isObject(value)) throw new IpcError("BAD_REQUEST", `${file}: expected a JSON object at the top level; fix it by hand (nothing was written)`);
  return value;
}

/** The value at `path` inside `root`, or undefined. */
export function valueAt(root: unknown, path: readonly string[]): unknown {
  let v = root;
  for (const key of path) {
    if (!isObject(v)) return undefined;
    v = v[key];
  }
  return v;
}

/**
 * Checks that every object on the way to `path`'s last key is an object (or absent).
 * @throws IpcError naming the file and the key that is in the way.
 */
export function assertPathOpen(file: string, root: JsonObject, path: readonly string[]): void {
  let v: unknown = root;
  for (const [i, key] of path.slice(0, -1).entries()) {
    v = (v as JsonObject)[key];
    if (v === undefined) return;
    if (!isObject(v)) {
      throw new IpcError("BAD_REQUEST", `${file}: "${path.slice(0, i + 1).join(".")}" should be an object; fix it by hand (nothing was written)`);
    }
  }
}

/** The indentation a JSON text uses (default two spaces) and its line ending. */
function style(text: string): { insertSpaces: boolean; tabSize: number; eol: string } {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const indent = /^([ \t]+)["}\]]/m.exec(text)?.[1];
  if (indent?.startsWith("\t")) return { insertSpaces: false, tabSize: 1, eol };
  return { insertSpaces: true, tabSize: indent ? indent.length : 2, eol };
}

/** `text` with `value` set at `path`, everything else untouched; ends with a line break. */
export function setJsonValue(text: string, path: ReadonlyArray<string | number>, value: unknown): string {
  const base = text.trim() === "" ? "{}" : text;
  const formattingOptions = style(base);
  const out = applyEdits(base, modify(base, [...path], value, { formattingOptions }));
  return out.endsWith("\n") ? out : `${out}${formattingOptions.eol}`;
}
