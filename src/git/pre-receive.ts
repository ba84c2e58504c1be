/**
 * The pre-receive hook of every push (receive-hooks.ts writes the script that runs this file). git runs
 * it in the repository with the pushed objects in quarantine and the `old new ref` lines on stdin; a
 * non-zero exit refuses the whole push, no ref moves and the quarantined objects are dropped. What it
 * prints reaches the pusher as `remote:` lines. Kept to this file and the path rules so it starts fast.
 */
import { checkPushedPaths, describeRefusal, parseRefUpdates } from "./pushed-paths.ts";
import { refUpdateProblem } from "./pushed-refs.ts";

const LIMIT = 20;

async function main(): Promise<number> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const updates = parseRefUpdates(Buffer.concat(chunks).toString("utf8"));
  const badRefs = updates.flatMap((update) => {
    const problem = refUpdateProblem(update);
    return problem ? [`  ${JSON.stringify(update.ref.slice(0, 200))}: ${problem}`] : [];
  });
  if (badRefs.length > 0) {
    process.stderr.write(`Berth refused this push:\n${badRefs.slice(0, LIMIT).join("\n")}\n`);
    return 1;
  }
  const { refused, truncated } = await checkPushedPaths(updates, { limit: LIMIT });
  if (refused.length === 0) return 0;
  const lines = [
    "Berth refused this push: it adds paths that are not allowed in a repository.",
    ...refused.map((refusal) => `  ${describeRefusal(refusal)}`),
    ...(truncated ? [`  (stopped after ${LIMIT} paths; there may be more)`] : []),
    "Rename or remove these paths in every pushed commit and push again.",
  ];
  process.stderr.write(`${lines.join("\n")}\n`);
  return 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // Fail closed: a push that could not be checked is refused.
    process.stderr.write(`Berth could not check the pushed paths: ${(error as Error).message.slice(0, 500)}\n`);
    process.exitCode = 1;
  },
);
