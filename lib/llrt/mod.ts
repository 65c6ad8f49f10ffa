/**
 * LLRT for the study: get a binary (`ensureLlrt`), read what was recorded (`readLlrtInfo`),
 * and name it in reports (`llrtLabel`).
 *
 * @module
 */
export { ensureLlrt, type EnsureLlrtOptions, hostArch } from "./ensure.ts";
export {
  type LlrtAvailable,
  type LlrtInfo,
  llrtLabel,
  type LlrtUnavailable,
  parseLlrtInfo,
  parseVersionOutput,
  readLlrtInfo,
  writeLlrtInfo,
} from "./info.ts";
export {
  cliAssetName,
  downloadCliBinary,
  LLRT_RELEASE,
  type LlrtArch,
  type LlrtRelease,
  type ReleaseAsset,
  sha256Hex,
  verifySha256,
} from "./release.ts";
