// Worker entry when running from source: tsx's loader hooks do not reach worker threads started
// with --import, so the worker registers them itself, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
