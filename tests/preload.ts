/**
 * Test preload (bunfig.toml): every test process gets its own temporary HOME
 * and IPC_HOME, so no test touches a real home directory or a real broker.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = mkdtempSync(join(tmpdir(), "ipc-test-"));
process.env.HOME = join(root, "home");
process.env.IPC_HOME = join(root, "ipc-home");
process.env.IPC_PORT = "1"; // a test that forgets to pick a free port fails loudly instead of using 9876
delete process.env.IPC_NAME;
delete process.env.IPC_SHARED_SECRET;
delete process.env.IPC_OPEN;
delete process.env.IPC_NO_SPAWN;
process.env.NO_COLOR = "1";
process.env.IPC_LOG_LEVEL = "warn"; // in-process brokers: only warnings and errors
