/**
 * Completion for the "to" box: agent names, `#channels` and `*` (everyone),
 * as a listbox under the WAI-ARIA combobox pattern. ↑ ↓ move, Enter or Tab
 * take the highlighted one, Escape closes. Names that start with what was
 * typed come first, then names that contain it.
 */
import { el } from "./render.ts";

/** One thing the box can complete to. */
export interface Choice {
  value: string;
  /** A short note shown beside it (the host kind, member count…). */
  note: string;
}

/** Most choices shown at once. */
const SHOWN = 12;

export class Completer {
  private choices: Choice[] = [];
  private shown: Choice[] = [];
  private at = -1;

  constructor(
    private readonly input: HTMLInputElement,
    private readonly list: HTMLUListElement,
    /** Called after a choice is taken. */
    private readonly taken: (value: string) => void,
  ) {
    input.addEventListener("input", () => this.open());
    input.addEventListener("focus", () => this.open());
    // Closed a moment after the box loses the focus (a click on a choice lands first), unless it has it again.
    input.addEventListener("blur", () => setTimeout(() => document.activeElement !== input && this.close(), 150));
    input.addEventListener("keydown", (e) => this.key(e));
  }

  /** What can be completed to (refreshed as agents and channels load). */
  set(choices: Choice[]): void {
    this.choices = choices;
    if (!this.list.hidden) this.open();
  }

  private open(): void {
    const q = this.input.value.trim().toLowerCase();
    const starts = this.choices.filter((c) => c.value.startsWith(q));
    const contains = q === "" ? [] : this.choices.filter((c) => !c.value.startsWith(q) && c.value.includes(q));
    this.shown = [...starts, ...contains].slice(0, SHOWN);
    if (this.shown.length === 0 || (this.shown.length === 1 && this.shown[0]!.value === q)) return this.close();
    this.at = q === "" ? -1 : 0;
    this.list.replaceChildren(
      ...this.shown.map((c, i) => {
        const li = el("li", { role: "option", id: `choice-${i}`, "aria-selected": String(i === this.at), "data-value": c.value }, el("span", {}, c.value), el("span", { class: "dim" }, c.note));
        li.addEventListener("mousedown", (e) => {
          e.preventDefault();
          this.take(c.value);
        });
        return li;
      }),
    );
    this.list.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.mark();
  }

  close(): void {
    this.list.hidden = true;
    this.at = -1;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
  }

  private mark(): void {
    this.list.querySelectorAll("li").forEach((li, i) => li.setAttribute("aria-selected", String(i === this.at)));
    if (this.at >= 0) {
      this.input.setAttribute("aria-activedescendant", `choice-${this.at}`);
      this.list.children[this.at]?.scrollIntoView({ block: "nearest" });
    } else this.input.removeAttribute("aria-activedescendant");
  }

  private take(value: string): void {
    this.input.value = value;
    this.close();
    this.taken(value);
  }

  private key(e: KeyboardEvent): void {
    if (this.list.hidden) {
      if (e.key === "ArrowDown") {
        e.preventDefault();
        this.open();
      }
      return;
    }
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const n = this.shown.length;
      this.at = e.key === "ArrowDown" ? (this.at + 1) % n : (this.at - 1 + n) % n;
      this.mark();
    } else if ((e.key === "Enter" || e.key === "Tab") && this.at >= 0) {
      e.preventDefault();
      this.take(this.shown[this.at]!.value);
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      this.close();
    }
  }
}
