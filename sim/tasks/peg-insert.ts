// peg-insert: grasp a peg and insert it into a hole in a fixture whose position varies.
//
// Randomised at every reset: the peg (2 x 2 x 8 cm, 40 g, standing upright) at x, y in
// [-0.18, 0.18] m; the fixture (a square hole 2.6 cm wide, i.e. 3 mm clearance per side, 4 cm deep,
// in 2 cm walls) at x, y in [-0.18, 0.18] m, at least 12 cm from the peg.
//
// Success: the peg's centre within 1 cm of the hole's axis horizontally and the peg's bottom within
// 1 cm of the hole's floor, i.e. inserted at least 3 cm of the 4 cm depth. The desired goal is the
// peg centre when fully inserted. Time limit 150 control steps (6 s). dense-v1: (reach + grasped +
// align + insert) / 4, staged; 1 on success.
import { ACTION_SCALE } from '../config.ts';
import { dist2, dist3 } from '../math.ts';
import type { TaskDefinition, TaskState } from '../task.ts';

const PEG_HALF: [number, number, number] = [0.01, 0.01, 0.04];
const HOLE_HALF = 0.013;
const WALL = 0.01; // half thickness
const DEPTH = 0.04;
const XY_TOL = 0.01;
const Z_TOL = 0.01;

function isGrasped(s: TaskState): boolean {
  const gap = s.gripperGap;
  const rel = s.objectRelTcp;
  return gap < 2 * PEG_HALF[1] + 0.004 && gap > 0.01 && Math.abs(rel[0]) < 0.02 && Math.abs(rel[1]) < 0.015 && Math.abs(rel[2]) < 0.05;
}

/** Peg bottom centre from its centre and orientation (the peg's local -z axis, rotated). */
function pegBottom(s: TaskState): [number, number, number] {
  const [x, y, z, w] = s.objectQuat;
  const h = PEG_HALF[2];
  // Third column of the rotation matrix times -h.
  return [s.objectPos[0] - h * 2 * (x * z + w * y), s.objectPos[1] - h * 2 * (y * z - w * x), s.objectPos[2] - h * (1 - 2 * (x * x + y * y))];
}

const move = (s: TaskState, x: number, y: number, z: number, grip: number, speed = 1): number[] => [
  (speed * (x - s.tcp[0])) / ACTION_SCALE,
  (speed * (y - s.tcp[1])) / ACTION_SCALE,
  (speed * (z - s.tcp[2])) / ACTION_SCALE,
  grip,
];

const pegInsert: TaskDefinition = {
  name: 'peg-insert',
  description:
    'Grasp a 2 x 2 x 8 cm peg and insert it into a 4 cm deep hole (3 mm clearance per side) in a fixture placed at random; success when inserted at least 3 cm and centred within 1 cm.',
  maxSteps: 150,
  metadata: { objectKind: 'peg', needsGrasp: true, usesFixture: true, goalInAir: false },
  object: { shape: 'box', halfExtents: PEG_HALF, mass: 0.04, friction: 1.0, color: '#b48ead' },
  fixture: {
    color: '#4c566a',
    parts: [
      { halfExtents: [WALL, HOLE_HALF + 2 * WALL, DEPTH / 2], offset: [HOLE_HALF + WALL, 0, DEPTH / 2] },
      { halfExtents: [WALL, HOLE_HALF + 2 * WALL, DEPTH / 2], offset: [-(HOLE_HALF + WALL), 0, DEPTH / 2] },
      { halfExtents: [HOLE_HALF, WALL, DEPTH / 2], offset: [0, HOLE_HALF + WALL, DEPTH / 2] },
      { halfExtents: [HOLE_HALF, WALL, DEPTH / 2], offset: [0, -(HOLE_HALF + WALL), DEPTH / 2] },
    ],
  },
  goalColor: '#b48ead',
  initializeEpisode(ctx) {
    const peg = ctx.samplePosition({ x: [-0.18, 0.18], y: [-0.18, 0.18], z: PEG_HALF[2] });
    const [fx, fy] = ctx.samplePosition({ x: [-0.18, 0.18], y: [-0.18, 0.18], awayFrom: [peg], minDistance: 0.12 });
    ctx.placeObject(peg);
    ctx.placeFixture([fx, fy, 0]);
    ctx.setGoal([fx, fy, PEG_HALF[2]]);
  },
  achievedGoal: (s) => s.objectPos,
  isSuccess: (a, d) => Math.hypot(a[0] - d[0], a[1] - d[1]) < XY_TOL && a[2] - d[2] < Z_TOL,
  denseReward(s, achieved, success) {
    if (success) return 1;
    const reachR = 1 - Math.tanh(5 * dist3(s.tcp, s.objectPos));
    const grasped = isGrasped(s) ? 1 : 0;
    const align = 1 - Math.tanh(10 * dist2(achieved, s.goal));
    const insert = dist2(achieved, s.goal) < XY_TOL ? 1 - Math.tanh(10 * Math.max(0, achieved[2] - s.goal[2])) : 0;
    return (reachR + grasped + grasped * align + insert) / 4;
  },
  // Grip the top of the peg, lift its bottom clear of the fixture, align the bottom over the hole
  // (closed loop on the peg's own pose, so slip in the grip is corrected), then lower it in.
  expert(s, m) {
    const [px, py, pz] = s.objectPos;
    const [tx, ty, tz] = s.tcp;
    const graspZ = pz + PEG_HALF[2] - 0.02;
    if (isGrasped(s) && (m.closed ?? 0) >= 3) {
      const b = pegBottom(s);
      const [hx, hy] = s.fixturePos;
      const ex = hx - b[0];
      const ey = hy - b[1];
      const err = Math.hypot(ex, ey);
      const clear = DEPTH + 0.015;
      if (err > 0.003 && b[2] < clear) return move(s, tx, ty, tz + (clear + 0.01 - b[2]), 1);
      if (err > 0.003) return move(s, tx + ex, ty + ey, tz, 1, 0.8);
      return move(s, tx + ex, ty + ey, tz - 0.5 * ACTION_SCALE, 1);
    }
    const aligned = Math.hypot(tx - px, ty - py) < 0.006;
    const low = Math.abs(tz - graspZ) < 0.006;
    if (aligned && low) {
      m.closed = (m.closed ?? 0) + 1;
      return move(s, px, py, graspZ, 1);
    }
    m.closed = 0;
    if (aligned || (Math.hypot(tx - px, ty - py) < 0.015 && tz < pz + PEG_HALF[2] + 0.04)) return move(s, px, py, graspZ, -1);
    return move(s, px, py, Math.max(tz, pz + PEG_HALF[2] + 0.06), -1);
  },
};

export default pegInsert;
