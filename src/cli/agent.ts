/** Opening the Agent a messaging command acts through, and reading message text. */
import type { Config } from "../config.ts";
import { Agent } from "../client/agent.ts";
import { type Identity, resolveIdentity } from "../client/parent-session.ts";
import { IpcError } from "../protocol/errors.ts";
import { usageError } from "./errors.ts";
import { palette } from "./output.ts";

/** Why a command that acts as a name cannot run: no name is known here. */
export const NO_NAME = "no name to act as: run `ipc register NAME` first, or pass --as NAME / set IPC_NAME";

/** An Agent for `config` (starts a broker unless --no-spawn). */
export function agentFor(config: Config): Agent {
  return new Agent(config);
}

/**
 * The Agent of a command that acts as a name, and who that is and why
 * (resolveIdentity: --as / IPC_NAME, the host's MCP session, this shell's
 * last name, the only saved one). With no name at all the Agent says so on its first call,
 * or, when `needsName`, this throws at once (UNAUTHENTICATED, exit 1).
 * @throws IpcError (exit 2) listing the candidates when several names could be meant.
 */
export function actingAgent(config: Config, needsName = false): { agent: Agent; as: Identity | null } {
  const as = resolveIdentity(config);
  // A command that only works as a name fails here, before it reaches (or starts) a broker.
  if (as === null && needsName) throw new IpcError("UNAUTHENTICATED", NO_NAME);
  if (as === null) return { agent: new Agent(config), as };
  const agent = new Agent({ ...config, name: as.name });
  if (as.token !== null) agent.adopt(as.name, as.token);
  return { agent, as };
}

/** A first line "(as NAME)" for a command whose human output is a list of messages; "" when the name is unknown. */
export function asHeader(agent: Agent, color: boolean): string {
  return agent.name === null ? "" : `${palette(color).dim(`(as ${agent.name})`)}\n`;
}

/** " as NAME" for a command's human output (the name it acted as), or "" when unknown. */
export function asWho(agent: Agent): string {
  return agent.name === null ? "" : ` as ${agent.name}`;
}

/** The message text: the words after the command's other positionals, or stdin when it is "-". */
export async function messageText(words: string[]): Promise<string> {
  const text = words.length === 1 && words[0] === "-" ? await Bun.stdin.text() : words.join(" ");
  if (text.trim() === "") {
    throw usageError(
      words.length === 1 && words[0] === "-"
        ? "stdin was empty: nothing to send"
        : "no message given: ipc send TO MESSAGE…, or ipc send TO - to read it from stdin",
    );
  }
  return text;
}

/** Parses --data: a JSON object. */
export function parseData(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw usageError(`--data is not valid JSON: ${text}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw usageError("--data must be a JSON object, e.g. --data '{\"pr\":42}'");
  return value as Record<string, unknown>;
}

/** Parses a positive integer flag or argument. */
export function parseId(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw usageError(`${what} must be a positive whole number, got "${text}"`);
  return n;
}
