/**
 * zod/mini's English messages, which it leaves out: without them every error says only "Invalid
 * input" where zod's full API says "Too small: expected number to be >=1". logpipe uses zod/mini
 * because the full API's methods, which none of its schemas need, were half of every command's
 * start-up bundle. Imported for its effect where schemas are parsed: src/config/schema.ts (the
 * configuration, and through it every queue backend's settings) and src/bench/cost.ts (the
 * prices file).
 */
import { config } from 'zod/mini';
import english from 'zod/v4/locales/en.js';

config(english());
