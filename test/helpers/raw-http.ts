import { connect, type Socket } from "node:net";

/** What came back on a raw connection: the status (if a response head arrived) and whether it closed. */
export interface RawAnswer {
  readonly status: number | undefined;
  readonly head: string;
  readonly closed: boolean;
}

/**
 * A request written by hand on a socket, so a test can send a body in part, slowly or never, and see
 * whether the server answers before the body is complete. `body` is written right after the head;
 * the socket then stays open (use `send` to write more) until the answer or `waitMs`.
 */
export class RawConnection {
  readonly #socket: Socket;
  #data = "";
  #closed = false;
  readonly #ready: Promise<void>;

  constructor(port: number) {
    this.#socket = connect(port, "127.0.0.1");
    this.#socket.on("data", (chunk: Buffer) => {
      this.#data += chunk.toString("latin1");
    });
    this.#socket.on("close", () => {
      this.#closed = true;
    });
    this.#socket.on("error", () => undefined);
    this.#ready = new Promise((resolve) => this.#socket.once("connect", () => resolve()));
  }

  async send(bytes: string | Buffer): Promise<void> {
    await this.#ready;
    if (this.#closed) return;
    await new Promise<void>((resolve) => this.#socket.write(bytes, () => resolve()));
  }

  /** Waits until a response head arrived or the socket closed, at most `waitMs`. */
  async answer(waitMs: number): Promise<RawAnswer> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !this.#closed && !this.#data.includes("\r\n\r\n")) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const end = this.#data.indexOf("\r\n\r\n");
    const head = end < 0 ? "" : this.#data.slice(0, end);
    const status = /^HTTP\/1\.1 (\d{3})/.exec(head)?.[1];
    return { status: status === undefined ? undefined : Number(status), head, closed: this.#closed };
  }

  /** Waits for the socket to close, at most `waitMs`; true when it did. */
  async closedWithin(waitMs: number): Promise<boolean> {
    const deadline = Date.now() + waitMs;
    while (Date.now() < deadline && !this.#closed) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.#closed;
  }

  /** All bytes received so far. */
  received(): string {
    return this.#data;
  }

  destroy(): void {
    this.#socket.destroy();
  }
}

export function requestHead(method: string, path: string, headers: Record<string, string | number>): string {
  const lines = [`${method} ${path} HTTP/1.1`, "Host: 127.0.0.1"];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join("\r\n")}\r\n\r\n`;
}
