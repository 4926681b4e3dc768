/**
 * Times what `callreplay record` adds to a live call: the relay overhead per hop (the recorder's own
 * time, `relayOverheadMs`: a hop's total minus the time the other side took), median and p95, for
 * notifications (Graph -> bot) and requests (bot -> Graph), and the round trip with and without the
 * recorder in the same run.
 * `npm run build && node dist/scripts/bench-record.js [--hops 200]`.
 *
 * "Graph" is callreplay replaying a ping-pong flow on its gateway; the bot answers each
 * notification 202 and then sends one keepAlive. One round = two hops through the recorder.
 */
import type { AddressInfo } from 'node:net';
import type { FlowRun } from '../harness/engine/flow-run.js';
import { parseFlow } from '../harness/flow/load-flow.js';
import type { RecordedExchange } from '../harness/record/recording.js';
import { Recorder } from '../harness/record/relay.js';
import { Harness } from '../harness/runner/harness.js';
import { pingPongFlow } from './bench-flow.js';
import { pingBot } from './bench-raw-hop.js';

const arg = process.argv.indexOf('--hops');
const hops = (arg >= 0 ? Number(process.argv[arg + 1]) : 0) || 200;
const rounds = Math.max(1, Math.round(hops / 2));

/** Runs `n` rounds; with `record`, through a recorder. Returns ms per round and the recorded exchanges. */
async function runRounds(n: number, record: boolean): Promise<{ perRound: number; exchanges: RecordedExchange[] }> {
  const upstream = await Harness.start({ transport: 'gateway' });
  const token = await upstream.router.tokens.issue(upstream.tenant!, 'bench-app');
  let run: FlowRun | undefined;
  let recorder: Recorder | undefined;
  const callPath = () => `/v1.0/communications/calls/${String(run!.valueOf('call'))}/keepAlive`;
  const bot = await pingBot(() => recorder?.graphBaseUrl ?? upstream.graphBaseUrl, () => token, callPath);
  try {
    const botUrl = `http://127.0.0.1:${(bot.address() as AddressInfo).port}/api/calls`;
    if (record) {
      recorder = await Recorder.start({ botUrl, upstreams: { graph: upstream.graphBaseUrl, login: upstream.loginBaseUrl, auth: upstream.loginBaseUrl } });
    }
    run = upstream.createRun(parseFlow(pingPongFlow(n), 'bench.yaml'), recorder ? `${recorder.inboundUrl}/api/calls` : botUrl);
    const t0 = performance.now();
    const outcome = await run.run();
    const perRound = (performance.now() - t0) / n;
    if (outcome.status !== 'passed') throw new Error(`bench flow failed: ${outcome.findings[0]?.message}`);
    await recorder?.drain(2000);
    return { perRound, exchanges: recorder?.recording().exchanges ?? [] };
  } finally {
    if (run) upstream.release(run);
    bot.closeAllConnections();
    bot.close();
    await recorder?.close();
    await upstream.close();
  }
}

function percentile(values: number[], p: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? NaN;
}

const fmt = (ms: number) => `${ms.toFixed(3)} ms`;
function line(label: string, exchanges: RecordedExchange[]): string {
  const overhead = exchanges.map((e) => e.relayOverheadMs);
  const total = exchanges.map((e) => e.totalMs);
  return `  ${label.padEnd(28)} overhead median ${fmt(percentile(overhead, 50))}, p95 ${fmt(percentile(overhead, 95))}   (hop total median ${fmt(percentile(total, 50))}, ${exchanges.length} hops)`;
}

await runRounds(50, true); // warm up
await runRounds(50, false);
const direct = await runRounds(rounds, false);
const recorded = await runRounds(rounds, true);
const exchanges = recorded.exchanges;
console.log(`callreplay record relay benchmark, ${exchanges.length} hops (${rounds} rounds), Node ${process.version}`);
console.log(line('notifications (Graph->bot)', exchanges.filter((e) => e.direction === 'inbound')));
console.log(line('requests (bot->Graph)', exchanges.filter((e) => e.direction === 'outbound')));
console.log(line('all hops', exchanges));
console.log(`  round trip (notification + request): ${fmt(direct.perRound)} direct, ${fmt(recorded.perRound)} through the recorder`);
