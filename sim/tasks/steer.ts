// Steering for scripted experts: the action that moves the tool centre point toward a target
// along a straight line. Clipping each component to [-1, 1] on its own would bend a long move (a
// push 12 cm along a yawed axis would leave the axis); this scales the whole displacement instead,
// so the hand moves toward the target in its direction, at most ACTION_SCALE per axis per step.
import { ACTION_SCALE } from '../config.ts';
import type { TaskState } from '../task.ts';

/** Action toward (x, y, z) with gripper command `grip`, direction kept. */
export function steer(s: TaskState, x: number, y: number, z: number, grip: number): number[] {
  const dx = (x - s.tcp[0]) / ACTION_SCALE;
  const dy = (y - s.tcp[1]) / ACTION_SCALE;
  const dz = (z - s.tcp[2]) / ACTION_SCALE;
  const k = Math.max(1, Math.abs(dx), Math.abs(dy), Math.abs(dz));
  return [dx / k, dy / k, dz / k, grip];
}
