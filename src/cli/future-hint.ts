/**
 * What `ipc send` adds when a message went to a name nobody has registered
 * (a future message): most often a typo, so it names the closest registered
 * name, how long the message waits, and how to take it back.
 */
import type { Agent } from "../client/agent.ts";
import type { Config } from "../config.ts";
import { closest } from "./suggest.ts";

/**
 * The note for message `id` sent to the unregistered name `to`, e.g.
 * "no agent named fredd has registered; did you mean fred? (it will wait 7 days: `ipc unsend 13` takes it back)".
 * The list of names is best effort: without it, no suggestion.
 */
export async function futureNote(agent: Agent, config: Config, to: string, id: number): Promise<string> {
  const names = await agent.call("list", {}).then(
    (r) => r.instances.map((i) => i.name),
    () => [] as string[],
  );
  const guess = closest(to, names);
  const days = config.retention.futureDays;
  return (
    `no agent named ${to} has registered${guess === undefined ? "" : `; did you mean ${guess}?`} ` +
    `(it will wait ${days} day${days === 1 ? "" : "s"} for ${to}: \`ipc unsend ${id}\` takes it back)`
  );
}
