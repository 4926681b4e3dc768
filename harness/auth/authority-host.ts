/** The notification authority's host, dependency-free (notification-authority.ts re-exports it). */

/** The host of Graph's notification authority; the harness answers for it through the proxy and preload. */
export const NOTIFICATION_AUTHORITY_HOST = 'api.aps.skype.com';
