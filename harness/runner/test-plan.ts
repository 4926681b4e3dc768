/**
 * The tests of a `callreplay run`, planned once by the CLI from the compiled flows and written to
 * a file the Playwright processes read: titles, annotations, step titles, time budgets, the texts
 * of the checks. A worker (started again after every failed test) declares its tests from this
 * plain JSON without parsing a flow or loading the engine; the session judges.
 */
import { writeFileSync } from 'node:fs';
import type { CompiledFlow, CompiledStep, SourcePos } from '../engine/plan.js';
import { AUTH_STATUS_RULE } from '../engine/auth-probe.js';
import { describeVariant } from '../engine/explain.js';
import { AUTH_VARIANTS, type AuthVariant } from '../engine/ports.js';
import { REFUSAL_CHECK_TABLE, type RefusalCheck } from '../engine/refusal-checks.js';
import { applicableVariants, variantInfo, type VariantKind } from '../variants/index.js';
import { checkIds } from './run-checks.js';
import type { CheckConfig } from './run-config.js';

export interface PlannedStep {
  /** 0-based, as the session's runStep takes it */
  index: number;
  name: string;
  /** e.g. "8. expect POST /beta/app/calls/${meetingCall}/participants/invite (invite the caller into the meeting)" */
  title: string;
  /** where the step is written in the flow file (a variant's steps keep their flow's lines) */
  at?: SourcePos;
}

/** One flow, or one robustness variant of it. */
export interface PlannedRun {
  /** the flow's name, or e.g. "p2p-to-meeting-transfer~batched" */
  name: string;
  title: string;
  variant?: VariantKind;
  /** a variant's whole description (its title has a few words) */
  doc?: string;
  /** where the flow's `name` is written in the flow file: the test's location in the report */
  at?: SourcePos;
  steps: PlannedStep[];
  /** the test's time: every step's timeout, the quiet period, slack; twice (the run alone) */
  timeoutMs: number;
}

export interface PlannedFlow {
  name: string;
  file: string;
  suite: string;
  flow: PlannedRun;
  variants: PlannedRun[];
  /** the notification-auth check: its time, and the 1-based step of the flow's first notification; absent: the flow sends none */
  authCheck?: { timeoutMs: number; probeStep: number };
  /** why the flow is not run against this bot (a trigger not mapped: the flag to add); then neither its variants nor its auth check run */
  skipped?: string;
}

export interface TestPlan {
  flows: PlannedFlow[];
  /** the ids of the checks that watch every flow (for the reports) */
  checks: string[];
  authVariants: Array<{ variant: AuthVariant; description: string }>;
  /** the rule of a broken token refused with another status than 401/403 */
  authStatusRule: string;
  refusalChecks: Array<{ check: RefusalCheck; sends: string; expects: string; evidence: string }>;
}

/** `skipped`: the flows not run against this bot, by name, with why (run-command.ts: a trigger not mapped). */
export function planTests(flows: readonly CompiledFlow[], checks: CheckConfig, skipped: ReadonlyMap<string, string> = new Map()): TestPlan {
  return {
    flows: flows.map((flow): PlannedFlow => {
      const skip = skipped.get(flow.name);
      if (skip !== undefined) return { name: flow.name, file: flow.file, suite: flow.suite, flow: plannedRun(flow, untagged(`${flow.name}: ${flow.description}`)), variants: [], skipped: skip };
      const firstNotification = flow.steps.findIndex((s) => s.kind === 'notify');
      const beforeProbe = flow.steps.slice(0, firstNotification + 1).reduce((sum, s) => sum + s.timeoutMs, 0);
      return {
        name: flow.name,
        file: flow.file,
        suite: flow.suite,
        flow: plannedRun(flow, untagged(`${flow.name}: ${flow.description}`)),
        // a short title; what the variant does in full is the test's `variant-doc` annotation
        variants: applicableVariants(flow, checks.variants).map((v) => ({ ...plannedRun(v, untagged(`${v.name}: ${variantInfo(v.variant.kind).title}`)), variant: v.variant.kind, doc: variantInfo(v.variant.kind).doc })),
        authCheck: firstNotification >= 0 ? { timeoutMs: beforeProbe + 30_000, probeStep: firstNotification + 1 } : undefined,
      };
    }),
    checks: checkIds(checks),
    authVariants: AUTH_VARIANTS.map((variant) => ({ variant, description: describeVariant(variant) })),
    authStatusRule: AUTH_STATUS_RULE,
    refusalChecks: REFUSAL_CHECK_TABLE.map(({ check, sends, expects, evidence }) => ({ check, sends, expects, evidence })),
  };
}

export function writeTestPlan(file: string, plan: TestPlan): void {
  writeFileSync(file, JSON.stringify(plan));
}

function plannedRun(flow: CompiledFlow, title: string): PlannedRun {
  const budget = flow.steps.reduce((sum, s) => sum + s.timeoutMs, 0) + flow.quietMs + 15_000;
  return {
    name: flow.name,
    title,
    ...(flow.at ? { at: flow.at } : {}),
    steps: flow.steps.map((s) => ({ index: s.index, name: s.name, title: untagged(stepTitle(s)), ...(s.at ? { at: s.at } : {}) })),
    timeoutMs: 2 * budget,
  };
}

export function stepTitle(step: CompiledStep): string {
  const n = `${step.index + 1}.`;
  switch (step.kind) {
    case 'notify':
      return `${n} notify: ${step.name}`;
    case 'expect':
      // ids by name, as the sequence diagram shows them: {meetingCall}, not template syntax
      return `${n} expect ${step.method} ${step.pathTemplate.replace(/\$\{([^}]+)\}/g, '{$1}')} (${step.name})`;
    case 'unordered':
      return `${n} expect in any order: ${step.name}`;
    case 'trigger':
      return `${n} trigger: ${step.name}`;
  }
}

/**
 * A title Playwright shows as written: it makes every `@word` of a test or group title a tag (a
 * chip in the report, a grep tag) by the pattern /@[\S]+/. After each `@` comes U+FEFF (ZERO WIDTH
 * NO-BREAK SPACE): a space to that pattern, nothing on screen, so `@odata.type` still reads as
 * written and is no tag. (U+FF20 '＠', the other look-alike, is missing from common Linux fonts.)
 */
export function untagged(title: string): string {
  return title.replace(/@(?!\uFEFF)/g, '@\uFEFF');
}
