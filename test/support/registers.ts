import type { Register } from '../../core/model/register.ts';
import type { Signal } from '../../core/model/signal.ts';

/**
 * A register of alice as the store would keep it after accepting this signal at `publishedAt`
 * (for tests that call aggregate() directly); the expiry type follows the category's default.
 */
export function reg(p: Partial<Signal> & Pick<Signal, 'category'>, publishedAt: number): Register {
  return {
    person: 'alice',
    source: p.source ?? 'test',
    endpoint: p.endpoint ?? 'default',
    expireType: p.expireType ?? (p.category === 'calendar' ? 'time' : p.category === 'user' ? 'user' : 'device'),
    ...p,
    publishedAt,
  } as Register;
}
