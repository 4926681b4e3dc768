/**
 * Times one harness hop (bot request in -> match -> response -> next notification out) and compares
 * it with a raw node:http round trip in the same run. `npm run bench [-- --hops 2000]`.
 *
 *  engine only   FlowRun.handleRequest + the sequencer, no sockets (the harness's own cost)
 *  gateway hop   a real bot on loopback <-> the gateway: request, answer, next notification, ack
 *  raw http hop  the same ping-pong between two bare node:http servers (the floor)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseFlow } from '../harness/flow/load-flow.js';
import { FlowRun } from '../harness/engine/flow-run.js';
import type { BotRequest, BotResponse, HttpClient, InboundRequest } from '../harness/engine/ports.js';
import { Harness } from '../harness/runner/harness.js';
import { pingPongFlow } from './bench-flow.js';

const hops = Number(process.argv[process.argv.indexOf('--hops') + 1]) || 1000;

async function engineOnly(n: number): Promise<number> {
  const flow = parseFlow(pingPongFlow(n), 'bench.yaml');
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

/** A bot that answers each notification 202 and then sends one keepAlive to `graphBase`. */
function pingBot(graphBase: () => string, token: () => string, callPath: () => string): Promise<http.Server> {
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(202).end();
      const out = http.request(`${graphBase()}${callPath()}`, { method: 'POST', agent, headers: { authorization: `Bearer ${token()}`, 'content-length': 0 } }, (r) => r.resume());
      out.end();
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function gatewayHop(n: number): Promise<number> {
  const harness = await Harness.start({ transport: 'gateway' });
  const token = await harness.router.tokens.issue(harness.tenant!, 'bench-app');
  const flow = parseFlow(pingPongFlow(n), 'bench.yaml');
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

async function rawHop(n: number): Promise<number> {
  let remaining = n;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const agent = new http.Agent({ keepAlive: true });
  let botPort = 0;
  // "graph": answers 200, then notifies the bot (like the harness does)
  const graph = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200).end();
      if (--remaining === 0) return done();
      http.request({ host: '127.0.0.1', port: botPort, method: 'POST', path: '/api/calls', agent, headers: { 'content-length': 2 } }, (r) => r.resume()).end('{}');
    });
  });
  await new Promise<void>((r) => graph.listen(0, '127.0.0.1', () => r()));
  const bot = await pingBot(() => `http://127.0.0.1:${(graph.address() as AddressInfo).port}`, () => 'x', () => '/v1.0/keepAlive');
  botPort = (bot.address() as AddressInfo).port;
  const t0 = performance.now();
  http.request({ host: '127.0.0.1', port: botPort, method: 'POST', path: '/api/calls', agent, headers: { 'content-length': 2 } }, (r) => r.resume()).end('{}');
  await finished;
  const perHop = (performance.now() - t0) / n;
  for (const s of [graph, bot]) {
    s.closeAllConnections();
    s.close();
  }
  agent.destroy();
  return perHop;
}

const fmt = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
await engineOnly(200); // warm up
await rawHop(200);
const engine = await engineOnly(hops);
const raw = await rawHop(hops);
const gateway = await gatewayHop(hops);
console.log(`callreplay hop benchmark, ${hops} hops, Node ${process.version}`);
console.log(`  engine only (match + answer + next step): ${fmt(engine)} per hop`);
console.log(`  raw node:http round trip (floor):        ${fmt(raw)} per hop`);
console.log(`  gateway hop (real sockets):              ${fmt(gateway)} per hop  (${(gateway / raw).toFixed(2)}x raw)`);
