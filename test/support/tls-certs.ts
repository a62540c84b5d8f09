/**
 * A throwaway CA and a server certificate for 127.0.0.1 and localhost (nats.js checks that name for loopback IPs), made with openssl in a temp dir,
 * for TLS tests against real servers. remove() deletes them.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execaSync } from "execa";

export interface TestCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
  remove(): void;
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "cortex-tls-"));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execaSync("openssl", args, { stdio: "ignore" });
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("ca.key"),
    "-out",
    f("ca.pem"),
    "-days",
    "1",
    "-subj",
    "/CN=cortex-test-ca",
  );
  ssl(
    "req",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    f("srv.key"),
    "-out",
    f("srv.csr"),
    "-subj",
    "/CN=127.0.0.1",
  );
  writeFileSync(f("ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ssl(
    "x509",
    "-req",
    "-in",
    f("srv.csr"),
    "-CA",
    f("ca.pem"),
    "-CAkey",
    f("ca.key"),
    "-CAcreateserial",
    "-out",
    f("srv.pem"),
    "-days",
    "1",
    "-extfile",
    f("ext"),
  );
  return {
    caFile: f("ca.pem"),
    certFile: f("srv.pem"),
    keyFile: f("srv.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
