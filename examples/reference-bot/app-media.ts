/**
 * Scenario: application-hosted media, on the media line (MEDIA_LINE_ID). The bot answers with an
 * appHostedMediaConfig whose `blob` is the media session configuration of the bot's own media
 * platform; from then on the audio flows to the bot, not through Graph's media service.
 *
 *   incoming call to the media line -> answer {acceptedModalities: [audio], mediaConfig: appHostedMediaConfig {blob}}
 *   established                     -> nothing on Graph: the media platform takes the call
 *   the call ends                   -> the bot forgets it and sends nothing more
 *
 * With app-hosted media, Graph's service-hosted media actions (playPrompt, recordResponse,
 * subscribeToTone) are not available: the bot sends none of them.
 *
 * The reference bot has no media platform (Microsoft's is the .NET Real-time Media Platform,
 * `MediaPlatform.CreateMediaConfiguration`): its blob is a placeholder. A real bot puts the SDK's
 * serialized configuration there.
 *
 * Flow: answer-app-hosted-media. The recorder line (compliance-recording.ts) answers this way too.
 */
import { MeetingMediaBot } from './meeting-media.js';
import type { AnswerRequest, TrackedCall } from './types.js';

export abstract class AppMediaBot extends MeetingMediaBot {
  /** Whether the bot answers `call` with its own media platform (the media and recorder lines). */
  protected usesAppHostedMedia(call: TrackedCall): boolean {
    return call.line?.behaviour === 'app-media' || call.line?.behaviour === 'recorder';
  }

  protected override answerBody(call: TrackedCall): AnswerRequest {
    if (!this.usesAppHostedMedia(call)) return super.answerBody(call);
    return {
      callbackUri: this.callbackUri,
      acceptedModalities: ['audio'],
      mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: this.mediaSessionBlob(call) },
    };
  }

  /** The media session configuration the media platform would produce for `call` (a placeholder here). */
  protected mediaSessionBlob(call: TrackedCall): string {
    return JSON.stringify({ mediaPlatform: 'reference-bot (no media platform: placeholder)', callId: call.id, audio: { direction: 'sendReceive' } });
  }

  protected override async onLineEstablished(call: TrackedCall): Promise<void> {
    if (call.line?.behaviour === 'app-media') return this.log(`call ${call.id} established; its media is the bot's own`);
    return super.onLineEstablished(call);
  }
}

