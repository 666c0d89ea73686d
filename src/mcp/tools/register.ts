/** register: claim a name and act as it. */
import * as v from "valibot";
import { Name } from "../../protocol/names.ts";
import { defineTool } from "./_tool.ts";

export const RegisterInput = v.object({
  name: v.pipe(Name, v.description('the name to act as, e.g. "fred" or "claude-backend" (1–32 letters, digits, - or _)')),
  takeover: v.optional(
    v.pipe(v.boolean(), v.description("take the name even though another live session holds it (that session loses it); only when your user asks")),
  ),
});

export default defineTool({
  name: "register",
  title: "Register a name",
  description:
    'Claim a name on ipc and act as it, so other agents can message you. Use for "register as fred", "you are fred". Re-registering your own name after a restart is fine; mail sent to it before waits for you. A name another live session holds is refused (NAME_TAKEN) unless takeover is true.',
  input: RegisterInput,
  aliases: { instance_id: "name" },
  example: '{"name": "fred"}',
  needsIdentity: false,
  hints: { idempotentHint: true, openWorldHint: false },
  async run({ name, takeover }, { identity }) {
    const r = await identity.register(name, { takeover: takeover === true });
    const waiting = r.queued > 0 ? ` ${r.queued} message${r.queued === 1 ? " is" : "s are"} waiting — call check to read them.` : " No messages waiting.";
    return `Registered as ${r.name}: you act as ${r.name} from now on. Others can now message you with send to "${r.name}".${waiting}`;
  },
});
