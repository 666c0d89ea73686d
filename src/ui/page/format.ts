/**
 * Times as the dashboard shows them, shared by the page and the server's
 * first screen (no DOM here). Local time: the browser's zone on the page,
 * the broker's on the server (the same machine; the page redraws the lists
 * that show times once it runs).
 */

/** "12 s", "4 min", "3 h", "2 d": how long `ms` is, short. */
export function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

// One formatter each, made once: toLocaleTimeString with options builds a new Intl.DateTimeFormat per
// call, which took 80–180 ms of the first screen's 250 rows (a CPU profile of `ui.first_screen`).
const CLOCK = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" });
const TIME = new Intl.DateTimeFormat([], { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
const DAY = new Intl.DateTimeFormat([], { day: "numeric", month: "short" });

/** "14:03:22" (local time, seconds). */
export function clock(isoTime: string): string {
  return CLOCK.format(new Date(isoTime));
}

/** "14:03" today, else "3 Dec 14:03". */
export function when(isoTime: string): string {
  const d = new Date(isoTime);
  const now = new Date();
  const today = d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return today ? TIME.format(d) : `${DAY.format(d)} ${TIME.format(d)}`;
}

