/**
 * A stand-in AI host or shell: `bun tests/helpers/fake-host.ts CMD ARGS…` runs
 * CMD with this process's stdio and ends when it ends. The command's host
 * process (its seat, docs/identity.md) is then this process, not the test
 * runner: two of them are two seats.
 */
const child = Bun.spawn(process.argv.slice(2), { stdio: ["inherit", "inherit", "inherit"] });
for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, () => child.kill(signal));
process.exit(await child.exited);

export {};
