/**
 * A raw HTTP/2 client for hostile-client tests: it writes frames as given (ignoring the
 * server's SETTINGS, flow control and stream limits, which node's own client honours) and
 * parses what the server sends back into frames. Headers are HPACK literals without
 * indexing or Huffman coding, so no encoder state is needed; the server's header blocks are
 * not decoded (a test looks at frame types, stream IDs and error codes).
 */
import { connect, type Socket } from "node:net";

/** The frame types used here (RFC 9113 §6). */
export const FrameType = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
/** Frame flags. */
export const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4 } as const;

/** PREFACE is the client connection preface. */
export const PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/** A frame as read off the wire. */
export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** frame encodes one frame. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function hpackInteger(value: number, prefixBits: number, firstByte: number): Buffer {
  const max = (1 << prefixBits) - 1;
  if (value < max) return Buffer.from([firstByte | value]);
  const out = [firstByte | max];
  let rest = value - max;
  while (rest >= 128) {
    out.push((rest % 128) + 128);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

/** headerBlock encodes headers as HPACK literals without indexing (no Huffman). */
export function headerBlock(headers: readonly (readonly [string, string])[]): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of headers) {
    parts.push(Buffer.from([0x00]), hpackInteger(Buffer.byteLength(name), 7, 0), Buffer.from(name), hpackInteger(Buffer.byteLength(value), 7, 0), Buffer.from(value));
  }
  return Buffer.concat(parts);
}

/** grpcRequestHeaders are the headers of a gRPC call to `path`. */
export function grpcRequestHeaders(path: string, extra: readonly (readonly [string, string])[] = []): (readonly [string, string])[] {
  return [[":method", "POST"], [":scheme", "http"], [":path", path], [":authority", "localhost"], ["content-type", "application/grpc"], ["te", "trailers"], ...extra];
}

/** RawHttp2Connection is one TCP connection speaking HTTP/2 frame by frame. */
export class RawHttp2Connection {
  readonly frames: Frame[] = [];
  closed = false;
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      while (this.buffer.length >= 9) {
        const length = this.buffer.readUIntBE(0, 3);
        if (this.buffer.length < 9 + length) break;
        const parsed: Frame = { type: this.buffer[3]!, flags: this.buffer[4]!, streamId: this.buffer.readUInt32BE(5) & 0x7fffffff, payload: this.buffer.subarray(9, 9 + length) };
        this.buffer = this.buffer.subarray(9 + length);
        this.frames.push(parsed);
        // Acknowledge the server's SETTINGS and PINGs, as any client must.
        if (parsed.type === FrameType.SETTINGS && !(parsed.flags & Flag.ACK)) this.write(frame(FrameType.SETTINGS, Flag.ACK, 0));
        if (parsed.type === FrameType.PING && !(parsed.flags & Flag.ACK)) this.write(frame(FrameType.PING, Flag.ACK, 0, parsed.payload));
      }
      this.wake();
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      this.closed = true;
      this.wake();
    });
  }

  /** open connects and sends the preface and an empty SETTINGS frame (or the given one). */
  static async open(host: string, port: number, settings: Buffer = Buffer.alloc(0)): Promise<RawHttp2Connection> {
    const socket = connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    const connection = new RawHttp2Connection(socket);
    connection.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0, settings)]));
    return connection;
  }

  /** write sends bytes unless the connection is gone; false when the socket's buffer is full. */
  write(bytes: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    return this.socket.write(bytes);
  }

  /** drain resolves once the socket can take more bytes (or is gone). */
  drain(): Promise<void> {
    if (!this.socket.writableNeedDrain || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off("drain", done);
        this.socket.off("close", done);
        resolve();
      };
      this.socket.on("drain", done);
      this.socket.on("close", done);
    });
  }

  /** until resolves when `predicate` holds over the frames read so far, or the connection closed, or the timeout passed. */
  async until(predicate: (frames: readonly Frame[]) => boolean, timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.frames)) {
      if (this.closed || Date.now() > deadline) return predicate(this.frames);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(1, deadline - Date.now()));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return true;
  }

  /** close ends the connection. */
  close(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** rstCode reads the error code of a RST_STREAM or GOAWAY frame. */
export function errorCode(f: Frame): number {
  return f.type === FrameType.GOAWAY ? f.payload.readUInt32BE(4) : f.payload.readUInt32BE(0);
}
