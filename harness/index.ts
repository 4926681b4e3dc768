/** callreplay's library API: load flows, run them against a bot, read the findings. */
export { loadFlowFile, parseFlow, FlowFileError, flowSchema } from './flow/load-flow.js';
export type { CallreplayFlow } from './flow/flow-types.generated.js';
export type { CompiledFlow, CompiledStep } from './engine/plan.js';
export { FlowRun, type FlowOutcome, type StepOutcome } from './engine/flow-run.js';
export { Router } from './engine/router.js';
export { TokenIssuer } from './engine/token-issuer.js';
export { formatFinding, type Finding, type FindingKind, type Mismatch } from './engine/findings.js';
export type { Transcript, TranscriptEntry } from './engine/transcript.js';
export type { InboundRequest, OutboundResponse, HttpClient, RequestSink } from './engine/ports.js';
import type { RequestSink } from './engine/ports.js';
import type { NockAdapter } from './transports/nock-adapter.js';
export { Harness, DEFAULT_BOT_APP_ID, DEFAULT_TENANT_ID, PER_RUN_TENANT, type HarnessOptions, type TransportKind } from './runner/harness.js';
export { BotProcess, BotStartError } from './bot/bot-process.js';
export { startGateway } from './transports/gateway.js';
export type { NockAdapter } from './transports/nock-adapter.js';
/**
 * In-process interception with nock, for a bot in this process. Loaded only when called: importing
 * nock patches node:http for the whole process, which `import 'callreplay'` must not do.
 */
export async function installNockAdapter(router: RequestSink): Promise<NockAdapter> {
  const nock = await import('./transports/nock-adapter.js');
  return nock.installNockAdapter(router);
}
export { renderSequenceDiagram } from './report/sequence-diagram.js';
export { callStateRules, RULES, type RuleInfo, type RuleOptions } from './rules/index.js';
export { graphSchemaObserver, validateGraphRequest } from './graph/validate-requests.js';
export { answerAsGraph, FAKE_GRAPH_ACTIONS } from './graph/fake-graph.js';
export type { RunObserver, ObserverContext, BotLiveness } from './engine/flow-run.js';
export { REFUSAL_CHECKS, REFUSAL_CHECK_TABLE, type RefusalCheck, type RefusalCheckInfo } from './engine/refusal-checks.js';
export { Recorder, type RecorderOptions } from './record/relay.js';
export { recordingToFlow, transcriptToRecording } from './record/to-flow.js';
export type { Recording, RecordedExchange } from './record/recording.js';
export { applyVariant, applicableVariants, VARIANTS, type VariantKind } from './variants/index.js';
export { defineConfig, type CallreplayConfig, type TriggerMappingConfig } from './config/config-types.js';
export { mapTriggers, parseTriggerFlag, parseTriggerConfig, triggersOf, type TriggerMapping } from './flow/trigger-mapping.js';
