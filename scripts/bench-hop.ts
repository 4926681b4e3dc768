/**
 * Times one harness hop (bot request in -> match -> response -> next notification out) and compares
 * it with a raw node:http round trip in the same run. `node dist/scripts/bench-hop.js [--hops 2000]` (`npm run bench` runs it as goal 3).
 *
 *  engine only   FlowRun.handleRequest + the sequencer, no sockets (the harness's own cost)
 *  gateway hop   a real bot on loopback <-> the gateway: request, answer, next notification, ack
 *  raw http hop  the same ping-pong between two bare node:http servers (the floor)
 */
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseFlow } from '../harness/flow/load-flow.js';
import { FlowRun } from '../harness/engine/flow-run.js';
import type { CompiledFlow } from '../harness/engine/plan.js';
import type { BotRequest, BotResponse, HttpClient, InboundRequest } from '../harness/engine/ports.js';
import { Harness } from '../harness/runner/harness.js';
import { pingPongFlow } from './bench-flow.js';
import { pingBot, rawHop } from './bench-raw-hop.js';

export { rawHop };

/** ms per hop of the engine alone (FlowRun + sequencer, a fake HttpClient, no sockets). */
export async function engineOnly(n: number): Promise<number> {
  const flow = benchFlow(n);
  let run: FlowRun;
  const keepAlive = (): InboundRequest => ({
    method: 'POST',
    path: `/v1.0/communications/calls/${String(run.valueOf('call'))}/keepAlive`,
    headers: {},
    rawBody: '',
    body: undefined,
    service: 'graph',
    via: 'bench',
  });
  const client: HttpClient = {
    async send(_req: BotRequest): Promise<BotResponse> {
      queueMicrotask(() => run.handleRequest(keepAlive()));
      return { status: 202, headers: {}, body: '', latencyMs: 0 };
    },
  };
  run = new FlowRun({ flow, http: client, webhookUrl: 'http://127.0.0.1:1/api/calls', graphBaseUrl: 'http://127.0.0.1:2', botAppId: 'bench' });
  const t0 = performance.now();
  const outcome = await run.run();
  if (outcome.status !== 'passed') throw new Error(`engine bench failed: ${outcome.findings[0]?.message}`);
  return (performance.now() - t0) / n;
}

/**
 * The ping-pong flow of `n` hops, parsed once per process: parsing a flow of thousands of steps
 * right before a timed round left megabytes of garbage that the round's hops then paid for in GC
 * (about 40 µs a hop), which is set-up, not the hop.
 */
function benchFlow(n: number): CompiledFlow {
  let flow = parsedFlows.get(n);
  if (!flow) parsedFlows.set(n, (flow = parseFlow(pingPongFlow(n), 'bench.yaml')));
  return flow;
}
const parsedFlows = new Map<number, CompiledFlow>();

/** ms per hop through a real harness gateway with a node:http bot on loopback. */
export async function gatewayHop(n: number): Promise<number> {
  const harness = await Harness.start({ transport: 'gateway' });
  const token = await harness.router.tokens.issue(harness.tenant!, 'bench-app');
  const flow = benchFlow(n);
  let run: FlowRun | undefined;
  const bot = await pingBot(() => harness.graphBaseUrl, () => token, () => `/v1.0/communications/calls/${String(run!.valueOf('call'))}/keepAlive`);
  try {
    run = harness.createRun(flow, `http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/calls`);
    const t0 = performance.now();
    const outcome = await run.run();
    if (outcome.status !== 'passed') throw new Error(`gateway bench failed: ${outcome.findings[0]?.message}`);
    return (performance.now() - t0) / n;
  } finally {
    bot.closeAllConnections();
    bot.close();
    await harness.close();
  }
}

export interface HopTimes {
  hops: number;
  /** ms per hop of each round (medians below) */
  engine: number[];
  raw: number[];
  gateway: number[];
}

/** `rounds` interleaved rounds of engine-only, raw and gateway hops, after one warm-up round of each. */
export async function measureHops(hops: number, rounds = 1): Promise<HopTimes> {
  await engineOnly(200); // warm up
  await rawHop(200);
  await gatewayHop(200);
  const times: HopTimes = { hops, engine: [], raw: [], gateway: [] };
  for (let i = 0; i < rounds; i++) {
    times.engine.push(await engineOnly(hops));
    times.raw.push(await rawHop(hops));
    times.gateway.push(await gatewayHop(hops));
  }
  return times;
}

const fmt = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const hops = Number(process.argv[process.argv.indexOf('--hops') + 1]) || 1000;
  const { engine: [engine], raw: [raw], gateway: [gateway] } = await measureHops(hops);
  console.log(`callreplay hop benchmark, ${hops} hops, Node ${process.version}`);
  console.log(`  engine only (match + answer + next step): ${fmt(engine!)} per hop`);
  console.log(`  raw node:http round trip (floor):        ${fmt(raw!)} per hop`);
  console.log(`  gateway hop (real sockets):              ${fmt(gateway!)} per hop  (${(gateway! / raw!).toFixed(2)}x raw)`);
}
