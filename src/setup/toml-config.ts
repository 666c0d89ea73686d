/**
 * Reading and editing TOML configuration (Codex's config.toml) with
 * smol-toml. smol-toml parses and serialises but does not keep comments, so
 * an edit replaces only the text of the `[mcp_servers.ipc]` table (or appends
 * it), then parses the result again to prove that the entry is right and
 * that nothing else changed.
 */
import { TomlError, parse, stringify } from "smol-toml";
import { IpcError } from "../protocol/errors.ts";
import { type JsonObject, isObject, valueAt } from "./json-config.ts";

/**
 * Parses the text of the TOML config file `file`.
 * @throws IpcError naming file:line:column and the problem when the text is not TOML.
 */
export function parseTomlConfig(file: string, text: string): JsonObject {
  try {
    return parse(text) as JsonObject;
  } catch (err) {
    if (err instanceof TomlError) {
      const reason = err.message.split("\n")[0]!.replace(/^Invalid TOML document: /, "");
      throw new IpcError("BAD_REQUEST", `${file}:${err.line}:${err.column}: not valid TOML (${reason}); fix it by hand (nothing was written)`);
    }
    throw err;
  }
}

/** The TOML text of the table at `path` holding `value`, e.g. `[mcp_servers.ipc]` and its keys. */
export function tomlTable(path: readonly string[], value: JsonObject): string {
  let doc: JsonObject = value;
  for (const key of [...path].reverse()) doc = { [key]: doc };
  return stringify(doc).trimEnd() + "\n";
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Copy of `root` without the value at `path`, and without the tables that this leaves empty. */
function without(root: JsonObject, path: readonly string[]): JsonObject {
  const copy = structuredClone(root);
  for (let n = path.length; n > 0; n--) {
    const parent = valueAt(copy, path.slice(0, n - 1));
    const key = path[n - 1]!;
    if (!isObject(parent)) break;
    if (n === path.length || (isObject(parent[key]) && Object.keys(parent[key] as JsonObject).length === 0)) delete parent[key];
  }
  return copy;
}

/**
 * `text` with the table at `path` (e.g. ["mcp_servers", "ipc"]) set to `value`:
 * its `[a.b]` block (with sub-tables like `[a.b.env]`) is replaced, or a new
 * block is appended.
 * @throws IpcError when the table is written in another form (inline, dotted
 *   keys) that cannot be replaced safely, naming the file.
 */
export function setTomlTable(file: string, text: string, path: readonly string[], value: JsonObject): string {
  const before = parseTomlConfig(file, text);
  const block = tomlTable(path, value);
  const dotted = path.map(escape).join("\\s*\\.\\s*");
  const header = new RegExp(`^[ \\t]*\\[[ \\t]*${dotted}[ \\t]*\\][ \\t]*(#.*)?$`, "m");
  const anyHeader = /^[ \t]*\[/gm;
  const own = new RegExp(`^[ \\t]*\\[[ \\t]*${dotted}[ \\t]*\\.`);
  let out: string;
  const found = header.exec(text);
  if (found) {
    anyHeader.lastIndex = found.index + found[0].length;
    let end = text.length;
    for (let m = anyHeader.exec(text); m; m = anyHeader.exec(text)) {
      const line = text.slice(m.index, text.indexOf("\n", m.index) === -1 ? text.length : text.indexOf("\n", m.index));
      if (!own.test(line)) {
        end = m.index;
        break;
      }
    }
    // Comments and blank lines just above the next table belong to it: keep them.
    const lines = text.slice(found.index, end).split("\n");
    let keep = lines.length;
    while (keep > 1 && /^\s*(#.*)?$/.test(lines[keep - 1]!)) keep--;
    const tail = text.slice(Math.min(text.length, found.index + lines.slice(0, keep).join("\n").length + 1));
    out = text.slice(0, found.index) + block + (tail.trim() === "" ? "" : tail.startsWith("\n") ? tail : `\n${tail}`);
  } else if (valueAt(before, path) !== undefined) {
    throw new IpcError(
      "BAD_REQUEST",
      `${file} defines ${path.join(".")} in a form ipc does not edit (not a [${path.join(".")}] table); remove it and run again, or edit it by hand`,
    );
  } else {
    const trimmed = text.replace(/\s*$/, "");
    out = trimmed === "" ? block : `${trimmed}\n\n${block}`;
  }
  const after = parseTomlConfig(file, out);
  if (!Bun.deepEquals(valueAt(after, path), value) || !Bun.deepEquals(without(after, path), without(before, path))) {
    throw new IpcError("INTERNAL", `could not edit ${file} safely (its layout confused the editor); add the snippet by hand (nothing was written)`);
  }
  return out;
}
