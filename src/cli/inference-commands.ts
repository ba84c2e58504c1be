import type { Command } from "commander";
import { addUpstream, describeUpstreams, normalizePattern, removeUpstream } from "../inference/upstream-admin.ts";
import { type GlobalOptions, readStdin, UsageError, withContext } from "./cli-context.ts";
import { formatTable } from "./table.ts";

interface AddOptions {
  apiKeyStdin?: boolean;
  model?: string;
  timeout?: string;
  replace?: boolean;
}

/**
 * `npx berth inference …`: maps repos to OpenAI-compatible upstream servers. The upstream's API key is
 * read from stdin only (never from the command line, where `ps` and shell history would see it), sealed
 * before it is stored, and never printed: `list-upstreams` says only whether one is set. Running servers
 * pick changes up within a second.
 */
export function registerInferenceCommands(program: Command): void {
  const inference = program.command("inference").description("inference API: upstream providers");

  inference
    .command("add-upstream")
    .description("forward inference calls for PATTERN (a repo id or a glob such as acme/*) to an OpenAI-compatible URL")
    .argument("<pattern>", "repo id (acme/llama) or glob (acme/*)")
    .argument("<url>", "the upstream's base URL, e.g. http://gpu-1:8000/v1")
    .option("--api-key-stdin", "read Berth's API key for the upstream from stdin")
    .option("--model <name>", "model name to send upstream (default: the repo id)")
    .option("--timeout <seconds>", "answer time limit, and longest silence in a stream (default 120)")
    .option("--replace", "replace an existing upstream for the same pattern")
    .action(async (pattern: string, url: string, options: AddOptions, command: Command) => {
      try {
        normalizePattern(pattern);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const seconds = options.timeout === undefined ? undefined : Number(options.timeout);
      if (seconds !== undefined && !(Number.isFinite(seconds) && seconds > 0)) {
        throw new UsageError(`Invalid --timeout "${options.timeout}": give a number of seconds`);
      }
      const apiKey = options.apiKeyStdin ? await readStdin() : undefined;
      if (options.apiKeyStdin && !apiKey) throw new UsageError("--api-key-stdin given but stdin was empty");
      const stored = await withContext(command.optsWithGlobals<GlobalOptions>(), (ctx) =>
        addUpstream(ctx, {
          pattern,
          url,
          apiKey,
          model: options.model,
          timeoutMs: seconds === undefined ? undefined : Math.round(seconds * 1000),
          replace: options.replace === true,
        }),
      );
      process.stdout.write(`Inference for ${stored} now goes to ${url}${apiKey ? " (with an API key)" : ""}\n`);
    });

  inference
    .command("list-upstreams")
    .description("list upstreams (API keys are never shown)")
    .option("--json", "print JSON instead of a table")
    .action(async (options: { json?: boolean }, command: Command) => {
      const upstreams = await withContext(command.optsWithGlobals<GlobalOptions>(), describeUpstreams);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(upstreams, null, 2)}\n`);
      } else if (upstreams.length === 0) {
        process.stdout.write("No inference upstreams\n");
      } else {
        process.stdout.write(
          formatTable(
            ["PATTERN", "URL", "MODEL", "API KEY", "TIMEOUT"],
            upstreams.map((u) => [u.pattern, u.url, u.model ?? "(repo id)", u.apiKey, `${u.timeoutSeconds} s`]),
          ),
        );
      }
    });

  inference
    .command("remove-upstream")
    .description("stop forwarding PATTERN")
    .argument("<pattern>", "the pattern as added")
    .action(async (pattern: string, _options: object, command: Command) => {
      await withContext(command.optsWithGlobals<GlobalOptions>(), (ctx) => removeUpstream(ctx, pattern));
      process.stdout.write(`Removed the upstream for ${pattern.toLowerCase()}\n`);
    });
}
