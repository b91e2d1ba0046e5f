/**
 * zod as every schema here uses it: `zod/mini` (zod's full API, whose methods none of the schemas
 * need, was half of every command's start-up bundle) with its English messages, which mini
 * leaves out (it would say "Invalid input" where the full API says "Too small: expected number
 * to be >=1"). Import `z` from here, never from 'zod/mini' directly.
 */
import * as z from 'zod/mini';
import english from 'zod/v4/locales/en.js';

z.config(english());

export { z };
