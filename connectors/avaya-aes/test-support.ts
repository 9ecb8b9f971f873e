import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway self-signed certificate for 127.0.0.1 made with openssl, and its SHA-256 fingerprint. */
export function selfSignedCertificate(): { cert: string; key: string; certFile: string; fingerprint: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'aes-tls-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=aes.test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:aes.test'], { stdio: 'ignore' });
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  const fingerprint = out.trim().split('=')[1]!;
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8'), certFile, fingerprint, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
