/** Writes docs/errors.md from the error catalogue (core/errors.ts). */
import { writeFileSync } from 'node:fs';
import { errorsMarkdown } from '../core/errors-doc.ts';

writeFileSync(new URL('../docs/errors.md', import.meta.url), errorsMarkdown());
console.log('docs/errors.md written');
