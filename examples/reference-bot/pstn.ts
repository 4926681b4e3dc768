/**
 * Scenario: PSTN, on resource accounts that have a phone number. A caller dialling one of them
 * comes as an incoming call whose source is `identity.phone` (an E.164 number, no user, no tenant on
 * the caller); the call's tenant is `resourceData.tenantId`.
 *
 *   PSTN line (PSTN_LINE_ID):           established -> blind transfer to PSTN_TRANSFER_NUMBER
 *                                       (transferTarget.identity.phone, call-transfer Example 3)
 *   PSTN consult line (PSTN_CONSULT_LINE_ID):
 *                                       established -> call PSTN_TRANSFER_NUMBER as the line's
 *                                       application instance (a PSTN call cannot be placed as the
 *                                       bare application; application-post-calls Example 7);
 *                                       that call established -> transfer with replacesCallId
 *                                       (call-transfer Example 4); a failure is handled as in transfer.ts
 *   POST /api/pstn/dial {number, digits, tenantId?} -> {callId}:
 *                                       calls `number` from the PSTN line; once established, keys
 *                                       in `digits` (0-9 * # A-D) with sendDtmfTones; the operation's
 *                                       completion is logged (a failure hangs up)
 *
 * Flows: pstn-transfer-to-phone, pstn-consultative-transfer, pstn-dial-out-dtmf.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LineConfig } from './config.js';
import { HttpError, normalizeId, operationFailed, optionalString, parseJsonObject, readBody, send, upstreamFailure } from './helpers.js';
import { ComplianceRecordingBot } from './compliance-recording.js';
import type { CreateCallRequest, GraphRoute, JsonObject, OperationOutcome, TrackedCall, TransferRequest } from './types.js';

/** `POST .../calls/{id}/sendDtmfTones` body: tones are the `tone` enum (tone0..tone9, star, pound, a..d, flash). */
export interface SendDtmfTonesRequest {
  tones: string[];
  delayBetweenTonesMs: number;
  clientContext: string;
}

const TONE_OF_KEY: Record<string, string> = {
  ...Object.fromEntries([...'0123456789'].map((d) => [d, `tone${d}`])),
  '*': 'star',
  '#': 'pound',
  a: 'a',
  b: 'b',
  c: 'c',
  d: 'd',
};

/** The DTMF tones of `digits` (e.g. `1234#` -> tone1 tone2 tone3 tone4 pound); throws 400 on another key. */
export function tonesOf(digits: string): string[] {
  if (digits.length === 0) throw new HttpError(400, '"digits" must not be empty');
  return [...digits.toLowerCase()].map((key) => {
    const tone = TONE_OF_KEY[key];
    if (tone === undefined) throw new HttpError(400, `"digits" may hold 0-9, *, # and A-D, not "${key}"`);
    return tone;
  });
}

const V1: GraphRoute = { version: 'v1.0', callsRoot: '/communications/calls' };

export abstract class PstnBot extends ComplianceRecordingBot {
  /** dial-out calls waiting to be established, and the tones to key in then (keyed by normalizeId(call id)) */
  private readonly digitsToSend = new Map<string, string[]>();

