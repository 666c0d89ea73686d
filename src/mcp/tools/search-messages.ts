/** search_messages: full-text search (SQLite FTS5) of messages this agent sent or received. */
import * as v from "valibot";
import { count, messagesText } from "../format.ts";
import { limitField } from "./_fields.ts";
import { defineTool } from "./_tool.ts";

export const SearchMessagesInput = v.object({
  query: v.pipe(v.string(), v.minLength(1, "query is empty: give words to search for"), v.maxLength(256), v.description("words to find; every word must match")),
  limit: limitField(100, "results, newest first"),
});

export default defineTool({
  name: "search_messages",
  title: "Search messages",
  description:
    'Search the messages you sent or received (read ones too) by words. Use for "find fred\'s message about the deploy", "search messages for migration", "what did barney say about tests?".',
  input: SearchMessagesInput,
  example: '{"query": "deploy"}',
  hints: { readOnlyHint: true, openWorldHint: false },
  async run(args, { agent }) {
    const { messages } = await agent.call("search", args);
    return messagesText(messages, `No messages match "${args.query}".`, (n) => `${count(n, "message")} ${n === 1 ? "matches" : "match"}`, agent.name);
  },
});
