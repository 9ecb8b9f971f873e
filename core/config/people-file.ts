/**
 * People from CSV: a header row naming columns `id`, `name`, `identities`, `teams`, `personal`,
 * `blocked`; list columns separated by `;` or whitespace. Quoted fields follow RFC 4180.
 */
export function parsePeopleCsv(text: string): Record<string, unknown>[] {
  const rows = parseCsv(text).filter((r) => r.some((c) => c.trim() !== ''));
  const header = rows.shift()?.map((h) => h.trim().toLowerCase());
  if (header === undefined) return [];
  if (!header.includes('id')) throw new Error('CSV header needs an id column');
  const lists = new Set(['identities', 'teams', 'personal', 'blocked']);
  return rows.map((r) => {
    const o: Record<string, unknown> = {};
    header.forEach((h, i) => {
      const v = (r[i] ?? '').trim();
      if (v === '') return;
      o[h] = lists.has(h) ? v.split(/[;\s]+/).filter(Boolean) : v;
    });
    return o;
  });
}

function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
