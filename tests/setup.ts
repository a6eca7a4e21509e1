/** Runs before every test file: response bodies are checked for leaked paths and stack frames. */
import { guardFetch } from './noLeak.js';

guardFetch();
