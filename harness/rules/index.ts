/** Call-state rules: checks that run on every flow (see docs/rules.md). */
export { callStateRules, rulesMarkdownTable, ruleInfo, RULES, DEFAULT_ANSWER_DEADLINE_MS, DEFAULT_KEEPALIVE_INTERVAL_MS, type CallStateRules, type RuleId, type RuleInfo, type RuleOptions, type RuleSeverity } from './rules.js';
export { CallStateTracker, classifyRequest, mediaModeOf, normalizeState, CALL_STATES, ENDED_STATES, type ActionRecord, type CallAction, type CallDirection, type CallKind, type CallState, type ClassifiedRequest, type MediaMode, type StateChange, type TrackedCall } from './call-state.js';
