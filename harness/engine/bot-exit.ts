/**
 * The bot process's liveness during a run: a bot that exits mid-flow is reported as such, with its
 * last output, rather than as a refused connection or a missing request.
 */
import type { RunState } from './run-state.js';
import type { BotLiveness } from './run-types.js';

/** Lines of the bot's output a bot-unavailable finding shows. */
const BOT_EXIT_LINES = 5;

/** The bot process exited while the run needed it: fails the run at the step it stands at. */
export function reportBotExit(state: RunState): void {
  if (state.phase === 'ended' || state.failed) return;
  const k = state.currentStep();
  const step = state.flow.steps[k]!;
  const output = state.opts.bot!.lastOutput(BOT_EXIT_LINES).trimEnd();
  state.fail({
    kind: 'bot-unavailable',
    step: k + 1,
    stepName: step.name,
    message: `the bot process ${state.opts.bot!.exitDescription ?? 'exited'} during step ${k + 1} (${step.name})${output ? `; its last output:\n${output.split('\n').map((l) => `    ${l}`).join('\n')}` : '; it printed nothing'}`,
  });
}

/** Resolves once the bot has exited, or after `ms`: a refused connection often comes just before the exit event. */
export function botExitSettled(bot: BotLiveness | undefined, ms: number): Promise<void> {
  if (!bot || bot.exitDescription !== undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      off();
      resolve();
    }, ms);
    const off = bot.onExit(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
