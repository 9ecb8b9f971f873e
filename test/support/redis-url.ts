import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

/** The run's private Redis (test/support/global-setup.ts); throws with the install command when absent. */
export function redisUrl(): string {
  const url = inject('redisUrl');
  if (url === undefined || url === '') {
    throw new Error(inject('redisError') || 'redis-server was not started; install it with: apt-get install -y redis-server');
  }
  return url;
}

/** A fresh key prefix per test, so that tests sharing the Redis never see each other's keys. */
export function freshPrefix(name: string): string {
  return `t-${name}-${randomBytes(4).toString('hex')}`;
}
