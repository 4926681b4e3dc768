/** callreplay's library API: load flows, run them against a bot, read the findings. */
export { loadFlowFile, parseFlow, FlowFileError, flowSchema } from './flow/load-flow.js';
export type { CallreplayFlow } from './flow/flow-types.generated.js';
export type { CompiledFlow, CompiledStep } from './engine/plan.js';
export { FlowRun, type FlowOutcome, type StepOutcome } from './engine/flow-run.js';
export { Router } from './engine/router.js';
export { TokenIssuer } from './engine/token-issuer.js';
export { formatFinding, type Finding, type FindingKind, type Mismatch } from './engine/findings.js';
export type { Transcript, TranscriptEntry } from './engine/transcript.js';
export type { InboundRequest, OutboundResponse, HttpClient } from './engine/ports.js';
export { Harness, DEFAULT_BOT_APP_ID, type HarnessOptions, type TransportKind } from './runner/harness.js';
export { BotProcess, BotStartError } from './bot/bot-process.js';
export { startGateway } from './transports/gateway.js';
export { installNockAdapter } from './transports/nock-adapter.js';
export { renderSequenceDiagram } from './report/sequence-diagram.js';
export { callStateRules, RULES, type RuleInfo, type RuleOptions } from './rules/index.js';
export { graphSchemaObserver, validateGraphRequest } from './graph/validate-requests.js';
export { answerAsGraph, FAKE_GRAPH_ACTIONS } from './graph/fake-graph.js';
export type { RunObserver, ObserverContext } from './engine/flow-run.js';
