/**
 * Resource controls for one Lambda execution environment of the local sandbox: memory limit and
 * peak, CPU quota and freezer, by cgroup v2, cgroup v1 or a process-tree fallback. See
 * `create.ts` for how each control is chosen and measured.
 *
 * @example
 * ```ts
 * import { createControls } from "./mod.ts";
 * const controls = await createControls({ name: "node-128-1", memoryMb: 128 });
 * console.log(controls.inForce);
 * await controls.destroy();
 * ```
 *
 * @module
 */
export {
  type ControlsInForce,
  type ControlsOptions,
  createControls,
  DEFAULT_CPU_PERIOD_US,
  detectCgroups,
  MB_PER_VCPU,
  type MemoryUsage,
  type ResourceControls,
} from "./create.ts";
export { pidAlive } from "./_fs.ts";
