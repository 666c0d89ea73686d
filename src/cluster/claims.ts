/**
 * File claims cluster-wide (docs/cluster.md#2-message-flows): the space's
 * claims bucket `ipc_<space>_claims`, one key per project (`p_` and 32 hex
 * digits of the SHA-256 of its path), its value the project's claims as JSON
 * `{project, claims: [{path, holder, shared, reason, created_at, expires_at}]}`.
 * Every broker watches the bucket into memory, so `claims` and the guards are
 * map lookups that still answer while NATS is unreachable. A claim or release
 * rewrites its project's key by compare-and-set on the bucket's last sequence
 * as this broker's watch has seen it (`Nats-Expected-Last-Sequence`): a write
 * lands only when nothing at all was written to the bucket since the state it
 * was checked against, so of two brokers claiming overlapping paths at once
 * exactly one wins and the other checks again against the winner's claims.
 * (Not the per-key `Nats-Expected-Last-Subject-Sequence` of KV `update`: on a
 * replicated stream nats-server checks that one only before the Raft proposal,
 * so two concurrent writes may both pass, nats-io/nats-server#4320, fixed
 * after Debian's 2.9.10; the stream-wide one is checked as each replica
 * applies the write.)
 */
import * as v from "valibot";
import { log } from "../broker/log.ts";
import type { ClusterSettings } from "../config.ts";
import { ClaimPath, Project } from "../protocol/claims.ts";
import { IpcError } from "../protocol/errors.ts";
import { Name } from "../protocol/names.ts";
import type { ClaimRow } from "../store/claims.ts";
import type { Directory } from "./directory.ts";
import { STALE_MS } from "./directory.ts";
import type { Nats } from "./nats.ts";
import { dropped } from "./records.ts";
import type { Signer } from "./space-key.ts";
import { claimsBucket } from "./subjects.ts";

/** The key of `project` in the claims bucket (KV keys cannot hold a path). */
export function projectKey(project: string): string {
  return `p_${new Bun.CryptoHasher("sha256").update(project).digest("hex").slice(0, 32)}`;
}

/** One stored claim in a project's value (the project is the value's). Checked on every read: the bucket is shared. */
const StoredClaim = v.object({
  path: ClaimPath,
  holder: Name,
  shared: v.picklist([0, 1]),
  reason: v.nullable(v.pipe(v.string(), v.maxLength(200))),
  created_at: v.number(),
  expires_at: v.number(),
});
const ProjectClaims = v.object({ project: Project, claims: v.pipe(v.array(StoredClaim), v.maxLength(10_000)) });

/** The largest value written (bytes): well under NATS's 1 MB max_payload. */
const MAX_VALUE_BYTES = 512 * 1024;
/** Compare-and-set attempts of one rewrite, and the longest it may go on (ms; the client waits 15 s). */
const MAX_ATTEMPTS = 8;
const DEADLINE_MS = 8_000;
/** Most rows `rows` returns for every project (as the local `claims` table's query). */
const MAX_LISTED = 1_000;

/** A project's claims as last seen: the rows and the bucket sequence of that value. */
interface Known {
  project: string;
  rows: ClaimRow[];
  revision: number;
}

export class ClusterClaims {
  private readonly projects = new Map<string, Known>();
  /** The last bucket sequence the watch delivered: the view holds every write up to it (the watch delivers in order). */
  private seen = 0;
  /** The tail of this broker's rewrites: one at a time (every write to the bucket conflicts with every other). */
  private tail: Promise<unknown> = Promise.resolve();
  private nats: Nats | null = null;
  private watch: { stop(): void } | null = null;
  private readonly bucket: string;

  constructor(
    private readonly directory: Directory,
    /** True while NATS is connected (false before the join and between a disconnect and the reconnect). */
    private readonly connected: () => boolean,
    private readonly settings: ClusterSettings,
    private readonly signer: Signer,
  ) {
    this.bucket = claimsBucket(settings.space);
  }

  /** Starts watching the claims bucket of `nats` (last values first, then every update, in order) until `stop`. */
  async open(nats: Nats): Promise<void> {
    this.watch?.stop();
    const watch = await nats.claimsKv.watch();
    this.watch = watch;
    this.nats = nats;
    void (async () => {
      for await (const e of watch) {
        // Brokers never delete a project's key (a release rewrites the list): a delete or purge is not a broker's, and changes nothing.
        if (e.operation !== "PUT") dropped(`a ${e.operation} of the claims bucket's ${e.key} (brokers never remove one)`);
        else this.remember(e.key, e.revision, e.string());
        this.seen = Math.max(this.seen, e.revision);
      }
    })().catch((err: unknown) => log.warn(`cluster: claims watch ended: ${(err as Error).message}`));
  }

  stop(): void {
    this.watch?.stop();
    this.nats = null;
  }

  /**
   * Records the value of `key` at `revision` unless a newer one is known. A value not signed with the space
   * key for `key`, or not a list of claims of the project `key` names, is dropped: the last valid one stands.
   */
  private remember(key: string, revision: number, value: string): void {
    const known = this.projects.get(key);
    if (known !== undefined && known.revision > revision) return;
    const json = this.signer.open(this.bucket, key, value);
    let parsed: v.InferOutput<typeof ProjectClaims> | null = null;
    try {
      const r = json === null ? null : v.safeParse(ProjectClaims, JSON.parse(json));
      if (r?.success === true && projectKey(r.output.project) === key) parsed = r.output;
    } catch {
      // not JSON
    }
    if (parsed === null) {
      dropped(`the claims bucket's ${key} at revision ${revision}: not signed with this space's key, or not a list of claims`);
      return;
    }
    const project = parsed.project;
    this.projects.set(key, { project, revision, rows: parsed.claims.map((c) => ({ project, ...c })) });
  }

