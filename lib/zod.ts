/**
 * zod, as every stack config validator here uses it: `jitless`, so that an object schema's parse takes zod's
 * interpreted path instead of generating and compiling a parser with `new Function` on its first use. The stack
 * config is parsed once per program run (twice per offline preview, once per thread), where the generated code never
 * pays for its compiling: the prod config's first parse took 11 to 12 ms with it and 5 to 6 ms without (the same
 * checks, the same errors: zod's "fast path" is an optimisation of the same validation).
 */
import { z } from "zod";

z.config({ jitless: true });

export { z };
