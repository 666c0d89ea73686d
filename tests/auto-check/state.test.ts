/** Auto-check state: start/stop/status, interval validation, due times, private files. */
import { describe, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import {
  autoCheckDir,
  autoCheckStatus,
  dueForCheck,
  markChecked,
  startAutoCheck,
  stopAutoCheck,
} from "../../src/auto-check/state.ts";
import { resolveConfig } from "../../src/config.ts";
import { IpcError } from "../../src/protocol/errors.ts";
import { tempHome } from "../helpers/processes.ts";

const fresh = () => resolveConfig({ home: tempHome("ipc-autocheck-") });

describe("auto-check state", () => {
  test("off until started; start, status, stop", () => {
    const config = fresh();
    expect(autoCheckStatus(config, "fred")).toEqual({ name: "fred", enabled: false, interval_minutes: null, last_check: null, next_check: null });
    const before = Date.now();
    const on = startAutoCheck(config, "Fred", 5);
    expect(on).toMatchObject({ name: "fred", enabled: true, interval_minutes: 5, last_check: null });
    expect(Date.parse(on.next_check!)).toBeGreaterThanOrEqual(before - 1);
    expect(autoCheckStatus(config, "fred")).toEqual(on);
    const off = stopAutoCheck(config, "fred");
    expect(off).toMatchObject({ name: "fred", enabled: false, interval_minutes: null, next_check: null });
    expect(autoCheckStatus(config, "fred").enabled).toBe(false);
    expect(stopAutoCheck(config, "nobody").enabled).toBe(false);
  });

  test("state is per name and per IPC_HOME, in a 0600 file", () => {
    const a = fresh();
    const b = fresh();
    startAutoCheck(a, "fred", 3);
    expect(autoCheckStatus(a, "barney").enabled).toBe(false);
    expect(autoCheckStatus(b, "fred").enabled).toBe(false);
    const file = join(autoCheckDir(a), "fred.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(autoCheckDir(a)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({ name: "fred", enabled: true, interval_minutes: 3 });
  });

  test("minutes must be a whole number from 1 to 60", () => {
    const config = fresh();
    for (const bad of [0, 61, -5, 2.5, Number.NaN]) {
      expect(() => startAutoCheck(config, "fred", bad)).toThrow(IpcError);
    }
    expect(() => startAutoCheck(config, "fred", 0)).toThrow(/from 1 to 60/);
    expect(startAutoCheck(config, "fred", 1).interval_minutes).toBe(1);
    expect(startAutoCheck(config, "fred", 60).interval_minutes).toBe(60);
  });

  test("names that are not names (paths) are refused", () => {
    const config = fresh();
    expect(() => startAutoCheck(config, "../evil", 5)).toThrow(/not a valid name/);
    expect(dueForCheck(config, "../evil")).toBe(false);
  });

  test("due at once after start, then once per interval after each check", () => {
    const config = fresh();
    expect(dueForCheck(config, "fred")).toBe(false);
    startAutoCheck(config, "fred", 5);
    const t0 = new Date();
    expect(dueForCheck(config, "fred", t0)).toBe(true);
    markChecked(config, "fred", t0);
    const s = autoCheckStatus(config, "fred");
    expect(s.last_check).toBe(t0.toISOString());
    expect(Date.parse(s.next_check!) - t0.getTime()).toBe(5 * 60_000);
    expect(dueForCheck(config, "fred", new Date(t0.getTime() + 60_000))).toBe(false);
    expect(dueForCheck(config, "fred", new Date(t0.getTime() + 5 * 60_000))).toBe(true);
    stopAutoCheck(config, "fred");
    expect(dueForCheck(config, "fred", new Date(t0.getTime() + 10 * 60_000))).toBe(false);
    markChecked(config, "fred", new Date()); // off: nothing recorded
    expect(autoCheckStatus(config, "fred").last_check).toBe(t0.toISOString());
  });
});
