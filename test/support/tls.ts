// Unit-test helpers shared across folders (the integration and fault stage lives in test/stage).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A fresh self-signed key and certificate for 127.0.0.1 (valid one day), made by openssl in a temporary folder. */
export function selfSignedLocalhost(prefix: string): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const keyFile = join(dir, "key.pem");
  const certFile = join(dir, "cert.pem");
  const subject = ["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"];
  execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", ...subject, "-keyout", keyFile, "-out", certFile], {
    stdio: "ignore",
  });
  return { key: readFileSync(keyFile, "utf8"), cert: readFileSync(certFile, "utf8") };
}
