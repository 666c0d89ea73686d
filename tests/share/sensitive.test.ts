/** What share_file / share_command count as a secret (src/share/sensitive.ts). */
import { describe, expect, test } from "bun:test";
import { userInfo } from "node:os";
import { containsPrivateKey, secretPlaces, secretReason } from "../../src/share/sensitive.ts";

const places = { ipcHome: "/home/u/.ipc", userHomes: ["/home/u"] };

describe("secretReason", () => {
  test("secret places and names", () => {
    for (const path of [
      "/home/u/.ipc",
      "/home/u/.ipc/sessions/fred.json",
      "/home/u/.ssh/id_ed25519",
      "/home/u/.aws/config",
      "/home/u/.gnupg/pubring.kbx",
      "/home/u/.config/gcloud/application_default_credentials.json",
      "/home/u/.kube/config",
      "/home/u/.docker/config.json",
      "/home/u/.netrc",
      "/srv/app/.env",
      "/srv/app/.env.local",
      "/srv/app/.envrc",
      "/srv/app/tls/server.key",
      "/srv/app/tls/cert.PEM",
      "/backup/id_rsa",
      "/etc/shadow",
      "/etc/gshadow",
    ]) {
      expect(secretReason(path, places), path).not.toBeNull();
    }
  });

  test("ordinary files, including look-alikes, are not secrets", () => {
    for (const path of [
      "/home/u/.ipcx/notes.txt",
      "/home/u/.sshrc",
      "/home/u/.ssh-notes.md",
      "/home/u/.docker/daemon.json",
      "/home/u/src/environment.ts",
      "/home/u/src/.envy",
      "/home/u/.ssh.txt",
      "/home/u/id_rsa.pub",
      "/etc/passwd",
      "/home/u/keys.md",
    ]) {
      expect(secretReason(path, places), path).toBeNull();
    }
  });

  test("the account's home from the password database counts as well as HOME", () => {
    const account = userInfo().homedir;
    const p = secretPlaces("/tmp/ipc-home", "/tmp/some-other-home");
    expect(p.userHomes).toEqual(["/tmp/some-other-home", account]);
    expect(secretReason(`${account}/.ssh/id_rsa`, p)).toContain("~/.ssh");
  });
});

describe("containsPrivateKey", () => {
  test("PEM, OpenSSH, encrypted and PGP private key blocks; not public keys or certificates", () => {
    for (const label of ["RSA PRIVATE KEY", "PRIVATE KEY", "OPENSSH PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "PGP PRIVATE KEY BLOCK"]) {
      expect(containsPrivateKey(`junk\n-----BEGIN ${label}-----\nAAAA\n`), label).toBe(true);
    }
    for (const label of ["PUBLIC KEY", "CERTIFICATE", "PGP PUBLIC KEY BLOCK"]) {
      expect(containsPrivateKey(`-----BEGIN ${label}-----\nAAAA\n`), label).toBe(false);
    }
  });
});
