// The entry of the embedding worker thread (embed.ts). A worker inherits `tsx` from `npm start`,
// but not under every runner (vitest runs TypeScript without Node's loader), so it registers tsx
// itself before loading the TypeScript task.
import { register } from 'tsx/esm/api';

register();
export default (await import('./embedTask.ts')).default;
