/**
 * Goal 6 of issue 9: `import 'callreplay'` leaves a raw node:http ping-pong within 1.1x. Two child
 * processes (bench-import-child.ts): one bare, one that first imports the package entry; both time
 * the same raw ping-pong (bench-raw-hop.ts) in rounds, taking turns (one at a time, the order
 * alternating), and the medians are compared. A child that does not exit on its own once told to is
 * reported: the import would have left something running.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { packageRoot } from '../harness/paths.js';
import { BENCH_TAG, delay, killGroup, median, micros, ratioRow, type BenchResult } from './bench-util.js';

export const IMPORT_GOAL = 1.1;
const CHILD = join(packageRoot, 'dist', 'scripts', 'bench-import-child.js');

interface Child {
  process: ChildProcess;
  ready: { how: string; importMs: number };
  times: number[];
}

type Message = { ready?: true; how?: string; importMs?: number; perHopMs?: number };

function next(child: ChildProcess, timeoutMs: number, what: string): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const onMessage = (m: Message) => done(undefined, m);
    const onExit = (code: number | null) => done(new Error(`${what}: the child exited (${code})`));
    function done(e?: Error, m?: Message) {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit);
      if (e) reject(e);
      else resolve(m!);
    }
    child.on('message', onMessage).once('exit', onExit);
  });
}

async function start(mode: 'bare' | 'import'): Promise<Child> {
  const [name, value] = BENCH_TAG.split('=') as [string, string];
  const child = fork(CHILD, [mode], { cwd: packageRoot, env: { ...process.env, [name]: value }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], detached: true });
  try {
    const m = await next(child, 60_000, `the ${mode} child's start`);
    return { process: child, ready: { how: m.how ?? '?', importMs: m.importMs ?? 0 }, times: [] };
  } catch (e) {
    killGroup(child, 'SIGKILL');
    throw e;
  }
}

/** Tells the child to exit; true if it did on its own within 3 s (else it is killed). */
async function stop(child: ChildProcess): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = new Promise<boolean>((r) => child.once('exit', () => r(true)));
  if (child.connected) child.send({ exit: true });
  const onItsOwn = await Promise.race([exited, delay(3000).then(() => false)]);
  killGroup(child, 'SIGKILL');
  return onItsOwn;
}

export async function benchImport(quick: boolean): Promise<BenchResult> {
  const hops = quick ? 1000 : 2000;
  const rounds = quick ? 5 : 11;
  const children: Child[] = [];
  let exits: boolean[] = [];
  try {
    children.push(await start('bare'), await start('import'));
    // round 0 is a warm-up (JIT, socket buffers), not counted
    for (let i = 0; i <= rounds; i++) {
      const order = i % 2 === 0 ? children : [...children].reverse();
      for (const c of order) {
        c.process.send({ hops });
        const m = await next(c.process, 60_000, `round ${i}`);
        if (i > 0) c.times.push(m.perHopMs!);
      }
    }
  } finally {
    exits = await Promise.all(children.map((c) => stop(c.process)));
  }
  const [bare, imported] = children as [Child, Child];
  const [b, m] = [median(bare.times), median(imported.times)];
  const list = (xs: number[]) => xs.map((x) => (x * 1000).toFixed(0)).join(', ');
  const raw = [
    `6 import: raw node:http ping-pong, ${hops} hops x ${rounds} rounds taking turns after a warm-up round (µs per hop): bare ${list(bare.times)}; after import ${list(imported.times)}`,
    `    the import child loaded the package by ${imported.ready.how} in ${imported.ready.importMs.toFixed(0)} ms; ` +
      `told to exit, the bare child ${exits[0] ? 'exited' : 'did NOT exit'}, the import child ${exits[1] ? 'exited on its own (the import left nothing running)' : 'did NOT exit on its own (the import left a handle open; killed)'}`,
  ];
  return { rows: [ratioRow("6 import 'callreplay' vs bare", `${micros(m)} vs ${micros(b)} per raw hop`, m / b, IMPORT_GOAL)], raw };
}
