import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A self-signed certificate for 127.0.0.1 and aes.test, committed for the tests (fixtures/README.md:
 * test only, so that the unit tier needs no openssl binary), and its SHA-256 fingerprint as
 * `openssl x509 -fingerprint -sha256` prints it (colon-separated upper-case hex).
 */
export function selfSignedCertificate(): { cert: string; key: string; certFile: string; fingerprint: string } {
  const certFile = join(import.meta.dirname, 'fixtures/test-only-aes-cert.pem');
  const cert = readFileSync(certFile, 'utf8');
  const key = readFileSync(join(import.meta.dirname, 'fixtures/test-only-aes-key.pem'), 'utf8');
  return { cert, key, certFile, fingerprint: new X509Certificate(cert).fingerprint256 };
}
