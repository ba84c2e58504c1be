import type { FastifyInstance } from "fastify";
import { bearer } from "./seed.ts";
import { classifierFiles } from "./tiny-classifier.ts";

/** Commits model files through the Hub API commit route (NDJSON), as the clients do; throws unless 200. */
export async function commitModel(
  app: FastifyInstance,
  token: string,
  repo: string,
  files: { path: string; content: Buffer }[] = classifierFiles(),
): Promise<void> {
  const lines = [
    { key: "header", value: { summary: "add the tiny classifier" } },
    ...files.map((file) => ({
      key: "file",
      value: { path: file.path, content: file.content.toString("base64"), encoding: "base64" },
    })),
  ];
  const response = await app.inject({
    method: "POST",
    url: `/api/models/${repo}/commit/main`,
    headers: { ...bearer(token), "content-type": "application/x-ndjson" },
    payload: lines.map((line) => JSON.stringify(line)).join("\n"),
  });
  if (response.statusCode !== 200) throw new Error(`commit failed: ${response.statusCode} ${response.body}`);
}
