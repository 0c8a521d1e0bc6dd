// Entry of the env worker thread. Workers do not inherit the TypeScript loader the main thread
// runs under (tsx, or vitest's), so this plain-JS file registers tsx, then loads the worker.
import { register } from 'tsx/esm/api';

register();
await import('./env-worker.ts');
