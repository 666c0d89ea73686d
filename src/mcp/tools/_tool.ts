/**
 * The shape of one MCP tool: its valibot input schema (JSON Schema generated
 * from it), legacy argument aliases, and a handler that returns the text the
 * model reads. Handlers throw IpcError / ToolInputError; the server turns
 * those into `isError` results.
 */
import * as v from "valibot";
import type { Agent } from "../../client/agent.ts";
import type { Config } from "../../config.ts";
import { ToolInputError, describeIssues } from "../errors.ts";
import type { Identity } from "../identity.ts";
import { type InputJsonSchema, type ToolInput, inputJsonSchema } from "../schema.ts";

/** What a handler acts through. */
export interface ToolContext {
  agent: Agent;
  config: Config;
  identity: Identity;
  /** Aborted when the host cancels the call. */
  signal: AbortSignal;
}

/** MCP tool annotations (hints for hosts). */
export interface ToolHints {
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

export interface ToolDef<S extends ToolInput = ToolInput> {
  name: string;
  title: string;
  /** Teaches the model when to call it, with the phrasings people use. */
  description: string;
  input: S;
  /** Legacy argument names (claude-ipc-mcp) → current names, applied before validation. */
  aliases?: Readonly<Record<string, string>>;
  /** One valid call, shown when arguments are wrong. */
  example: string;
  /** False for tools that work before register (register itself, list_instances). */
  needsIdentity?: boolean;
  hints?: ToolHints;
  run(args: v.InferOutput<S>, ctx: ToolContext): Promise<string>;
}

/** A tool as the server holds it: definition plus its generated JSON Schema. */
export interface Tool extends ToolDef<ToolInput> {
  inputSchema: InputJsonSchema;
}

/** Key under which `markBadArguments` passes on what a tools/call sent instead of an object. */
const BAD_ARGUMENTS = "\u0000ipc-bad-arguments";

/**
 * A JSON-RPC message as the server should see it: a `tools/call` whose `arguments` is
 * present but not an object (null, a string, an array…) gets a marker object instead, so
 * parseArgs answers an `isError` result. The MCP SDK would otherwise refuse the whole
 * request with a JSON-RPC error (-32602) before any tool code runs (MCP spec: input
 * errors belong in the tool result, where the model can read and fix them).
 */
export function markBadArguments<M>(message: M): M {
  const m = message as { method?: unknown; params?: unknown };
  if (m?.method !== "tools/call" || typeof m.params !== "object" || m.params === null) return message;
  const params = m.params as Record<string, unknown>;
  const a = params.arguments;
  if (a === undefined || (typeof a === "object" && a !== null && !Array.isArray(a))) return message;
  const got = a === null ? "null" : Array.isArray(a) ? "an array" : `a ${typeof a}`;
  return { ...m, params: { ...params, arguments: { [BAD_ARGUMENTS]: got } } } as M;
}

/** Defines a tool, generating its JSON Schema once (throws at load time if the schema cannot be converted). */
export function defineTool<S extends ToolInput>(def: ToolDef<S>): Tool {
  return { ...(def as unknown as ToolDef<ToolInput>), inputSchema: inputJsonSchema(def.input) };
}

/**
 * Validates raw tool arguments: applies legacy aliases (a current name wins
 * over its alias), then the tool's schema. Unknown keys are dropped, so
 * legacy `from_id` / `instance_id` are accepted and ignored (rename checks `old_id`); a
 * number sent as text ("41", "#41") is taken as the number.
 * @throws ToolInputError with a sentence naming the bad fields and an example.
 */
export function parseArgs(tool: Tool, raw: unknown): Record<string, unknown> {
  if (typeof raw === "object" && raw !== null && BAD_ARGUMENTS in raw) {
    const got = (raw as Record<string, unknown>)[BAD_ARGUMENTS];
    throw new ToolInputError(`${tool.name}: "arguments" must be an object of named arguments, got ${String(got)}. Example: ${tool.example}`);
  }
  const args: Record<string, unknown> = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? { ...raw } : {};
  for (const [legacy, current] of Object.entries(tool.aliases ?? {})) {
    if (!(legacy in args)) continue;
    if (args[current] === undefined) args[current] = args[legacy];
    delete args[legacy];
  }
  let r = v.safeParse(tool.input, args);
  if (!r.success) {
    // Models often quote numbers ("41", "#41", "30"): where the schema wants a number, take the number.
    const numeric = numbersFromText(tool, args);
    if (numeric !== null) r = v.safeParse(tool.input, numeric);
  }
  if (!r.success) throw new ToolInputError(describeIssues(tool.name, r.issues, tool.example));
  return r.output;
}

/** `args` with numeric strings turned into numbers for the properties the JSON Schema types as numbers; null when none is. */
function numbersFromText(tool: Tool, args: Record<string, unknown>): Record<string, unknown> | null {
  const out = { ...args };
  let changed = false;
  for (const [key, prop] of Object.entries(tool.inputSchema.properties ?? {})) {
    const value = out[key];
    const type = (prop as { type?: unknown }).type;
    if (typeof value === "string" && (type === "number" || type === "integer") && /^\s*#?\d+(\.\d+)?\s*$/.test(value)) {
      out[key] = Number(value.trim().replace(/^#/, ""));
      changed = true;
    }
  }
  return changed ? out : null;
}
