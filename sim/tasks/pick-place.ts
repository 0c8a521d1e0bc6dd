// pick-place: grasp a block, lift it and bring it to a 3D goal, half of the goals in the air.
//
// Randomised at every reset: the block (4 cm cube, 60 g) at x, y in [-0.15, 0.15] m with yaw in
// [-0.3, 0.3] rad; the goal at x, y in [-0.2, 0.2] m, on the table (z = 2 cm) with probability 0.5,
// otherwise in the air, z in [0.06, 0.25] m (as in Fetch pick-and-place), at least 10 cm from the
// block.
//
// Success: the block's centre within 5 cm of the goal. Time limit 100 control steps (4 s).
// dense-v1: (reach + grasped + 2 place) / 4, staged like ManiSkill's pick-cube: reach = 1 - tanh(5
// |tcp - block|), grasped = 1 when the fingers close on the block, place = 1 - tanh(5 |block -
// goal|) counted only while grasped or once near the goal; 1 on success.
import { ACTION_SCALE } from '../config.ts';
import { dist2, dist3 } from '../math.ts';
import type { TaskDefinition, TaskState } from '../task.ts';

const TOLERANCE = 0.05;
const HALF = 0.02;

function isGrasped(s: TaskState): boolean {
  const gap = s.gripperGap;
  const rel = s.objectRelTcp;
  return gap < 2 * HALF + 0.004 && gap > 2 * HALF - 0.01 && Math.abs(rel[0]) < 0.02 && Math.abs(rel[1]) < 0.015 && Math.abs(rel[2]) < 0.03;
}

const move = (s: TaskState, x: number, y: number, z: number, grip: number): number[] => [
  (x - s.tcp[0]) / ACTION_SCALE,
  (y - s.tcp[1]) / ACTION_SCALE,
  (z - s.tcp[2]) / ACTION_SCALE,
  grip,
];

const pickPlace: TaskDefinition = {
  name: 'pick-place',
  description:
    'Grasp a 4 cm block, lift it and bring it to a 3D goal. Block at x, y in [-0.15, 0.15] m; goal at x, y in [-0.2, 0.2] m, on the table or (half the time) in the air up to 0.25 m; success within 5 cm.',
  maxSteps: 100,
  metadata: { objectKind: 'block', needsGrasp: true, usesFixture: false, goalInAir: true },
  object: { shape: 'box', halfExtents: [HALF, HALF, HALF], mass: 0.06, friction: 1.0, color: '#ebcb8b' },
  goalColor: '#ebcb8b',
  initializeEpisode(ctx) {
    const r = ctx.rng;
    const block = ctx.samplePosition({ x: [-0.15, 0.15], y: [-0.15, 0.15], z: HALF });
    ctx.placeObject(block, r.uniform(-0.3, 0.3));
    const air = r.float() < 0.5;
    const gz = air ? r.uniform(0.06, 0.25) : HALF;
    ctx.setGoal(ctx.samplePosition({ x: [-0.2, 0.2], y: [-0.2, 0.2], z: gz, awayFrom: [block], minDistance: 0.1, plane: 'xyz' }));
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (achieved, desired) => dist3(achieved, desired) < TOLERANCE,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(5 * dist3(s.tcp, s.objectPos));
    const grasped = isGrasped(s) ? 1 : 0;
    const d = dist3(achieved, s.goal);
    const place = grasped || d < 2 * TOLERANCE ? 1 - Math.tanh(5 * d) : 0;
    return (reachR + grasped + 2 * place) / 4;
  },
  // Above the block, down, close, then carry to the goal; re-grasps if the block is dropped. A
  // yawed block stalls the fingers a few millimetres wider than its side: lifting squares it up.
  expert(s, m) {
    const [bx, by, bz] = s.objectPos;
    const tz = s.tcp[2];
    const rel = s.objectRelTcp;
    const holding = s.gripperGap < 2 * HALF + 0.012 && Math.hypot(rel[0], rel[1], rel[2]) < 0.03;
    if (holding && (m.closed ?? 0) >= 5) {
      const [gx, gy, gz] = s.goal;
      // Carry with the block's offset from the TCP taken into account.
      return move(s, gx - rel[0], gy - rel[1], gz - rel[2], 1);
    }
    const aligned = dist2(s.tcp, s.objectPos) < 0.008;
    const low = Math.abs(tz - Math.max(bz, 0.03)) < 0.006;
    if (aligned && low) {
      m.closed = (m.closed ?? 0) + 1;
      return move(s, bx, by, Math.max(bz, 0.03), 1);
    }
    m.closed = 0;
    if (aligned || (dist2(s.tcp, s.objectPos) < 0.02 && tz < bz + 0.05)) return move(s, bx, by, Math.max(bz, 0.03), -1);
    return move(s, bx, by, Math.max(tz, bz + 0.06), -1);
  },
};

export default pickPlace;
