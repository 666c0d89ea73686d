/**
 * Tool input schemas: valibot schemas are the single source; the JSON Schema
 * an MCP host sees is generated from them, and the arguments a host sends are
 * validated with them.
 */
import { toJsonSchema } from "@valibot/to-json-schema";
import * as v from "valibot";
import { JsonObject } from "../protocol/message.ts";

/** A tool's input: a valibot object, optionally piped through cross-field checks. */
export type ToolInput = v.GenericSchema<Record<string, unknown>, Record<string, unknown>>;

/** The JSON Schema of a tool input, as MCP's `inputSchema` wants it. */
export interface InputJsonSchema {
  type: "object";
  properties?: Record<string, object>;
  required?: string[];
  [key: string]: unknown;
}

/**
 * Converts a tool's valibot input schema to JSON Schema (draft-07, input side).
 * Checks (`v.check`: cross-field rules, reserved names) stay server-side, as
 * does lower-casing names (any case is accepted); `Data` becomes "any JSON
 * object". The top-level `$schema` is dropped: some hosts reject it.
 */
export function inputJsonSchema(schema: ToolInput): InputJsonSchema {
  const json = toJsonSchema(schema, {
    typeMode: "input",
    ignoreActions: ["check", "to_lower_case"],
    overrideSchema: ({ valibotSchema }) =>
      valibotSchema === JsonObject ? { type: "object", description: "any JSON object", additionalProperties: true } : undefined,
  }) as Record<string, unknown>;
  delete json.$schema;
  if (json.type !== "object") throw new Error("a tool input schema must be an object schema");
  return json as InputJsonSchema;
}

/** Attaches a description that the generated JSON Schema carries to the model. */
export function described<S extends v.GenericSchema>(schema: S, text: string) {
  return v.pipe(schema, v.description(text));
}
