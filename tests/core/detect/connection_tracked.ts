/**
 * @module connection_tracked
 * The connection tracker under test: `Tracked` feeds it frames at packet times and keeps what it
 * reported as readable lines (shared by connections_test.ts and connection_probes_test.ts).
 */
import assert from "node:assert/strict";
import { applyOverrides, defaultConfig } from "../../../core/config/config.ts";
import { ConnectionTracker } from "../../../core/detect/tracking/connections.ts";
import { detectionSettings } from "../../../core/detect/settings.ts";
import type {
  Attempt,
  FailureReason,
  ProtocolProbe,
  Unsolicited,
} from "../../../core/detect/detector.ts";
import { PacketContext } from "../../../core/detect/packet_context.ts";
import { keyText } from "../../../core/packet/host_key.ts";
import { batchOf, SECOND, T0 } from "../../support/detection_run.ts";

/** What the tracker reported, as readable lines. */
export class Tracked {
  readonly events: string[] = [];
  readonly failures: { reason: FailureReason; atS: number; attempt: Attempt }[] = [];
  readonly roles: number[] = [];
  readonly tracker: ConnectionTracker;
  readonly #packet = new PacketContext();

  constructor(overrides: unknown = {}) {
    const settings = detectionSettings(applyOverrides(defaultConfig(), overrides));
    this.tracker = new ConnectionTracker(settings, {
      attempt: (a: Attempt) => this.events.push(`attempt ${describe(a)}`),
      failure: (a: Attempt, reason: FailureReason, nowUs: number) => {
        // A copy: the tracker reuses its Attempt object, valid only during the call.
        this.failures.push({ reason, atS: (nowUs - T0) / SECOND, attempt: { ...a } });
        this.events.push(`${reason} ${describe(a)}`);
      },
      unsolicited: (u: Unsolicited) =>
        this.events.push(
          `unsolicited ${u.kind} ${keyText(u.reflector)}:${u.reflectorPort} -> ` +
            keyText(u.victim),
        ),
      protocol: (e: ProtocolProbe) =>
        this.events.push(
          `protocol ${e.proto} ${keyText(e.src)} -> ${keyText(e.dst)}${e.reply ? " (reply)" : ""}`,
        ),
    });
  }

  /** One packet at T0 + seconds, with the once-a-second tick the engine gives. */
  send(seconds: number, frame: Uint8Array): this {
    const tsUs = T0 + seconds * SECOND;
    const batch = batchOf([{ tsUs, frame }]);
    this.tracker.tick(tsUs);
    this.#packet.load(batch.fields, 0, tsUs, 0);
    assert.ok(this.#packet.hasAddresses, "frame decoded with addresses");
    this.tracker.observe(this.#packet);
    this.roles.push(this.#packet.role);
    return this;
  }

  tick(seconds: number): this {
    this.tracker.tick(T0 + seconds * SECOND);
    return this;
  }

  finish(seconds: number): this {
    this.tracker.finish(T0 + seconds * SECOND);
    return this;
  }
}

function describe(a: Attempt): string {
  const proto = a.proto === 6 ? "tcp" : a.proto === 17 ? "udp" : String(a.proto);
  return `${proto} ${keyText(a.src)}:${a.srcPort} -> ${keyText(a.dst)}:${a.dstPort}`;
}
