// What runtime and connector tests share: a clock that only moves when something sleeps, so waits are
// asserted by how long was asked for, never by wall time; and a logger that keeps lines for assertions.
import type { Logger } from '../contract';

export class VirtualClock {
  nowMs: number;
  readonly sleeps: number[] = [];
  constructor(startMs = Date.UTC(2026, 10, 24)) {
    this.nowMs = startMs;
  }
  now = (): number => this.nowMs;
  sleep = async (ms: number, signal?: AbortSignal): Promise<void> => {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.nowMs += ms;
  };
}

export class MemoryLogger implements Logger {
  readonly lines: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  debug(message: string, fields?: Record<string, unknown>) { this.lines.push({ level: 'debug', message, fields }); }
  info(message: string, fields?: Record<string, unknown>) { this.lines.push({ level: 'info', message, fields }); }
  warn(message: string, fields?: Record<string, unknown>) { this.lines.push({ level: 'warn', message, fields }); }
  error(message: string, fields?: Record<string, unknown>) { this.lines.push({ level: 'error', message, fields }); }
  text(): string {
    return JSON.stringify(this.lines);
  }
}
