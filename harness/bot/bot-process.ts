/**
 * Starts a bot as a child process (`--bot-command`), waits until its URL answers, keeps its output
 * for the report, and always stops the whole process tree (the command runs in its own process
 * group; SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { BotLiveness } from '../engine/flow-run.js';
import { HARNESS_SERVER_HEADER } from '../transports/read-request.js';

export interface BotProcessOptions {
  /** shell command line */
  command: string;
  /** extra environment (merged over process.env) */
  env: Record<string, string>;
  /** a URL of the bot that answers (any HTTP status) once it is ready */
  readyUrl: string;
  readyTimeoutMs?: number;
  cwd?: string;
}

export class BotStartError extends Error {}

const OUTPUT_LIMIT = 256 * 1024;

export class BotProcess {
  private output = '';
  /** characters printed in all, including what was trimmed from `output` */
  private written = 0;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly exited: Promise<void>;
  private readonly exitListeners = new Set<() => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly command: string,
  ) {
    const keep = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      this.output += text;
      this.written += text.length;
      if (this.output.length > OUTPUT_LIMIT) this.output = this.output.slice(-OUTPUT_LIMIT / 2);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
        for (const listener of [...this.exitListeners]) listener();
        this.exitListeners.clear();
      });
    });
    liveBots.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Everything the bot printed so far (stdout and stderr interleaved). */
  get log(): string {
    return this.output;
  }

  /** A position in the output, for logSince(). */
  mark(): number {
    return this.written;
  }

  /** Output printed since `mark`. */
  logSince(mark: number): string {
    return this.output.slice(Math.max(0, mark - (this.written - this.output.length)));
  }

  /** Calls `listener` once when the process exits (at once if it has); returns an unsubscribe function. */
  onExit(listener: () => void): () => void {
    if (!this.running) {
      queueMicrotask(listener);
      return () => undefined;
    }
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** The engine's view of this process for a flow run that starts at output position `mark`. */
  liveness(mark: number): BotLiveness {
    const bot = this;
    return {
      get exitDescription() {
        return bot.running ? undefined : bot.exitDescription;
      },
      onExit: (listener) => bot.onExit(listener),
      lastOutput: (lines) => bot.logSince(mark).trimEnd().split('\n').slice(-lines).join('\n'),
    };
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  get exitDescription(): string {
    if (!this.exit) return 'still running';
    return this.exit.signal ? `killed by ${this.exit.signal}` : `exited with code ${this.exit.code}`;
  }

  static async start(opts: BotProcessOptions): Promise<BotProcess> {
    const child = spawn(opts.command, {
      shell: true,
      detached: true, // own process group, so that stop() reaches grandchildren too
      cwd: opts.cwd,
      env: { ...process.env, ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const bot = new BotProcess(child, opts.command);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const timeout = opts.readyTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeout;
    while (Date.now() < deadline) {
      if (!bot.running) {
        throw new BotStartError(
          `the bot command "${opts.command}" ${bot.exitDescription} before answering at ${opts.readyUrl}.\n--- bot output ---\n${tail(bot.log)}`,
        );
      }
      const err = await Promise.race([spawnError, delay(0).then(() => undefined)]);
      if (err) throw new BotStartError(`cannot start the bot command "${opts.command}": ${err.message}`);
      if (await answers(opts.readyUrl)) return bot;
      await delay(50);
    }
    await bot.stop();
    throw new BotStartError(
      `the bot started by "${opts.command}" did not answer at ${opts.readyUrl} within ${timeout} ms (is it listening on PORT?).\n--- bot output ---\n${tail(bot.log)}`,
    );
  }

  /** Stops the process group: SIGTERM, then SIGKILL after `graceMs`. Resolves once it exited. */
  async stop(graceMs = 3000): Promise<void> {
    liveBots.delete(this);
    if (!this.running || this.child.pid === undefined) return;
    signalGroup(this.child.pid, 'SIGTERM');
    const killed = await Promise.race([this.exited.then(() => true), delay(graceMs).then(() => false)]);
    if (!killed) {
      signalGroup(this.child.pid, 'SIGKILL');
      await this.exited;
    }
    // the shell may have exited while grandchildren linger: sweep the group once more
    signalGroup(this.child.pid, 'SIGKILL');
  }
}

/** Bots still running, stopped synchronously if the harness process exits unexpectedly. */
const liveBots = new Set<BotProcess>();
process.once('exit', () => {
  for (const bot of liveBots) if (bot.pid !== undefined) signalGroup(bot.pid, 'SIGKILL');
});

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 1000 }, (res) => {
      res.resume();
      // one of callreplay's own servers on the bot's port is not the bot (it took the port first)
      resolve(res.headers[HARNESS_SERVER_HEADER] === undefined);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** A delay that does not keep the process alive (a stopped bot must not hold its CLI for the grace period). */
function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}

function tail(text: string, max = 4000): string {
  return text.length > max ? `...${text.slice(-max)}` : text || '(no output)';
}
