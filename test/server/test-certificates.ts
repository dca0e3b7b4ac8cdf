import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** PEM files the tests make with openssl: nothing is checked in, nothing expires between runs. */
export interface TestPki {
  readonly dir: string;
  /** A CA, PEM. */
  ca(name: string): { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
  /** A leaf for 127.0.0.1/localhost (server) or a client, signed by the CA `issuer`. */
  leaf(name: string, issuer: string, usage: "server" | "client"): { cert: Buffer; key: Buffer; certFile: string; keyFile: string };
  remove(): void;
}

function openssl(args: string[]): void {
  execFileSync("openssl", args, { stdio: "ignore" });
}

export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "update-manager-pki-"));
  const files = (name: string) => {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    return { certFile, keyFile, load: () => ({ cert: readFileSync(certFile), key: readFileSync(keyFile), certFile, keyFile }) };
  };
  return {
    dir,
    ca(name) {
      const { certFile, keyFile, load } = files(name);
      openssl(
        ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2"]
          .concat(["-subj", `/CN=${name}`, "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
          .concat(["-keyout", keyFile, "-out", certFile]),
      );
      return load();
    },
    leaf(name, issuer, usage) {
      const { certFile, keyFile, load } = files(name);
      const csr = join(dir, `${name}.csr`);
      const ext = join(dir, `${name}.ext`);
      openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", `/CN=${name}`, "-keyout", keyFile, "-out", csr]);
      writeFileSync(
        ext,
        usage === "server"
          ? "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
          : "extendedKeyUsage=clientAuth\n",
      );
      openssl(
        ["x509", "-req", "-in", csr, "-CA", join(dir, `${issuer}.crt`), "-CAkey", join(dir, `${issuer}.key`)]
          .concat(["-CAcreateserial", "-days", "2", "-extfile", ext, "-out", certFile]),
      );
      return load();
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
