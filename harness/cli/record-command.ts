/**
 * `callreplay record`: relays a live call between the bot and the real Graph (both directions),
 * records it, and writes it as a flow file. Ends on Ctrl-C (SIGINT/SIGTERM), after `--until-idle`
 * seconds without traffic, or when the bot it started exits.
 *
 * Exit status: 0 the flow was written, 1 nothing could be recorded (the bot did not start, no
 * traffic, the flow could not be written), 2 bad usage (the message names the flag).
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { basename, dirname, relative, resolve } from 'node:path';
import { BotProcess, BotStartError } from '../bot/bot-process.js';
import { DEFAULT_UPSTREAMS, type Upstreams } from '../record/forwarder.js';
import { botUrlProblem, describeExchange, Recorder, summarize } from '../record/relay.js';
import type { Recording } from '../record/recording.js';
import { parseKeep } from '../record/scrub.js';
import { recordingToFlow } from '../record/to-flow.js';
import { freePort } from '../runner/free-port.js';
import { DEFAULT_CA_DIR, INTERCEPT_WAYS, type HarnessPorts, type InterceptWay } from '../runner/harness.js';
import { UsageError } from './resolve-flows.js';
import { EXIT, resolvePorts } from './run-command.js';

export interface RecordArgs {
  /** the flow file to write */
  out: string;
  /** overwrite `out` if it exists */
  force: boolean;
  botUrl?: string;
  botCommand?: string;
  /** webhook path of a bot started with --bot-command and no --bot-url */
  webhookPath: string;
  readyTimeout: number;
  /** port of the inbound callback endpoint (0/undefined: a free port) */
  listen?: number;
  upstream?: string;
  upstreamLogin?: string;
  upstreamAuth?: string;
  /** seconds without traffic (after the first) that end the recording */
  untilIdle?: number;
  /** fields the scrubber keeps (recordingToFlow's `keep`) */
  keep: string[];
  intercept?: InterceptWay[];
  ports: HarnessPorts;
  caDir?: string;
  appId?: string;
}

/** What the command talks to; tests may replace it. */
export interface RecordIo {
  /** progress and messages */
  err: (line: string) => void;
  /** the closing result line */
  out: (line: string) => void;
  /** the process whose SIGINT/SIGTERM end the recording */
  signals: Pick<NodeJS.Process, 'on' | 'off'>;
}

const defaultIo: RecordIo = {
  err: (line) => process.stderr.write(`${line}\n`),
  out: (line) => process.stdout.write(`${line}\n`),
  signals: process,
};

/** How long in-flight exchanges may take to finish once the recording ends. */
const DRAIN_MS = 5000;

export async function recordCommand(args: RecordArgs, io: RecordIo = defaultIo): Promise<number> {
  const out = resolve(args.out);
  if (existsSync(out) && !args.force) throw new UsageError(`--out ${args.out} exists; pass --force to overwrite it`);
  if (!args.botUrl && !args.botCommand) throw new UsageError('name the bot: --bot-url URL (a bot you start yourself) and/or --bot-command "CMD"');
  if (args.botUrl) {
    const problem = botUrlProblem(args.botUrl);
    if (problem) throw new UsageError(`--bot-url ${problem}`);
  }
  const upstreams: Upstreams = {
    graph: upstreamUrl('--upstream', args.upstream ?? DEFAULT_UPSTREAMS.graph),
    login: upstreamUrl('--upstream-login', args.upstreamLogin ?? DEFAULT_UPSTREAMS.login),
    auth: upstreamUrl('--upstream-auth', args.upstreamAuth ?? DEFAULT_UPSTREAMS.auth),
  };
  if (args.untilIdle !== undefined && !(Number.isFinite(args.untilIdle) && args.untilIdle > 0)) {
    throw new UsageError(`--until-idle must be a positive number of seconds, got ${args.untilIdle}`);
  }
  try {
    parseKeep(args.keep);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }

  const handStarted = Boolean(args.botUrl && !args.botCommand);
  const botUrl = args.botUrl ?? `http://127.0.0.1:${await freePort()}${args.webhookPath}`;
  const botPort = Number(new URL(botUrl).port || 80);
  const recorder = await startRecorder(args, botUrl, upstreams, handStarted, io);
  if (!recorder) return EXIT.botFailed;

  // from here on Ctrl-C ends the recording (also while the bot starts), and a second one quits
  const signals = watchSignals(io.signals);
  let bot: BotProcess | undefined;
  try {
    io.err(`callreplay record: notifications in at ${recorder.inboundUrl} (point the bot's registered callback URL, e.g. your tunnel, here); bot at ${botUrl}`);
    io.err(`callreplay record: Graph ${upstreams.graph}, login ${upstreams.login}, notification keys ${upstreams.auth}`);
    if (args.botCommand) {
      try {
        bot = await BotProcess.start({ command: args.botCommand, env: recorder.botEnvironment(botPort), readyUrl: botUrl, readyTimeoutMs: args.readyTimeout });
      } catch (e) {
        if (!(e instanceof BotStartError)) throw e;
        io.err(`callreplay record: ${e.message}`);
        return EXIT.botFailed;
      }
    } else {
      io.err('callreplay record: start the bot with the environment `callreplay env` prints (same --intercept and port flags)');
    }
    io.err(`callreplay record: recording; ${args.untilIdle ? `ends after ${args.untilIdle} s without traffic or ` : 'ends '}on Ctrl-C`);

    const reason = await recordingEnds(recorder, bot, args.untilIdle, signals.ended);
    signals.finishing();
    io.err(`callreplay record: ${reason}; finishing (Ctrl-C again quits without writing)`);
    await recorder.drain(DRAIN_MS);
    const recording = recorder.recording();
    if (recording.exchanges.length === 0) {
      io.err('callreplay record: nothing was recorded (no notification reached the bot, no request left it); no file written');
      return EXIT.botFailed;
    }
    const written = await writeFlow(recording, out, args);
    if (typeof written === 'string') {
      io.err(`callreplay record: ${written}`);
      return EXIT.botFailed;
    }
    for (const note of written.notes) io.err(`callreplay record: note: ${note}`);
    io.out(`callreplay: recorded ${summarize(recording, recorder.refusals)} -> ${relative(process.cwd(), out) || out}`);
    return EXIT.passed;
  } finally {
    signals.finishing();
    await bot?.stop();
    await recorder.close();
    signals.dispose();
  }
}

