import { loadConfig } from "./config.ts";
import { usePrivateUmask } from "./data-dir.ts";
import { serve } from "./serve.ts";

usePrivateUmask();
await serve(loadConfig());
