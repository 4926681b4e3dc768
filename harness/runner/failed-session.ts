/** The session of a run whose bot could not be started: every call fails with that reason. */
import type { SessionApi } from './session-api.js';

export function failedSession(reason: string): SessionApi {
  const fail = async (): Promise<never> => {
    throw new Error(reason);
  };
  return {
    startRun: fail,
    runStep: fail,
    finish: fail,
    release: fail,
    runAlone: fail,
    probeAuth: fail,
    probeRefusal: fail,
    settleBase: async () => undefined,
    baseVerdict: async () => undefined,
  };
}
