/**
 * The body of the outbound directory webhook (pure): one JSON document per batch of class changes
 * (the shape README.md "What it sends" documents). Signing is the client's (client.ts).
 */
import type { AvailabilityClass } from '../../core/model/availability.ts';

/** One person's class as the receiver gets it. */
export interface ClassChange {
  readonly person: string;
  readonly class: AvailabilityClass;
  readonly availability: number;
  /** When the presence took this value (ms). */
  readonly at: number;
}

export interface WebhookBody {
  readonly source: string;
  readonly sentAt: string;
  readonly changes: readonly { person: string; class: string; availability: number; at: string }[];
}

export function webhookBody(source: string, sentAt: number, batch: readonly ClassChange[]): string {
  const body: WebhookBody = {
    source,
    sentAt: new Date(sentAt).toISOString(),
    changes: batch.map((c) => ({ person: c.person, class: c.class, availability: c.availability, at: new Date(c.at).toISOString() })),
  };
  return JSON.stringify(body);
}
