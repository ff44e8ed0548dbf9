import { createInterface } from "node:readline";
import { ackId } from "./ack.js";
import type { HeartbeatWriter } from "../heartbeat/index.js";

// The reference ("dogfood") runtime: a line-oriented prompt that answers each input
// line and acknowledges it in its heartbeat as ack=<sha256(line)[:12]>, so `agent send
// --verify` can prove a specific message was accepted, not merely typed.

export { ackId };

interface StubStreams {
  input: NodeJS.ReadableStream;
  output: (text: string) => void;
}

/** The status the stub rests in between lines (its --status script's step, else idle). */
export type RestingStatus = () => { status: string; note?: string };

/** Serve lines until EOF; resolves when input ends. */
export function serveStub(
  name: string,
  writer: HeartbeatWriter,
  streams: StubStreams,
  resting: RestingStatus = () => ({ status: "idle" }),
): Promise<void> {
  const prompt = `${name}> `;
  streams.output(prompt);
  const lines = createInterface({ input: streams.input, crlfDelay: Infinity, terminal: false });
  return new Promise((resolve) => {
    lines.on("line", (line) => {
      writer.setStatus("working");
      const id = ackId(line);
      streams.output(`ack=${id} received ${JSON.stringify(line.length > 200 ? `${line.slice(0, 200)}…` : line)}\n`);
      const rest = resting();
      writer.setStatus(rest.status, id, rest.note);
      streams.output(prompt);
    });
    lines.on("close", () => resolve());
  });
}
