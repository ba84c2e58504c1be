import type { Command } from "commander";
import type { ConfigOverrides } from "../config.ts";
import { cliConfig, type GlobalOptions, UsageError } from "./cli-context.ts";

interface ServeOptions {
  host?: string;
  port?: string;
  publicUrl?: string;
  allowSignup?: boolean;
  workers?: string;
}

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description("run the hub server (migrates the database first)")
    .option("--host <host>", "address to listen on (default: BERTH_HOST or 127.0.0.1)")
    .option("--port <port>", "port to listen on (default: BERTH_PORT or 8080)")
    .option("--public-url <url>", "base URL clients use (default: BERTH_PUBLIC_URL or http://HOST:PORT)")
    .option("--allow-signup", "let visitors create accounts (default: BERTH_ALLOW_SIGNUP)")
    .option("--workers <n>", "server processes on the one port (default: BERTH_WORKERS or the number of cores)")
    .action(async (options: ServeOptions, command: Command) => {
      const overrides: ConfigOverrides = {
        ...(options.host !== undefined ? { host: checkHost(options.host) } : {}),
        ...(options.port !== undefined ? { port: checkPort(options.port) } : {}),
        ...(options.publicUrl !== undefined ? { publicUrl: checkPublicUrl(options.publicUrl) } : {}),
        ...(options.allowSignup ? { allowSignup: true } : {}),
        ...(options.workers !== undefined ? { workers: checkWorkers(options.workers) } : {}),
      };
      // Loaded here, not at the top: the admin commands need no HTTP server, and start faster without it.
      const { serve } = await import("../serve.ts");
      const config = cliConfig(command.optsWithGlobals<GlobalOptions>(), overrides);
      // serve() returns once listening; the open server keeps the process alive until a signal.
      if (config.workers === 1) return serve(config);
      const { serveCluster } = await import("../serve-cluster.ts");
      await serveCluster(config, config.workers, () => serve(config));
    });
}

function checkWorkers(text: string): number {
  const workers = Number(text);
  if (!/^\d+$/.test(text) || workers < 1 || workers > 256)
    throw new UsageError(`Invalid --workers "${text}": use 1 to 256`);
  return workers;
}

function checkHost(host: string): string {
  if (host.trim() === "" || /\s/.test(host)) throw new UsageError(`Invalid --host "${host}"`);
  return host;
}

function checkPort(text: string): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535) throw new UsageError(`Invalid --port "${text}": use 0 to 65535`);
  return port;
}

function checkPublicUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`Invalid --public-url "${text}": use e.g. https://hub.example.com`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new UsageError(`Invalid --public-url "${text}": it must start with http:// or https://`);
  }
  if (url.search || url.hash) throw new UsageError(`Invalid --public-url "${text}": no query or fragment`);
  return text;
}
