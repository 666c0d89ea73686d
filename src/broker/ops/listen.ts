/**
 * `listen` (owner only, src/broker/parties.ts): the running broker also listens with TLS on more
 * addresses, for joined machines (docs/remote.md), without a restart. `ipc
 * serve --detach --listen ADDR:PORT` sends it when a broker runs already.
 */
import { IpcError } from "../../protocol/errors.ts";
import { errorFrame, okFrame } from "../edge/frames.ts";
import type { OpHandler } from "./types.ts";

export const listen: OpHandler<"listen"> = (b, conn, req) => {
  const id = req.id ?? null;
  b.addListeners(req.add).then(
    (added) => {
      const tls = b.tls!;
      b.commit.send(conn, okFrame(id, { fingerprint: tls.fingerprint, listeners: tls.listeners, added }), id);
    },
    (err: unknown) => {
      const e = err instanceof IpcError ? err : new IpcError("INTERNAL", `the listener did not open: ${(err as Error).message}`);
      b.commit.send(conn, errorFrame(id, e.toBody()), id);
    },
  );
  return undefined;
};
