import { X509Certificate, constants, createCipheriv, createDecipheriv, createHmac, createPublicKey, privateDecrypt, publicEncrypt, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';
import { HubError } from '../../core/errors.ts';
import type { EncryptedContent } from './schemas.ts';

/**
 * Rich change notifications (Graph "Set up change notifications that include resource data",
 * changeNotificationEncryptedContent): `dataKey` is a random symmetric key encrypted with the
 * subscriber's certificate (RSA-OAEP with SHA-1 and MGF1), `dataSignature` the base64
 * HMAC-SHA256 of the encrypted `data` under that key, and `data` AES-256-CBC with PKCS7 padding
 * whose IV is the first 16 bytes of the symmetric key. The signature is checked before
 * decrypting, in constant time.
 */
export function decryptNotificationContent(c: EncryptedContent, privateKeyPem: string): unknown {
  let key: Buffer;
  try {
    key = privateDecrypt({ key: privateKeyPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, Buffer.from(c.dataKey, 'base64'));
  } catch {
    throw new HubError('HUB_ERR_GRAPH_DECRYPT', 'rich notification: the data key does not decrypt with the configured certificate', { kind: 'permanent' });
  }
  if (key.length !== 32) throw new HubError('HUB_ERR_GRAPH_DECRYPT', 'rich notification: the data key is not 256 bits', { kind: 'permanent' });
  const data = Buffer.from(c.data, 'base64');
  const expected = createHmac('sha256', key).update(data).digest();
  const given = Buffer.from(c.dataSignature, 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new HubError('HUB_ERR_GRAPH_SIGNATURE', 'rich notification: dataSignature does not match the data', { kind: 'permanent' });
  }
  try {
    const d = createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    const plain = Buffer.concat([d.update(data), d.final()]).toString('utf8');
    return JSON.parse(plain);
  } catch {
    throw new HubError('HUB_ERR_GRAPH_DECRYPT', 'rich notification: the data does not decrypt to JSON', { kind: 'permanent' });
  }
}

/** The public key of a certificate given as PEM or as the base64 DER Graph receives in `encryptionCertificate`. */
export function publicKeyOf(cert: string): KeyObject {
  const pem = cert.includes('-----BEGIN') ? cert : `-----BEGIN CERTIFICATE-----\n${cert.replace(/\s+/g, '')}\n-----END CERTIFICATE-----\n`;
  return new X509Certificate(pem).publicKey;
}

/** The base64 DER body of a PEM certificate: what a subscription's `encryptionCertificate` carries. */
export function certificateBase64(pem: string): string {
  return Buffer.from(new X509Certificate(pem).raw).toString('base64');
}

/** What Graph does before delivering a rich notification (used by the simulator). */
export function encryptNotificationContent(resource: unknown, cert: string, certificateId: string): EncryptedContent {
  const key = randomBytes(32);
  const c = createCipheriv('aes-256-cbc', key, key.subarray(0, 16));
  const data = Buffer.concat([c.update(JSON.stringify(resource), 'utf8'), c.final()]);
  const pub = cert.includes('BEGIN PUBLIC KEY') ? createPublicKey(cert) : publicKeyOf(cert);
  return {
    data: data.toString('base64'),
    dataSignature: createHmac('sha256', key).update(data).digest('base64'),
    dataKey: publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, key).toString('base64'),
    encryptionCertificateId: certificateId,
  };
}
