/**
 * `ui`: a one-time login link for the browser dashboard (src/ui/server.ts),
 * started on the first request so a broker nobody watches never loads it.
 * The dashboard shows every message, so only the owner may ask (owner.ts).
 */
import { IpcError } from "../../protocol/errors.ts";
import type { Broker } from "../broker.ts";
import { errorFrame, okFrame } from "../edge/frames.ts";
import { requireOwner } from "../parties.ts";
import type { OpHandler } from "./types.ts";

type Dashboard = Awaited<ReturnType<typeof import("../../ui/server.ts").startDashboard>>;
/** Each broker's dashboard, started or starting. */
const dashboards = new WeakMap<Broker, Promise<Dashboard>>();

/** The broker's dashboard, started once (a failed start may be retried). */
function dashboardOf(b: Broker): Promise<Dashboard> {
  let d = dashboards.get(b);
  if (d === undefined) {
    d = import("../../ui/server.ts")
      .then((m) => m.startDashboard(b))
      .then((started) => {
        b.dashboard = started;
        return started;
      })
      .catch((err) => {
        dashboards.delete(b);
        throw err;
      });
    dashboards.set(b, d);
  }
  return d;
}

export const ui: OpHandler<"ui"> = (b, conn, req) => {
  requireOwner(conn, "the dashboard (`ipc ui`)");
  if (!b.config.ui.enabled) {
    throw new IpcError("FORBIDDEN", "the dashboard is off on this broker (IPC_UI=off); restart it without IPC_UI=off to use `ipc ui`");
  }
  const id = req.id ?? null;
  dashboardOf(b).then(
    (d) => b.commit.send(conn, okFrame(id, d.login()), id),
    (err) => {
      const e = err instanceof IpcError ? err : new IpcError("INTERNAL", `the dashboard did not start: ${(err as Error).message}`);
      b.commit.send(conn, errorFrame(id, e.toBody()), id);
    },
  );
  return undefined;
};