  /** See ClusterLink.claimRows. */
  rows(project: string | undefined, now: number): ClaimRow[] {
    if (project !== undefined) {
      const known = this.projects.get(projectKey(project));
      if (known === undefined || known.project !== project) return [];
      return known.rows.filter((r) => r.expires_at > now).sort((a, b) => order(a.path, b.path) || order(a.holder, b.holder));
    }
    const all: ClaimRow[] = [];
    for (const known of this.projects.values()) for (const r of known.rows) if (r.expires_at > now) all.push(r);
    all.sort((a, b) => order(a.project, b.project) || order(a.path, b.path) || order(a.holder, b.holder));
    return all.slice(0, MAX_LISTED);
  }

  /** See ClusterLink.presence. */
  presence(name: string): { online: boolean; lastLive: number } | null {
    const e = this.directory.entries.get(name)?.entry;
    if (e === undefined || e.broker === this.directory.me) return null;
    return { online: e.forward === undefined && e.live && Date.now() - e.at < STALE_MS, lastLive: e.at };
  }

  /** See ClusterLink.updateClaims. This broker's rewrites run one at a time. */
  update(project: string, change: (rows: readonly ClaimRow[]) => ClaimRow[] | null): Promise<ClaimRow[]> {
    const run = this.tail.then(() => this.rewrite(project, change));
    this.tail = run.catch(() => {});
    return run;
  }

  private async rewrite(project: string, change: (rows: readonly ClaimRow[]) => ClaimRow[] | null): Promise<ClaimRow[]> {
    const key = projectKey(project);
    const subject = `$KV.${this.bucket}.${key}`;
    const deadline = Date.now() + DEADLINE_MS;
    for (let attempt = 0; attempt < MAX_ATTEMPTS && Date.now() < deadline; attempt++) {
      const nats = this.nats;
      if (nats === null || !this.connected()) throw this.unreachable();
      // The view as of bucket sequence `base`: the write lands only if nothing was written since.
      const base = this.seen;
      const known = this.projects.get(key);
      const current = known !== undefined && known.project === project ? known.rows : [];
      const next = change(current);
      if (next === null) return current;
      const value = this.signer.seal(this.bucket, key, JSON.stringify({ project, claims: next.map(({ project: _, ...c }) => c) }));
      if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
        throw new IpcError("TOO_LARGE", `the claims of ${project} would take more than ${MAX_VALUE_BYTES / 1024} KiB cluster-wide: claim folders or globs instead of many files, or release some (ipc release)`);
      }
      let last: number;
      try {
        const ack = await nats.js.publish(subject, value, { expect: { lastSequence: base } });
        this.remember(key, ack.seq, value);
        // It landed right after `base`: the view is whole up to it too.
        this.seen = Math.max(this.seen, ack.seq);
        return next;
      } catch (err) {
        const { JetStreamApiError, JetStreamApiCodes } = nats.jsmod;
        if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamWrongLastSequence) throw this.unreachable(err);
        // Another write came first: wait (bounded) until the watch has delivered up to the bucket's last sequence, then check again.
        try {
          last = (await nats.jsm.streams.info(`KV_${this.bucket}`)).state.last_seq;
        } catch (infoErr) {
          throw this.unreachable(infoErr);
        }
      }
      for (let i = 0; i < 200 && this.seen < last && Date.now() < deadline; i++) await Bun.sleep(10);
    }
    throw new IpcError("UNAVAILABLE", "the cluster's file claims are being rewritten by other brokers faster than this one could write: try again");
  }

  /** `from` was renamed to `to` on this broker: its claims follow, in every project (as UPDATE OR REPLACE of the local table: `to`'s own claim on a path gives way). */
  renamed(from: string, to: string): void {
    for (const known of this.projects.values()) {
      if (!known.rows.some((r) => r.holder === from)) continue;
      this.update(known.project, (rows) => {
        const moved = new Set(rows.filter((r) => r.holder === from).map((r) => r.path));
        if (moved.size === 0) return null;
        return rows.filter((r) => r.holder !== to || !moved.has(r.path)).map((r) => (r.holder === from ? { ...r, holder: to } : r));
      }).catch((err: unknown) => log.warn(`cluster: the claims of ${from} in ${known.project} could not follow its rename to ${to}: ${(err as Error).message}`));
    }
  }

  /** UNAVAILABLE: NATS cannot be reached, so claims cannot change cluster-wide now; says what still works and what to do. */
  private unreachable(err?: unknown): IpcError {
    const why = err === undefined ? "" : ` (${(err as Error).message})`;
    return new IpcError(
      "UNAVAILABLE",
      `this broker cannot reach the cluster's NATS servers (${this.settings.servers.join(",")})${why}, so file claims cannot be made or released cluster-wide now; ` +
        "claims already made still hold and ipc claims shows them as last seen. Try again once NATS is back (ipc doctor shows the cluster).",
    );
  }
}

/** Code-unit order of two strings (for ASCII paths the order of SQLite's BINARY collation, as the local `claims` table sorts). */
function order(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
