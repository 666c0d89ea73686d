/** The files a shell command line writes (src/claims/shell-writes.ts), as the guard of Bash reads them. */
import { describe, expect, test } from "bun:test";
import { mkdirSync, realpathSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { shellWrites } from "../../src/claims/shell-writes.ts";
import { coversEverything, PROBE_PATHS } from "../../src/claims/match.ts";
import { tempHome } from "../helpers/processes.ts";

describe("shellWrites", () => {
  const cwd = "/w";
  const w = (c: string) => shellWrites(c, cwd, "/h");
  test("redirections, tee, sed -i, perl -i, cp, mv, rm, truncate, touch, dd, ln, after prefixes and cd", () => {
    expect(w("echo x > a")).toEqual(["/w/a"]);
    expect(w("echo x >>b 2>/dev/null")).toEqual(["/w/b", "/dev/null"]);
    expect(w("echo x &> c")).toEqual(["/w/c"]);
    expect(w("echo x 2>&1 >| d")).toEqual(["/w/d"]);
    expect(w("ls | tee -a e f")).toEqual(["/w/e", "/w/f"]);
    expect(w("sed -i.bak 's/a/b/' g")).toEqual(["/w/g"]);
    expect(w("sed -e s/a/b/ -i h i")).toEqual(["/w/h", "/w/i"]);
    expect(w("sed 's/a/b/' j")).toEqual([]); // no -i: it only prints
    expect(w("perl -pi -e 's/a/b/' k")).toEqual(["/w/k"]);
    expect(w("cp -r src dst")).toEqual(["/w/dst", "/w/dst/src"]);
    expect(w("mv old new")).toEqual(["/w/old", "/w/new", "/w/new/old"]);
    expect(w("rm -rf -- -x y")).toEqual(["/w/-x", "/w/y"]);
    expect(w("truncate -s 0 z")).toEqual(["/w/z"]);
    expect(w("touch -d now t")).toEqual(["/w/t"]);
    expect(w("dd if=/dev/zero of=out bs=1")).toEqual(["/w/out"]);
    expect(w("sudo -n FOO=1 tee ~/x")).toEqual(["/h/x"]);
    expect(w("cd sub && rm q; cd /abs && rm r")).toEqual(["/w/sub/q", "/abs/r"]);
    expect(w("FOO=1 env BAR=2 nice -n 5 rm s")).toEqual(["/w/s"]);
    expect(w("sudo -n tee u")).toEqual(["/w/u"]);
    expect(w("sudo -u root timeout -s KILL 5 tee v")).toEqual(["/w/v"]);
  });
  test("reads, quoted operators and comments write nothing", () => {
    for (const c of ["cat a", "grep -r x src", "echo 'x > y'", 'echo "a >> b"', "ls # > c", "wc -l < d", "cat <<EOF", "git status", "sed -n p e"]) expect(w(c), c).toEqual([]);
  });
  test("globs expand in the folder (bounded); unparsable input gives nothing", () => {
    const dir = realpathSync(tempHome("ipc-shell-writes-"));
    mkdirSync(join(dir, "src"));
    for (const f of ["a.ts", "b.ts", "c.md"]) writeFileSync(join(dir, "src", f), "");
    expect(shellWrites("rm src/*.ts", dir, "/h").sort()).toEqual([join(dir, "src/a.ts"), join(dir, "src/b.ts")]);
    expect(shellWrites("echo 'unterminated", dir, "/h")).toEqual([]);
    expect(shellWrites("x".repeat(200_000), dir, "/h")).toEqual([]);
  });
});

describe("coversEverything", () => {
  test("decides by what a pattern matches, not its spelling", () => {
    for (const p of ["**", "{**,x}", "**/{*,x}", "**/?*", "{*,*/**}", "**/*", "{**/*,a}", "**/**"]) expect(coversEverything([p]), p).toBe(true);
    for (const p of ["**/*.*", "*/**", "src/**", "*", "**/*.ts", "[!.]*/**", "README.md"]) expect(coversEverything([p]), p).toBe(false);
    expect(coversEverything(["*", "*/**"])).toBe(true); // together
    expect(PROBE_PATHS.length).toBeGreaterThan(100);
  });
});
