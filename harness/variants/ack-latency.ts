/** The ack latencies of a run, summarised for the reports (dependency-free). */
import type { Transcript } from '../engine/transcript.js';

export interface AckLatencySummary {
  /** notification acks with a latency */
  count: number;
  /** milliseconds (nearest rank); 0 when count is 0 */
  p50: number;
  p95: number;
  max: number;
}

/** Latency of the notification acks of a run (trigger answers are not counted). */
export function ackLatencySummary(transcript: Pick<Transcript, 'entries'>): AckLatencySummary {
  const latencies = transcript.entries
    .filter((e) => e.kind === 'ack' && typeof e.latencyMs === 'number')
    .map((e) => e.latencyMs!)
    .sort((a, b) => a - b);
  const rank = (p: number) => latencies[Math.max(0, Math.ceil((p / 100) * latencies.length) - 1)] ?? 0;
  return { count: latencies.length, p50: rank(50), p95: rank(95), max: latencies[latencies.length - 1] ?? 0 };
}