/**
 * SIGINT/SIGTERM: the first one ends the recording (`ended`); one while finishing quits at once,
 * without writing (the exit hook of BotProcess still stops a started bot).
 */
function watchSignals(signals: RecordIo['signals']): { ended: Promise<string>; finishing: () => void; dispose: () => void } {
  let finishing = false;
  let end!: (reason: string) => void;
  const ended = new Promise<string>((resolveEnd) => (end = resolveEnd));
  const onSignal = (signal: NodeJS.Signals) => {
    if (finishing) process.exit(130);
    finishing = true;
    end(`${signal} received`);
  };
  signals.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return {
    ended,
    finishing: () => (finishing = true),
    dispose: () => signals.off('SIGINT', onSignal).off('SIGTERM', onSignal),
  };
}

async function startRecorder(args: RecordArgs, botUrl: string, upstreams: Upstreams, handStarted: boolean, io: RecordIo): Promise<Recorder | undefined> {
  try {
    return await Recorder.start({
      botUrl,
      upstreams,
      listenPort: args.listen,
      // a bot callreplay starts gets every way in, as with `run`; a hand-started one the fixed ports `callreplay env` prints
      ways: { intercept: args.intercept ?? (handStarted ? ['gateway'] : [...INTERCEPT_WAYS]), ports: resolvePorts(handStarted, args.ports), caDir: resolve(args.caDir ?? DEFAULT_CA_DIR) },
      botAppId: args.appId,
      onExchange: (e) => io.err(describeExchange(e)),
      onRefused: (r) => io.err(`✘ refused ${r.destination} (${r.via}): the bot tried to reach a host other than Graph, login and the notification keys; nothing was sent`),
      onWarning: (m) => io.err(`! ${m}`),
    });
  } catch (e) {
    io.err(`callreplay record: cannot start recording: ${(e as Error).message}`);
    return undefined;
  }
}

/** Resolves with the reason the recording ends: a signal, idleness, or the started bot exiting. */
async function recordingEnds(recorder: Recorder, bot: BotProcess | undefined, untilIdle: number | undefined, signalled: Promise<string>): Promise<string> {
  const stop = new AbortController();
  const ends: Array<Promise<string>> = [signalled];
  if (untilIdle !== undefined) ends.push(recorder.untilIdle(untilIdle * 1000, stop.signal).then(() => `no traffic for ${untilIdle} s`));
  if (bot) {
    ends.push(
      new Promise((resolveEnd) => {
        const timer = setInterval(() => {
          if (!bot.running) resolveEnd(`the bot ${bot.exitDescription}`);
        }, 200);
        stop.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
      }),
    );
  }
  try {
    return await Promise.race(ends);
  } finally {
    stop.abort();
  }
}

/** Scrubs the recording into a flow file at `out`: the scrubber's notes, or the problem when it could not. */
async function writeFlow(recording: Recording, out: string, args: RecordArgs): Promise<{ notes: string[] } | string> {
  try {
    const { yaml, report } = recordingToFlow(recording, { name: flowName(out), keep: args.keep, botAppId: args.appId });
    await mkdir(dirname(out), { recursive: true });
    await writeFile(out, yaml, { flag: args.force ? 'w' : 'wx' });
    return { notes: report.notes };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EEXIST') return `${args.out} appeared while recording; pass --force to overwrite it (nothing written)`;
    return `could not write the flow to ${args.out}: ${err.message ?? String(e)}`;
  }
}

/** The flow's name from its file: `recordings/My Call.yaml` -> `my-call`. */
export function flowName(file: string): string {
  const name = basename(file)
    .replace(/\.(ya?ml|json)$/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return name || 'recorded-call';
}

function upstreamUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${flag} "${value}" is not a URL (expected e.g. ${flag === '--upstream' ? DEFAULT_UPSTREAMS.graph : flag === '--upstream-login' ? DEFAULT_UPSTREAMS.login : DEFAULT_UPSTREAMS.auth})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL, got ${value}`);
  if (url.search || url.hash) throw new UsageError(`${flag} must be a base URL without query or fragment, got ${value}`);
  return value.replace(/\/+$/, '');
}
