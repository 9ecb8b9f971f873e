/**
 * The configuration keys of the change-notification endpoint (Graph posts to `notificationUrl`, the
 * hub's NotificationListener answers on `listen` and checks `clientState`), the same in every Graph
 * connector that subscribes; each adds its own lifetimes and extras next to them.
 */
import { z } from 'zod';

export const notificationEndpointShape = {
  enabled: z.boolean().default(false),
  /** The public HTTPS URL Graph posts to; it must reach the listener below (reverse proxy). */
  notificationUrl: z.url(),
  lifecycleNotificationUrl: z.url().optional(),
  listen: z.strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(0) }).prefault({}),
  /** Secret sent with each subscription and checked on every notification (max 128 chars). */
  clientState: z.string().min(16).max(128),
};
