import type { Op, RequestOf } from "../../protocol/requests.ts";
import type { Broker } from "../broker.ts";
import type { Connection } from "../edge/connection.ts";

/**
 * Handles one validated request. Returns the result members of the response,
 * or undefined when it will answer later itself (a held `check`).
 * @throws IpcError for every refusal; anything else becomes INTERNAL.
 */
export type OpHandler<O extends Op> = (b: Broker, conn: Connection, req: RequestOf<O>) => object | undefined;
