/**
 * The session of a run that could not start. When the bot could not be started (it exited, or never
 * answered at its URL), every flow and check fails on a `bot-unavailable` finding naming why: a
 * verdict on the bot, one red row per flow (its variants and auth check are then not run). When
 * the harness itself could not start, every call throws: a harness error, not the bot's failure.
 */
import type { Finding } from '../engine/findings.js';
import type { FlowOutcome } from '../engine/run-types.js';
import type { BaseVerdict, ProbeResult, RunRecord, SessionApi } from './session-api.js';

export function failedSession(reason: string, cause: 'bot' | 'harness'): SessionApi {
  if (cause === 'harness') {
    const fail = async (): Promise<never> => {
      throw new Error(reason);
    };
    return { startRun: fail, runStep: fail, finish: fail, release: fail, runAlone: fail, probeAuth: fail, probeRefusal: fail, settleBase: async () => undefined, baseVerdict: async () => undefined };
  }
  const verdicts = new Map<string, BaseVerdict>();
  const finding = (step?: number): Finding => ({ kind: 'bot-unavailable', ...(step !== undefined ? { step } : {}), message: `the bot could not be started: ${reason}` });
  const transcript = { flow: '', startedAt: new Date().toISOString(), entries: [], idNames: {} };
  const outcome = (): FlowOutcome => ({ flow: '', status: 'failed', findings: [finding()], warnings: [], transcript });
  const record = (): RunRecord => ({ transcript, findings: [finding()], warnings: [], overlapped: 0 });
  const probe = async (): Promise<ProbeResult> => ({ outcome: outcome() });
  return {
    startRun: async () => ({ id: 'bot-not-started' }),
    // the first step fails: nothing of the flow could be played
    runStep: async (_id, index) => ({ outcome: { index, name: '', kind: 'notify', status: 'failed', finding: finding(index + 1) } }),
    finish: async () => ({ outcome: outcome() }),
    release: async () => record(),
    runAlone: async () => ({ ...(await probe()), record: record() }),
    probeAuth: probe,
    probeRefusal: probe,
    settleBase: async (verdict) => void verdicts.set(verdict.flow, verdict),
    baseVerdict: async (flow) => verdicts.get(flow),
  };
}
