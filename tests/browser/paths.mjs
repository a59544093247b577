// Folders the browser tests use, shared by the harness and the checkers.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const browserTestsDir = path.dirname(fileURLToPath(import.meta.url));
export const projectRoot = path.resolve(browserTestsDir, '..', '..');
/** Screenshots, saved HTML and validated documents; kept after the run. */
export const artifactsDir = path.join(projectRoot, 'test-artifacts', 'browser');
