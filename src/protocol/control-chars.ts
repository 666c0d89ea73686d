/**
 * Control characters in text that came from someone else (message content,
 * names, shared files and command output) are escaped before it reaches a
 * terminal or a model's context: `ESC ]2;…BEL` would otherwise retitle the
 * reader's tmux pane, `ESC [2J` clear it, `\r` overwrite a line (issue 10).
 */

/** C0 controls except \t and \n, DEL, and the C1 controls U+0080–U+009F (ECMA-48). */
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/** The same, but \r is kept (texts for models, where it moves no cursor). */
const CONTROL_BUT_CR = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]/g;

const escapeOne = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/**
 * `text` with every control character but \n and \t written as a visible `\uXXXX`
 * (ESC → `\u001b`, so an escape sequence shows as text and does nothing). For a
 * terminal a CRLF line end becomes \n and a lone \r is escaped; with `keepCR` \r stays.
 * The `\uXXXX` form keeps JSON text valid JSON.
 */
export function escapeControl(text: string, opts: { keepCR?: boolean } = {}): string {
  if (opts.keepCR === true) return text.replace(CONTROL_BUT_CR, escapeOne);
  return text.replaceAll("\r\n", "\n").replace(CONTROL, escapeOne);
}
