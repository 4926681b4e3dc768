/**
 * Goal 3 of issue 9: one gateway hop (bot request in -> match -> answer -> next notification out)
 * within 2x a raw node:http round trip, both timed in this process, rounds interleaved
 * (bench-hop.ts's measurements; the median round of each is compared).
 */
import { measureHops } from './bench-hop.js';
import { median, micros, ratioRow, withTimeout, type BenchResult } from './bench-util.js';

export const HOP_GOAL = 2;

export async function benchGateway(quick: boolean): Promise<BenchResult> {
  const hops = quick ? 300 : 1000;
  const rounds = quick ? 3 : 5;
  const t = await withTimeout('the hop bench', 180_000, measureHops(hops, rounds));
  const [engine, raw, gateway] = [median(t.engine), median(t.raw), median(t.gateway)];
  const list = (xs: number[]) => xs.map((x) => (x * 1000).toFixed(0)).join(', ');
  return {
    rows: [ratioRow('3 gateway hop vs raw http', `gateway ${micros(gateway)} vs raw ${micros(raw)} per hop`, gateway / raw, HOP_GOAL)],
    raw: [
      `3 hop: ${hops} hops x ${rounds} interleaved rounds (µs per hop): raw node:http ${list(t.raw)}; gateway ${list(t.gateway)}; engine only ${list(t.engine)}`,
      `    of a gateway hop's ${micros(gateway)}: engine (match, answer, next step, no sockets) ${micros(engine)}, ` +
        `sockets and HTTP parsing (raw floor) ${micros(raw)}, the rest (gateway routing, auth, transcript, delivery) ${micros(Math.max(0, gateway - raw - engine))}`,
    ],
  };
}
