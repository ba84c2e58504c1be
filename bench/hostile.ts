/**
 * Issue 8: what hostile requests cost the server, measured from outside against the running Berth.
 *
 * - Three anonymous commits at once, each announcing 248 MiB and sending it as fast as it can: how
 *   much of each body the server took before its 401, the server's resident memory before and at its
 *   peak, and a normal request's latency meanwhile (before the fix: 1.0 → 3.3 GB, other requests 4 s).
 * - 200 anonymous `git-upload-pack` posts that send their bodies slowly: how many git processes the
 *   server started for them, and a normal request's latency meanwhile (before: 200 processes, 8 s).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";

export interface HostileFigures {
  readonly hugeBodies: {
    readonly announcedMiB: number;
    readonly sentBeforeAnswerMiB: number[];
    readonly statuses: number[];
    readonly rssBeforeMiB: number;
    readonly rssPeakMiB: number;
    readonly normalRequestMs: number;
  };
  readonly slowFetches: {
    readonly connections: number;
    readonly gitProcesses: number;
    readonly normalRequestMs: number;
  };
}

const MiB = 1024 * 1024;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}

function gitChildren(pid: number): number {
  // ps exits 1 when no process matches: that is an answer (none), not a failure.
  const out = spawnSync("ps", ["-o", "comm=", "--ppid", String(pid)]).stdout.toString("utf8");
  return out.split("\n").filter((name) => name.trim() === "git").length;
}

async function timed(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  await response.arrayBuffer();
  return performance.now() - started;
}

/** Posts `announced` bytes as fast as the server takes them; resolves with what was sent before the answer. */
function hugeCommit(berthUrl: string, repo: string, announced: number): Promise<{ status: number; sent: number }> {
  return new Promise((resolve) => {
    const url = new URL(`${berthUrl}/api/models/${repo}/commit/main`);
    let sent = 0;
    let answered = false;
    const chunk = Buffer.alloc(MiB, 0x61);
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST" }, (response) => {
      answered = true;
      response.resume();
      resolve({ status: response.statusCode ?? 0, sent });
      req.destroy();
    });
    req.setHeader("Content-Type", "application/x-ndjson");
    req.setHeader("Content-Length", String(announced));
    req.on("error", () => {
      if (!answered) resolve({ status: 0, sent });
    });
    const pump = () => {
      while (!answered && sent < announced) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once("drain", pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

export async function measureHostile(options: {
  berthUrl: string;
  pid: number;
  repo: string;
}): Promise<HostileFigures> {
  const { berthUrl, pid, repo } = options;
  const normal = `${berthUrl}/api/models/${repo}`;
  const rssBefore = rssMiB(pid);
  let peak = rssBefore;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid));
  }, 25);
  const announced = 248 * MiB;
  const bodies = Promise.all([1, 2, 3].map(() => hugeCommit(berthUrl, repo, announced)));
  const during = await timed(normal);
  const answers = await bodies;
  clearInterval(sampler);

  const sockets: Socket[] = [];
  for (let i = 0; i < 200; i++) {
    const url = new URL(berthUrl);
    const socket = connect(Number(url.port), url.hostname);
    socket.on("error", () => undefined);
    socket.write(
      `POST /${repo}.git/git-upload-pack HTTP/1.1\r\nHost: ${url.host}\r\n` +
        "Content-Type: application/x-git-upload-pack-request\r\nContent-Length: 100000\r\n\r\n0032want ",
    );
    sockets.push(socket);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const processes = gitChildren(pid);
  const slowDuring = await timed(normal);
  for (const socket of sockets) socket.destroy();

  return {
    hugeBodies: {
      announcedMiB: announced / MiB,
      sentBeforeAnswerMiB: answers.map((answer) => Math.round(answer.sent / MiB)),
      statuses: answers.map((answer) => answer.status),
      rssBeforeMiB: rssBefore,
      rssPeakMiB: peak,
      normalRequestMs: Math.round(during),
    },
    slowFetches: { connections: sockets.length, gitProcesses: processes, normalRequestMs: Math.round(slowDuring) },
  };
}
