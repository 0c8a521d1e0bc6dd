// stack: put a block on top of a second, movable block.
//
// Two movable blocks: the top one (4 cm cube, 60 g, object 0) and the base (5 cm cube, 250 g,
// object 1). Randomised at every reset: the base at x, y in [-0.12, 0.12] m, the top block at x, y
// in [-0.15, 0.15] m at least 10 cm from it (in the table plane), each with a yaw in [-0.3, 0.3]
// rad.
//
// Achieved goal: the top block's centre. Desired goal: where that centre is when the block sits on
// the base block *as the base was placed* (its start x, y; 7 cm up). The desired goal must stay
// fixed through an episode so that success is a predicate on (achieved, desired) alone and goal
// relabeling can score stored pairs; following the base as it moves would make it a function of
// the state. The base is five times heavier than the top block so it is rarely nudged, and the
// tolerances absorb a small nudge: success when the top block is within 2.5 cm of the goal in the
// table plane (the base's half width) and within 6 mm in height, i.e. on the base block (still
// held or let go, as pick-place counts a held block), not beside it or above it. Time limit 120
// control steps (4.8 s). dense-v1: (reach + grasped + 2 place) / 4 as in pick-place, 1 on success.
import { ACTION_SCALE } from '../config.ts';
import { dist2, dist3 } from '../math.ts';
import type { TaskDefinition, TaskState } from '../task.ts';

const TOP = 0.02; // half size of the block to move
const BASE = 0.025; // half size of the base block
const XY_TOL = 0.025;
const Z_TOL = 0.006;
/** Height of the top block's centre when it rests on the base. */
const STACKED_Z = 2 * BASE + TOP;

function isGrasped(s: TaskState): boolean {
  const rel = s.objectRelTcp;
  return s.gripperGap < 2 * TOP + 0.004 && s.gripperGap > 2 * TOP - 0.01 && Math.abs(rel[0]) < 0.02 && Math.abs(rel[1]) < 0.015 && Math.abs(rel[2]) < 0.03;
}

const move = (s: TaskState, x: number, y: number, z: number, grip: number): number[] => [
  (x - s.tcp[0]) / ACTION_SCALE,
  (y - s.tcp[1]) / ACTION_SCALE,
  (z - s.tcp[2]) / ACTION_SCALE,
  grip,
];

const stack: TaskDefinition = {
  name: 'stack',
  description:
    'Stack a 4 cm block on a 5 cm block. Base block at x, y in [-0.12, 0.12] m, top block at x, y in [-0.15, 0.15] m at least 10 cm away; success when the top block is on the base block: within 2.5 cm (table plane) and 6 mm (height) of the spot on top of the base block where it was placed.',
  maxSteps: 120,
  metadata: { objectKind: 'block', needsGrasp: true, usesFixture: false, goalInAir: true },
  objects: [
    { shape: 'box', halfExtents: [TOP, TOP, TOP], mass: 0.06, friction: 1.0, color: '#ebcb8b' },
    { shape: 'box', halfExtents: [BASE, BASE, BASE], mass: 0.25, friction: 1.0, color: '#5e81ac' },
  ],
  goalColor: '#ebcb8b',
  initializeEpisode(ctx) {
    const r = ctx.rng;
    const base = ctx.samplePosition({ x: [-0.12, 0.12], y: [-0.12, 0.12], z: BASE });
    const top = ctx.samplePosition({ x: [-0.15, 0.15], y: [-0.15, 0.15], z: TOP, awayFrom: [base], minDistance: 0.1 });
    ctx.placeObject(top, r.uniform(-0.3, 0.3), 0);
    ctx.placeObject(base, r.uniform(-0.3, 0.3), 1);
    ctx.setGoal([base[0], base[1], STACKED_Z]);
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (a, d) => Math.hypot(a[0] - d[0], a[1] - d[1]) < XY_TOL && Math.abs(a[2] - d[2]) < Z_TOL,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(5 * dist3(s.tcp, s.objectPos));
    const grasped = isGrasped(s) ? 1 : 0;
    const d = dist3(achieved, s.goal);
    const place = grasped || d < 0.05 ? 1 - Math.tanh(5 * d) : 0;
    return (reachR + grasped + 2 * place) / 4;
  },
  // Grasp the top block as pick-place does; lift it clear of the base block, carry it over the
  // base (where the base is now, closed loop), lower it on, and let go.
  expert(s, m) {
    const [bx, by, bz] = s.objectPos;
    const tz = s.tcp[2];
    const rel = s.objectRelTcp;
    const holding = s.gripperGap < 2 * TOP + 0.012 && Math.hypot(rel[0], rel[1], rel[2]) < 0.03;
    if (holding && (m.closed ?? 0) >= 5) {
      const [px, py, pz] = s.objects[1].pos;
      const restZ = pz + BASE + TOP;
      const clearZ = restZ + 0.025;
      const off = Math.hypot(bx - px, by - py);
      // Bottom of the held block below the base's top plus a margin: lift first.
      if (off > 0.006 && bz < clearZ - 0.005) return move(s, s.tcp[0], s.tcp[1], clearZ - rel[2], 1);
      if (off > 0.006) return move(s, px - rel[0], py - rel[1], clearZ - rel[2], 1);
      return move(s, px - rel[0], py - rel[1], restZ - rel[2] - 0.005, 1);
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

/** Geometry the tests check against. */
export const STACK = { TOP, BASE, XY_TOL, Z_TOL, STACKED_Z } as const;

export default stack;
