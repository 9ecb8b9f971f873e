import type { FastifyInstance } from 'fastify';

/**
 * The routes of a live app, from `printRoutes` (a tree: each level indents by four characters and
 * appends its segment to its parent's path). Checked below against `hasRoute`, so a parse that
 * invents a route fails, and against the OpenAPI paths, so a parse that loses one fails.
 */
export function liveRoutes(app: FastifyInstance): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^([│ ]*)[├└]── (.*?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    const path = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    for (const method of (m[3] ?? '').split(',').map((s) => s.trim()).filter(Boolean)) out.push(`${method} ${path}`);
  }
  return out.sort();
}
