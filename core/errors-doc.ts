import { ERRORS, type ErrorEntry } from './errors.ts';

const KIND: Record<ErrorEntry['kind'], string> = {
  transient: 'transient (retried with backoff)',
  permanent: 'permanent (not retried: fix the cause)',
  throttled: 'throttled (retried after Retry-After)',
};

/** docs/errors.md: the catalogue for administrators, in the catalogue's order. */
export function errorsMarkdown(): string {
  const rows = Object.values(ERRORS).map((e) => `| \`${e.code}\` | ${e.title} | ${KIND[e.kind]} | ${e.status} | ${e.action.replace(/\|/g, '\\|')} |`);
  return [
    '# Error codes',
    '',
    'Every failure the hub reports carries one of these stable codes: in API answers (`code` of the',
    'problem+json body, with the HTTP status below), in connector health (`lastError.code`, `recent`),',
    'in `testConnection` results and in the log. The kind says what the hub does about it. This page is',
    'generated from `core/errors.ts` (`npm run docs:errors`); a test keeps the two equal.',
    '',
    '| Code | Title | Kind | HTTP | What it means, what to do |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
