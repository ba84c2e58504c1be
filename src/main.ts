import { loadConfig } from "./config.ts";
import { serve } from "./serve.ts";

await serve(loadConfig());
