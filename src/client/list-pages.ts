/**
 * Paged `list` (issue 10, hole 7): the broker answers a page of instances at
 * a time; `listInstances` fetches one page, or follows `next_cursor` through
 * every page with `all`.
 */
import type { Agent } from "./agent.ts";
import type { ResultOf } from "../protocol/responses.ts";

/** Most pages `all` follows: a thousand pages of up to 1 000 names. */
export const MAX_PAGES = 1_000;

/** Which part of the list to fetch: after `cursor` (a name), pages of `limit`, or `all` of it. */
export interface ListOptions {
  cursor?: string;
  limit?: number;
  all?: boolean;
}

/**
 * One page of registered instances (by name), or with `all` every page joined
 * (the result then has no `next_cursor` unless MAX_PAGES ran out).
 * @throws IpcError from the broker, or NO_BROKER.
 */
export async function listInstances(agent: Agent, opts: ListOptions = {}): Promise<ResultOf<"list">> {
  const fetch = (cursor: string | undefined) =>
    agent.call("list", { ...(cursor !== undefined && { cursor }), ...(opts.limit !== undefined && { limit: opts.limit }) });
  let r = await fetch(opts.cursor);
  const instances = [...r.instances];
  for (let page = 1; opts.all === true && r.next_cursor !== undefined && page < MAX_PAGES; page++) {
    r = await fetch(r.next_cursor);
    instances.push(...r.instances);
  }
  return { ...r, instances };
}
