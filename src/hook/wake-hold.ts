/**
 * How long a wake waiter holds, shared by the hook (src/hook/wake.ts) and the
 * hook entries `ipc setup` writes: Claude Code kills an async hook after its
 * `timeout` (seconds; 600 when unset), so the entry sets a longer one and the
 * waiter ends on its own a little before it.
 */

/** The `timeout` of the wake hook entries (s): one day. */
export const WAKE_HOOK_TIMEOUT_S = 86_400;

/** Default longest hold of one waiter (s): under WAKE_HOOK_TIMEOUT_S. */
export const DEFAULT_HOLD_S = WAKE_HOOK_TIMEOUT_S - 400;