  protected override onStopped(): void {
    super.onStopped();
    this.digitsToSend.clear();
  }

  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'pstn') return this.transferCall(call);
    if (call.line?.behaviour === 'pstn-consult') return this.startConsultation(call);
    return super.onLineEstablished(call);
  }

  protected override async onCallEstablished(call: TrackedCall): Promise<void> {
    if (call.kind === 'dial-out') return this.onDialOutEstablished(call);
    return super.onCallEstablished(call);
  }

  protected override onOperationCompleted(call: TrackedCall, outcome: OperationOutcome): void | Promise<void> {
    if (outcome.started?.action === 'sendDtmfTones') return this.onTonesSent(call, outcome);
    return super.onOperationCompleted(call, outcome);
  }

  protected override async routeApi(method: string, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (method === 'POST' && path === '/api/pstn/dial') {
      await this.dialApi(req, res);
      return true;
    }
    return super.routeApi(method, path, req, res);
  }

  protected override onCallEnded(call: TrackedCall, resultInfo: JsonObject | undefined): void {
    super.onCallEnded(call, resultInfo);
    this.digitsToSend.delete(normalizeId(call.id));
  }

  /** The PSTN line the bot calls out from (PSTN_LINE_ID). */
  protected pstnLine(): LineConfig {
    const line = this.config.lines.find((l) => l.behaviour === 'pstn');
    if (!line) throw new Error('no PSTN line configured');
    return line;
  }

  /** A call on one of the PSTN lines is transferred to a phone number, not to a user. */
  protected isPstnLineCall(call: TrackedCall): boolean {
    return call.line?.behaviour === 'pstn' || call.line?.behaviour === 'pstn-consult';
  }

  /** Transfer body of a PSTN line call: the phone number PSTN_TRANSFER_NUMBER; others as transfer.ts says. */
  protected override transferBody(call: TrackedCall, replacesCallId?: string): TransferRequest {
    if (!this.isPstnLineCall(call)) return super.transferBody(call, replacesCallId);
    return {
      transferTarget: {
        '@odata.type': '#microsoft.graph.invitationParticipantInfo',
        endpointType: 'default',
        identity: { phone: { id: this.config.pstnTransferNumber } },
        ...(replacesCallId === undefined ? {} : { replacesCallId }),
      },
    };
  }

  /**
   * The consultation call of the PSTN consult line: to PSTN_TRANSFER_NUMBER, placed as the line's
   * application instance; others as transfer.ts says.
   */
  protected override consultationCallBody(call: TrackedCall): CreateCallRequest {
    if (!call.line || !this.isPstnLineCall(call)) return super.consultationCallBody(call);
    return this.phoneCallBody(call.line, this.config.pstnTransferNumber, call.tenant);
  }

  /** A P2P audio call to `number`, placed as `line`'s application instance, with service-hosted media. */
  protected phoneCallBody(line: LineConfig, number: string, tenant: string): CreateCallRequest {
    return {
      callbackUri: this.callbackUri,
      source: { identity: { applicationInstance: { id: line.id } } },
      targets: [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { phone: { id: number } } }],
      requestedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' },
      tenantId: tenant,
    };
  }

  /** `POST /api/pstn/dial {number, digits, tenantId?}` -> `{callId}` once Graph created the call. */
  private async dialApi(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const request = parseJsonObject(await readBody(req), 'request body');
    const number = optionalString(request, 'number');
    if (number === undefined || !/^\+[1-9]\d{1,14}$/.test(number)) throw new HttpError(400, '"number" must be a phone number in E.164 format');
    const tones = tonesOf(optionalString(request, 'digits') ?? '');
    const tenant = optionalString(request, 'tenantId') ?? this.config.tenantId ?? 'common';
    try {
      const call = await this.dialOut(number, tones, tenant);
      send(res, 200, { callId: call.id });
    } catch (err) {
      this.logError(`calling ${number} failed`, err);
      send(res, 502, upstreamFailure(err));
    }
  }

  /** Calls `number` from the PSTN line; `tones` are keyed in once the call is established. */
  protected async dialOut(number: string, tones: string[], tenant: string): Promise<TrackedCall> {
    return this.createCall(this.phoneCallBody(this.pstnLine(), number, tenant), V1, tenant, (id) => {
      this.digitsToSend.set(normalizeId(id), tones);
      this.log(`calling ${number} (call ${id}) to key in ${tones.length} tones`);
      return this.track({ id, kind: 'dial-out', route: V1, tenant });
    });
  }

  /** The number answered: key in the digits. */
  protected async onDialOutEstablished(call: TrackedCall): Promise<void> {
    const tones = this.digitsToSend.get(normalizeId(call.id));
    this.digitsToSend.delete(normalizeId(call.id));
    if (tones) await this.sendTones(call, tones);
  }

  /** Posts sendDtmfTones; Graph answers with a running operation, completed later (onTonesSent). */
  protected async sendTones(call: TrackedCall, tones: string[]): Promise<void> {
    const body: SendDtmfTonesRequest = { tones, delayBetweenTonesMs: 300, clientContext: randomUUID() };
    const operationId = await this.startOperation(call, { action: 'sendDtmfTones', clientContext: body.clientContext, callId: call.id }, '/sendDtmfTones', body);
    this.log(`keying in ${tones.join(' ')} on call ${call.id} (operation ${operationId ?? 'unknown'})`);
  }

  /** The tones were sent (completionReason completedSuccessfully); if they could not be, hang up. */
  protected async onTonesSent(call: TrackedCall, outcome: OperationOutcome): Promise<void> {
    if (operationFailed(outcome)) {
      this.log(`the tones could not be sent on call ${call.id}; hanging up`);
      return this.hangUp(call);
    }
    this.log(`tones sent on call ${call.id} (${String(outcome.operation?.completionReason ?? 'completed')})`);
  }
}
