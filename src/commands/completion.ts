/** `ipc completion bash|zsh|fish`: print a shell completion script generated from the command tree. */
import { type CommandDef, defineCommand } from "citty";
import { bashScript } from "../completion/bash.ts";
import { fishScript } from "../completion/fish.ts";
import { commandTree } from "../completion/tree.ts";
import { zshScript } from "../completion/zsh.ts";
import { out } from "../cli/output.ts";
import { root } from "./index.ts";

const SHELLS = {
  bash: { render: bashScript, load: "source <(ipc completion bash)   # add to ~/.bashrc" },
  zsh: { render: zshScript, load: "source <(ipc completion zsh)    # add to ~/.zshrc" },
  fish: { render: fishScript, load: "ipc completion fish | source   # or save to ~/.config/fish/completions/ipc.fish" },
} as const;

function shellCommand(shell: keyof typeof SHELLS): CommandDef<any> {
  return defineCommand({
    meta: { name: shell, description: `Print the ${shell} completion script (${SHELLS[shell].load})` },
    async run() {
      out(SHELLS[shell].render(await commandTree("ipc", root)));
    },
  });
}

export default defineCommand({
  meta: { name: "completion", description: "Print a shell completion script: ipc completion bash|zsh|fish" },
  subCommands: { bash: shellCommand("bash"), zsh: shellCommand("zsh"), fish: shellCommand("fish") },
});
