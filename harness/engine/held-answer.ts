/**
 * Holding Graph's answer to a request until the notifications it caused have reached the bot
 * (CompiledExpect.holdResponse, the variant notification-before-response): real Graph can deliver
 * the `establishing` of a new call before the 201 of its create, the `established` before the 202
 * of an answer.
 */
import type { OutboundResponse } from './ports.js';
import type { RunState } from './run-state.js';

/** Settles once the bot has answered notify step `index` (BotDelivery.whenAnswered). */
export type WhenAnswered = (index: number) => Promise<void>;

/**
 * The answer to expect step `index`, sent once the bot has answered the notify steps right after
 * it, or after half the shortest of their timeouts: the bot reads the notifications the request
 * caused before its answer, and a bot whose acks wait for that answer is only slowed down. The
 * transcript's response entry (the last one) says it was held.
 */
export function holdAnswer(state: RunState, answer: OutboundResponse, index: number, whenAnswered: WhenAnswered): OutboundResponse | Promise<OutboundResponse> {
  const steps = state.flow.steps;
  const notes: number[] = [];
  let ms = Infinity;
  for (let i = index + 1; steps[i]?.kind === 'notify'; i++) {
    notes.push(i);
    ms = Math.min(ms, steps[i]!.timeoutMs / 2);
  }
  if (notes.length === 0) return answer;
  const entry = state.transcript.entries[state.transcript.entries.length - 1];
  if (entry?.kind === 'response') entry.label += ` (held until step${notes.length > 1 ? 's' : ''} ${notes.map((i) => i + 1).join(', ')} answered)`;
  const answered = Promise.all(notes.map((i) => whenAnswered(i)));
  return new Promise<OutboundResponse>((resolve) => {
    // cleared by the run's dispose(), which also wakes every whenAnswered waiter
    const timer = setTimeout(() => {
      state.timers.delete(timer);
      resolve(answer);
    }, ms);
    state.timers.add(timer);
    void answered.then(() => {
      clearTimeout(timer);
      state.timers.delete(timer);
      resolve(answer);
    });
  });
}
