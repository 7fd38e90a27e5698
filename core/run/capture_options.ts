/**
 * @module capture_options
 * The one place the options of a capture are assembled from the config: the headless run
 * (`--no-ui`) and the UI's `openSource` both call `captureOptions(config, request)`, so the same
 * config opens the same capture in both modes. The defaults live only in the config keys
 * (core/config/capture_keys.ts); `DEFAULT_CAPTURE_SETTINGS` is them, for callers without a
 * config (ffi/capture.ts falls back on it).
 */
import { CAPTURE_KEYS } from "../config/capture_keys.ts";
import { PCAP_KEYS } from "../config/pcap_keys.ts";
import { type Config, flag, num } from "../config/config.ts";

/** How a live capture is set up, from the `capture.*` keys. */
export interface CaptureSettings {
  /** Bytes kept per packet (capture.snaplen). */
  snaplen: number;
  /** Kernel buffer in bytes (capture.buffer_mib). */
  bufferSize: number;
  /** Nice value of the capture threads (capture.nice; 0 leaves it alone). */
  nice: number;
  /** Promiscuous mode (capture.promiscuous). */
  promiscuous: boolean;
  /** Copy each packet's frame for the alert pcaps (pcap.enabled; core/pcap/). */
  keepFrames: boolean;
}

/** What to open: a file (`read`) or a device, with a BPF filter ("" = everything). */
export interface CaptureRequest {
  read?: string;
  device?: string;
  filter: string;
  /** Abandons the open (a slow filter compile) once aborted. */
  signal?: AbortSignal;
}

/** The settings a config asks for. */
export function captureSettings(config: Config): CaptureSettings {
  return {
    snaplen: num(config, "capture.snaplen"),
    bufferSize: num(config, "capture.buffer_mib") * 1024 * 1024,
    nice: num(config, "capture.nice"),
    promiscuous: flag(config, "capture.promiscuous"),
    keepFrames: flag(config, "pcap.enabled"),
  };
}

/** The settings of the default config: the capture keys' defaults, nothing else. */
export const DEFAULT_CAPTURE_SETTINGS: Readonly<CaptureSettings> = Object.freeze(
  captureSettings(new Map([...CAPTURE_KEYS, ...PCAP_KEYS].map((k) => [k.key, k.default]))),
);

/** The options `Capture.open()` gets for `request` under `config`, in either run mode. */
export function captureOptions(
  config: Config,
  request: CaptureRequest,
): CaptureRequest & CaptureSettings {
  const { read, device, filter, signal } = request;
  return {
    ...(read !== undefined ? { read } : {}),
    ...(device !== undefined ? { device } : {}),
    filter,
    ...captureSettings(config),
    ...(signal !== undefined ? { signal } : {}),
  };
}
