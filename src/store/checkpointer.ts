/**
 * WAL checkpoints off the broker's thread (https://sqlite.org/wal.html#ckpt).
 * A checkpoint copies committed pages from the WAL into the database and
 * fsyncs both; run inside a commit it would stall every request behind it.
 * Here a Worker with its own connection runs `wal_checkpoint(PASSIVE)` on a
 * timer, which never blocks the writer; the broker's own connection keeps a
 * high `wal_autocheckpoint` only as a safety net should the worker stop.
 */
import type { Database } from "bun:sqlite";

/** The worker's code: kept inline so the compiled binary needs no extra entry point. */
const WORKER_SOURCE = `
import { Database } from "bun:sqlite";
let db;
let timer;
self.onmessage = (event) => {
  const msg = event.data;
  if (msg.type === "start") {
    db = new Database(msg.path);
    db.exec("PRAGMA busy_timeout = 0");
    timer = setInterval(() => {
      try { db.query("PRAGMA wal_checkpoint(PASSIVE)").get(); } catch {}
    }, msg.intervalMs);
    postMessage({ type: "started" });
  } else if (msg.type === "stop") {
    clearInterval(timer);
    try { db?.close(); } catch {}
    postMessage({ type: "stopped" });
  }
};
`;

/** Pages the broker's connection lets the WAL reach before checkpointing itself (the safety net). */
export const SAFETY_NET_PAGES = 16_384;

export class Checkpointer {
  private constructor(private readonly worker: Worker) {}

  /**
   * Starts checkpointing `path` every `intervalMs` on a worker thread and
   * raises `db`'s own autocheckpoint threshold. Returns null (and leaves
   * SQLite's default behaviour) when a worker cannot start.
   */
  static async start(db: Database, path: string, intervalMs = 50): Promise<Checkpointer | null> {
    let worker: Worker;
    try {
      const url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "application/javascript" }));
      worker = new Worker(url);
    } catch {
      return null;
    }
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 2_000);
      worker.onmessage = (e) => {
        if (e.data?.type === "started") {
          clearTimeout(timer);
          resolve(true);
        }
      };
      worker.onerror = () => resolve(false);
      worker.postMessage({ type: "start", path, intervalMs });
    });
    if (!started) {
      worker.terminate();
      return null;
    }
    worker.unref();
    db.exec(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`);
    return new Checkpointer(worker);
  }

  /** Stops the worker and closes its connection (bounded wait). */
  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1_000);
      this.worker.onmessage = (e) => {
        if (e.data?.type === "stopped") {
          clearTimeout(timer);
          resolve();
        }
      };
      this.worker.postMessage({ type: "stop" });
    });
    this.worker.terminate();
  }
}
