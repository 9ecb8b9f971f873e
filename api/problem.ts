import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ERRORS, isHubError, type HubErrorCode } from '../core/errors.ts';
import type { Logger } from '../core/util/logger.ts';

/** RFC 9457 problem details; `detail` names the offending field, `code` is the stable HUB_ERR_ code. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** Answers problem+json for a catalogued code (core/errors.ts), with the catalogue's status unless the call names another. */
export function sendProblem(reply: FastifyReply, status: number | undefined, code: HubErrorCode, detail: string, headers: Record<string, string> = {}): FastifyReply {
  status ??= ERRORS[code].status;
  const body: Problem = { type: 'about:blank', title: TITLES[status] ?? 'Error', status, detail, code };
  for (const [k, v] of Object.entries(headers)) reply.header(k, v);
  return reply.code(status).type('application/problem+json').send(body);
}

function fieldPath(path: readonly PropertyKey[], prefix: string): string {
  let out = prefix;
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out || prefix;
}

/** Turns every error into problem+json; internals are logged, never sent. */
export function errorHandler(log: Logger) {
  return (err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const issue = err.validation[0]!;
      const where = err.validationContext === 'body' ? '' : err.validationContext ?? '';
      const path = issue.instancePath.split('/').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
      const field = fieldPath(path, where) || 'body';
      return sendProblem(reply, 400, 'HUB_ERR_INVALID_REQUEST', `${field}: ${issue.message}`);
    }
    if (isHubError(err)) {
      // Every code maps: the catalogue has its status (core/errors.ts); a call may name another for one case.
      const status = err.status ?? err.entry.status;
      const headers: Record<string, string> = {};
      if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(err.retryAfterMs / 1000)));
      return sendProblem(reply, status, err.code, err.message, headers);
    }
    switch (err.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return sendProblem(reply, 413, 'HUB_ERR_BODY_TOO_LARGE', `body: larger than the limit of ${req.routeOptions.bodyLimit ?? 'the server'} bytes`);
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return sendProblem(reply, 415, 'HUB_ERR_MEDIA_TYPE', `content-type: expected application/json`);
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return sendProblem(reply, 400, 'HUB_ERR_INVALID_JSON', 'body: empty JSON body');
      default:
        break;
    }
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return sendProblem(reply, 400, 'HUB_ERR_INVALID_JSON', `body: not valid JSON (${err.message.slice(0, 120)})`);
    }
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return sendProblem(reply, err.statusCode, 'HUB_ERR_REQUEST', err.message.slice(0, 200));
    }
    log.error({ err, url: req.url.split('?')[0] }, 'request failed');
    return sendProblem(reply, 500, 'HUB_ERR_INTERNAL', 'internal error; see the hub log');
  };
}
